"""Every rendered Cilium/Istio/Gateway object validates against the upstream CRD JSON schema.

Schemas: ../shared/upstream/crd-schemas (datreeio/CRDs-catalog, see SOURCE.txt). jsonschema does not run
the CRDs' CEL rules (x-kubernetes-validations), so the ones our objects could break are checked by hand.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from pytest_meshscale.data.policies import load_policy_case, policy_names
from pytest_meshscale.meshes.cilium.render import render_cilium
from pytest_meshscale.meshes.istio_ambient.render import render_istio, render_strict_mtls
from pytest_meshscale.model.fleet_names import proxy_access

SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "upstream" / "crd-schemas"
needs_schemas = pytest.mark.skipif(
    not SCHEMAS.is_dir(), reason=f"{SCHEMAS} (upstream CRD JSON schemas) is absent"
)
SCHEMA_FILES = {
    ("cilium.io/v2", "CiliumNetworkPolicy"): "cilium.io/ciliumnetworkpolicy_v2.json",
    ("security.istio.io/v1", "AuthorizationPolicy"): "security.istio.io/authorizationpolicy_v1.json",
    ("security.istio.io/v1", "PeerAuthentication"): "security.istio.io/peerauthentication_v1.json",
    ("gateway.networking.k8s.io/v1", "Gateway"): "gateway.networking.k8s.io/gateway_v1.json",
}
NAMESPACES = ["ns-001", "ns-002", "ns-003"]
RUN = {"meshscale.io/run": "r1"}


def _rendered() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name in policy_names():
        intents = load_policy_case(name, NAMESPACES).intents
        out += [(f"{name}/cilium", o) for o in render_cilium(intents, RUN, proxy_access=proxy_access())]
        out += [(f"{name}/istio", o) for o in render_istio(intents, RUN, proxy_access=proxy_access())]
    out += [
        ("strict-mtls/istio", o) for o in render_strict_mtls(NAMESPACES, RUN, proxy_access=proxy_access())
    ]
    return [
        (f"{src}/{o['kind']}/{o['metadata']['namespace']}/{o['metadata']['name']}", o)
        for src, o in out
        if (o["apiVersion"], o["kind"]) in SCHEMA_FILES
    ]


RENDERED = _rendered()


@cache
def _validator(key: tuple[str, str]) -> Draft7Validator:
    return Draft7Validator(json.loads((SCHEMAS / SCHEMA_FILES[key]).read_text()))


def _errors(obj: dict[str, Any]) -> list[str]:
    validator = _validator((obj["apiVersion"], obj["kind"]))
    found = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]
    return found + _cel_errors(obj)


def _cel_errors(obj: dict[str, Any]) -> list[str]:
    """The CEL rules of the Istio CRDs that a renderer could break (jsonschema skips CEL)."""
    spec, errors = obj["spec"], []
    if obj["kind"] == "AuthorizationPolicy":
        if sum(k in spec for k in ("selector", "targetRef", "targetRefs")) > 1:
            errors.append("only one of targetRefs or selector can be set")
        for rule in spec.get("rules", []):
            for src in (f.get("source", {}) for f in rule.get("from", [])):
                if "serviceAccounts" in src and ({"namespaces", "principals"} & set(src)):
                    errors.append("Cannot set serviceAccounts with namespaces or principals")
        if any(ref.get("namespace") for ref in spec.get("targetRefs", [])):
            errors.append("cross namespace referencing is not currently supported")
    if obj["kind"] == "PeerAuthentication" and "portLevelMtls" in spec:
        if not spec.get("selector", {}).get("matchLabels"):
            errors.append("portLevelMtls requires selector")
    return errors


def test_every_mesh_kind_is_rendered_and_checked() -> None:
    kinds = {o["kind"] for _, o in RENDERED}
    assert kinds == {"CiliumNetworkPolicy", "AuthorizationPolicy", "PeerAuthentication", "Gateway"}
    assert len(RENDERED) == 36  # 10 CNP, 16 AuthorizationPolicy, 4 Gateway, 6 PeerAuthentication


@needs_schemas
@pytest.mark.parametrize("obj", [o for _, o in RENDERED], ids=[i for i, _ in RENDERED])
def test_rendered_object_validates(obj: dict[str, Any]) -> None:
    assert _errors(obj) == []


BROKEN = [
    {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "x"},
        "spec": {
            "endpointSelector": {},
            "ingress": [{"toPorts": [{"ports": [{"port": "8080", "protocol": "HTTP"}]}]}],
        },
    },
    {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "x"},
        "spec": {"endpointSelector": {}},
    },
    {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "x"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "targetRefs": [{"kind": "Service", "name": "s"}]},
    },
    {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "x"},
        "spec": {"rules": [{"to": [{"operation": {"path": ["/"]}}]}]},
    },
    {
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": {"name": "x"},
        "spec": {"portLevelMtls": {"8080": {"mode": "PERMISSIVE"}}},
    },
    {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "x"},
        "spec": {"gatewayClassName": "istio-waypoint", "listeners": [{"name": "mesh", "port": 15008}]},
    },
]


@needs_schemas
@pytest.mark.parametrize(
    "obj",
    BROKEN,
    ids=[
        "cnp-protocol",
        "cnp-no-rules",
        "ap-selector-and-targetrefs",
        "ap-unknown-field",
        "pa-port-without-selector",
        "gw-no-protocol",
    ],
)
def test_checks_reject_a_broken_object(obj: dict[str, Any]) -> None:
    assert _errors(obj)
