"""cilium-ipsec's driver: detection from the agent and cilium-config (IPsec or not found), the same
CiliumNetworkPolicies as cilium (validated against the upstream CRD schema), ESP facts with the FIPS
conditions, and the per-node key state from CiliumNode spec.encryption.key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from pytest_meshscale.data.policies import load_policy_case, policy_names
from pytest_meshscale.meshes.base import MeshNotFound
from pytest_meshscale.meshes.cilium.driver import CiliumDriver
from pytest_meshscale.meshes.cilium_ipsec.driver import CiliumIpsecDriver
from pytest_meshscale.meshes.cilium_ipsec.facts import key_indices, key_mismatch

SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "upstream" / "crd-schemas" / "cilium.io"
AGENT = {"spec": {"template": {"spec": {"containers": [{"image": "quay.io/cilium/cilium:v1.16.4@sha256:ab"}]}}}}
IPSEC = {"enable-ipsec": "true", "enable-l7-proxy": "true", "dnsproxy-enable-transparent-mode": "true"}
NAMESPACES = ["ns-001", "ns-002", "ns-003"]


class FakeCluster:
    def __init__(self, config: dict[str, str] | None, keys: dict[str, int | None] | None = None) -> None:
        self.config, self.keys = config, keys or {}

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Any:
        if kind == "DaemonSet":
            return AGENT if self.config is not None else None
        return {"data": self.config}

    def list(self, api_version: str, kind: str, *args: Any) -> list[Any]:
        if kind == "Node":
            return [{"metadata": {"name": n}} for n in self.keys]
        return [{"metadata": {"name": n}, "spec": {"encryption": {} if k is None else {"key": k}}}
                for n, k in self.keys.items() if n != "no-ciliumnode"]


def test_ipsec_cilium_is_detected_with_its_version_features_and_the_l7_statement() -> None:
    info = CiliumIpsecDriver().detect(FakeCluster(IPSEC))
    assert (info.name, info.version) == ("cilium-ipsec", "1.16.4")
    assert info.features == {"l4-policy", "l7-policy", "ipsec", "fips"}
    assert info.details["enable-ipsec"] == "true" and info.details["dnsproxy-enable-transparent-mode"] == "true"
    assert "#32906" in info.details["l7-with-ipsec"] and "#33168" in info.details["l7-with-ipsec"]


@pytest.mark.parametrize(("config", "message"), [
    ({"enable-wireguard": "true"}, "no enable-ipsec"),
    (None, "no DaemonSet kube-system/cilium"),
])
def test_cilium_without_ipsec_is_not_this_mesh(config: dict[str, str] | None, message: str) -> None:
    with pytest.raises(MeshNotFound, match=message):
        CiliumIpsecDriver().detect(FakeCluster(config))


def test_esp_between_nodes_is_fips_capable_with_conditions_never_validated() -> None:
    for driver in (CiliumIpsecDriver(), CiliumDriver()):  # the cilium driver on an IPsec cluster says the same
        facts = driver.encryption(driver.detect(FakeCluster(IPSEC)))
        assert (facts.mechanism, facts.encrypted_protocol, facts.capturable, facts.fips_capable) == (
            "ipsec", "esp", True, True)
        assert facts.capture_filter("10.0.1.5", "10.0.2.7", "172.18.0.3") == "esp"
        for condition in ("not FIPS-validated", "rfc4106(gcm(aes))", "fips_enabled = 1", "cilium/cilium#23919"):
            assert condition in facts.fips_reason


def test_every_node_with_a_key_index_is_a_peer_and_a_node_without_one_is_not() -> None:
    cluster = FakeCluster(IPSEC, {"n1": 3, "n2": 3, "n3": None, "no-ciliumnode": 3})
    assert key_indices(cluster) == {"n1": 3, "n2": 3, "n3": 0, "no-ciliumnode": 0}
    assert CiliumIpsecDriver().encryption_peers(cluster) == {"n1": True, "n2": True, "n3": False,
                                                             "no-ciliumnode": False}


@pytest.mark.parametrize(("keys", "ok"), [
    ({"a": 3, "b": 3}, True),
    ({"a": 3, "b": 4}, True),  # mid-rotation: the old and the new key
    ({"a": 15, "b": 1}, True),  # rotation rolls over from 15 to 1
    ({"a": 3, "b": 0}, True),  # a missing key is encryption_peers' finding, not a mismatch
    ({"a": 3, "b": 5}, False),
    ({"a": 3, "b": 4, "c": 5}, False),
])
def test_key_indices_must_be_one_key_or_one_rotation_apart(keys: dict[str, int], ok: bool) -> None:
    assert (key_mismatch(keys) == "") is ok
    if not ok:
        assert "not one rotation apart" in key_mismatch(keys)


def test_the_driver_renders_exactly_the_cilium_policies() -> None:
    for name in policy_names():
        intents = load_policy_case(name, NAMESPACES).intents
        labels = {"meshscale.io/run": "r1"}
        ours = CiliumIpsecDriver().render(intents, NAMESPACES, labels)
        assert ours == CiliumDriver().render(intents, NAMESPACES, labels)


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason=f"{SCHEMAS} (upstream CRD JSON schemas) is absent")
def test_rendered_policies_validate_against_the_upstream_crd_schema() -> None:
    validator = Draft7Validator(json.loads((SCHEMAS / "ciliumnetworkpolicy_v2.json").read_text()))
    rendered = [o for name in policy_names() for o in CiliumIpsecDriver().render(
        load_policy_case(name, NAMESPACES).intents, NAMESPACES, {"meshscale.io/run": "r1"})]
    assert rendered and {o["kind"] for o in rendered} == {"CiliumNetworkPolicy"}
    errors = [f"{o['metadata']['name']}: {e.message}" for o in rendered for e in validator.iter_errors(o)]
    assert errors == []
