"""istio-sidecar's renderer: every policy case and the STRICT mTLS objects validate against the upstream Istio 1.30
CRD schemas, and the shape is the sidecar's: selector policies holding L4 and L7 rules together (the server's
sidecar enforces both), no waypoint, no targetRefs, no namespace patches (injection is decided at pod creation)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_meshscale.data.policies import load_policy_case, policy_names
from pytest_meshscale.meshes.istio_sidecar.driver import IstioSidecarDriver
from pytest_meshscale.meshes.istio_sidecar.render import render_sidecar
from pytest_meshscale.model import Unsupported, parse_intent
from pytest_meshscale.model.fleet_names import proxy_access
from tests.unit.test_policy_schemas import NAMESPACES, RUN, SCHEMA_FILES, _errors, needs_schemas


def _rendered() -> list[tuple[str, dict[str, Any]]]:
    out = [(f"{name}/{o['metadata']['namespace']}/{o['metadata']['name']}", o) for name in policy_names()
           for o in render_sidecar(load_policy_case(name, NAMESPACES).intents, RUN, proxy_access=proxy_access())]
    strict = IstioSidecarDriver().strict_mtls(NAMESPACES, RUN, proxy_access())
    return out + [(f"strict/{o['metadata']['namespace']}/{o['metadata']['name']}", o) for o in strict]


RENDERED = _rendered()


def test_every_case_renders_only_istio_security_objects() -> None:
    kinds = {(o["apiVersion"], o["kind"]) for _, o in RENDERED}
    assert kinds == {("security.istio.io/v1", "AuthorizationPolicy"), ("security.istio.io/v1", "PeerAuthentication")}
    assert kinds <= set(SCHEMA_FILES) and set(IstioSidecarDriver.policy_kinds) == kinds
    assert len(RENDERED) > len(policy_names())  # every case rendered something


@needs_schemas
@pytest.mark.parametrize(("name", "obj"), RENDERED, ids=[n for n, _ in RENDERED])
def test_rendered_object_validates_against_the_upstream_schema(name: str, obj: dict[str, Any]) -> None:
    assert _errors(obj) == [], name


def test_l7_rules_sit_in_the_selector_policy_the_server_sidecar_enforces() -> None:
    (policy,) = [o for o in render_sidecar(load_policy_case("seed-l7", NAMESPACES).intents, RUN)
                 if o["metadata"]["namespace"] == "ns-002"]
    spec = policy["spec"]
    assert spec["selector"] == {"matchLabels": {"app": "loadservice"}} and "targetRefs" not in spec
    (rule,) = spec["rules"]  # from AND to in one rule: never the seed's two ORed rules
    assert rule["from"] == [{"source": {"principals": ["cluster.local/ns/ns-002/sa/fortio-client"]}}]
    assert rule["to"] == [{"operation": {"ports": ["8080"], "methods": ["GET"], "paths": ["/"]}}]


def test_default_deny_is_an_allow_policy_without_rules() -> None:
    (policy,) = render_sidecar(load_policy_case("default-deny", NAMESPACES).intents, RUN)
    assert policy["spec"] == {"selector": {"matchLabels": {"app": "loadservice"}}, "action": "ALLOW"}


def test_peers_named_by_labels_only_are_refused_naming_the_mesh() -> None:
    data = {"name": "by-label", "description": "a peer by label",
            "target": {"namespaces": ["ns-001"], "labels": {"app": "loadservice"}},
            "allow": [{"from": [{"labels": {"app": "fortio-client"}}], "ports": [8080]}]}
    intent = parse_intent(data, "test", NAMESPACES)
    with pytest.raises(Unsupported, match="istio-sidecar.*service account"):
        render_sidecar([intent], RUN)


def test_every_target_namespace_answers_refusals_with_403() -> None:
    intents = load_policy_case("l4-namespace", NAMESPACES).intents
    assert IstioSidecarDriver().l7_enforced(intents) == {ns for i in intents for ns in i.target.namespaces}
