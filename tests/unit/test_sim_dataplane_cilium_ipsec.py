"""The cilium-ipsec sim model: the agent's key handling (key id, algorithm, get_min_encrypt_key), the world it
installs (IPsec cilium-config, the key Secret, CiliumNodes with spec.encryption.key, the ipsec-key-missing
fault), the wire (ESP between CiliumInternalIPs in tunnel mode, node IPs in native routing, plaintext on one
node or with a zero key), its objects against the upstream CRD schema, and its perf paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from test_sim_controllers_world import start_world
from test_sim_dataplane_wire import pods
from test_sim_dataplane_world import World, plane, seed_world

from pytest_meshscale.sim.faults import Faults, parse_faults
from pytest_meshscale.sim.meshes.cilium_ipsec.keys import aead, key_id, min_encrypt_key, secret_line
from pytest_meshscale.sim.perf.params import load_params

SCHEMA = Path(__file__).resolve().parents[2] / ".." / "shared" / "upstream" / "crd-schemas" / "cilium.io" / \
    "ciliumnode_v2.json"
LINE = "3+ rfc4106(gcm(aes)) " + "ab" * 20 + " 128"


@pytest.mark.parametrize(("line", "kid", "algorithm"), [
    (LINE, 3, "rfc4106(gcm(aes))"),
    ("15 rfc4106(gcm(aes)) 00 128", 15, "rfc4106(gcm(aes))"),
    ("rfc4106(gcm(aes)) 00 128", 0, "00"),  # no key id: the agent's default 0
    ("16+ rfc4106(gcm(aes)) 00 128", 0, "rfc4106(gcm(aes))"),  # out of 1..15
    ("", 0, ""),
])
def test_key_lines_parse_as_the_agent_reads_them(line: str, kid: int, algorithm: str) -> None:
    assert (key_id(line), aead(line)) == (kid, algorithm)


def test_the_secret_line_comes_from_string_data_or_base64_data() -> None:
    import base64

    assert secret_line({"stringData": {"keys": LINE}}) == LINE
    assert secret_line({"data": {"keys": base64.b64encode(LINE.encode()).decode()}}) == LINE
    assert secret_line(None) == "" and secret_line({"data": {"keys": "%%%"}}) == ""


@pytest.mark.parametrize(("local", "peer", "key"), [
    (3, 3, 3), (3, 4, 3), (4, 3, 3),  # rotation: the older key both ends still have
    (15, 1, 15), (1, 15, 15), (15, 3, 3),  # after the rollover 15 -> 1, 15 is the older key
    (0, 3, 0), (3, 0, 0),  # "zero will always be returned if either local or peer have the zero key"
])
def test_min_encrypt_key_is_bpf_get_min_encrypt_key(local: int, peer: int, key: int) -> None:
    assert min_encrypt_key(local, peer) == key


def _ipsec_world(keys: dict[str, int | None], routing: str = "tunnel") -> World:
    w, _, _ = seed_world()
    w.ns("kube-system")
    w.add("configmaps", {"metadata": {"name": "cilium-config", "namespace": "kube-system"},
                         "data": {"enable-ipsec": "true", "enable-wireguard": "false", "routing-mode": routing}})
    w.add("secrets", {"metadata": {"name": "cilium-ipsec-keys", "namespace": "kube-system"},
                      "stringData": {"keys": LINE}})
    for i, (node, key) in enumerate(keys.items()):
        def set_key(o: dict[str, Any], key: int | None = key, i: int = i) -> None:
            o["metadata"]["annotations"].clear()
            o["spec"] = {"encryption": {} if key is None else {"key": key},
                         "addresses": [{"type": "CiliumInternalIP", "ip": f"10.128.{i}.1"}]}
        w.store.mutate("ciliumnodes.cilium.io", None, node, set_key)
    return w


def test_esp_between_the_cilium_internal_ips_in_tunnel_mode_and_plaintext_on_one_node() -> None:
    w = _ipsec_world({"client-1": 3, "server-1": 3, "server-2": 3})
    client, a, _ = pods(w)
    view = plane(w, "cilium-ipsec").wire(client, a, 8080)
    assert (view.protocol, view.encrypted, view.transport, view.src_addr, view.dst_addr, view.fips) == (
        "ipsec", True, "esp", "10.128.0.1", "10.128.1.1", True)
    assert "SPI 3" in view.reason
    w.pod("ns-001", "neighbour", "server-1", {"app": "x"})
    same = plane(w, "cilium-ipsec").wire(w.store.get("pods", "ns-001", "neighbour"), a, 8080)
    assert not same.encrypted and same.same_node


def test_native_routing_uses_the_node_ips_and_a_cbc_key_is_not_fips() -> None:
    w = _ipsec_world({"client-1": 3, "server-1": 3, "server-2": 3}, routing="native")
    w.store.mutate("secrets", "kube-system", "cilium-ipsec-keys",
                   lambda o: o.update(stringData={"keys": "3+ hmac(sha256) 00 cbc(aes) 00"}))
    client, a, _ = pods(w)
    view = plane(w, "cilium-ipsec").wire(client, a, 8080)
    assert (view.src_addr, view.dst_addr, view.fips) == ("192.168.0.10", "192.168.0.11", False)


def test_a_node_without_a_key_gets_plaintext_from_every_node_and_a_rotation_does_not() -> None:
    w = _ipsec_world({"client-1": 4, "server-1": 3, "server-2": None})
    client, a, b = pods(w)
    dp = plane(w, "cilium-ipsec")
    assert "SPI 3" in dp.wire(client, a, 8080).reason  # 4 vs 3: mid-rotation, the old key
    view = dp.wire(client, b, 8080)
    assert not view.encrypted and "server-2 reports IPsec key 0" in view.reason


def test_the_cilium_model_hands_an_ipsec_config_to_the_ipsec_wire() -> None:
    w = _ipsec_world({"client-1": 3, "server-1": 3, "server-2": 3})
    client, a, _ = pods(w)
    assert plane(w, "cilium").wire(client, a, 8080).protocol == "ipsec"


def test_the_fault_is_a_known_name() -> None:
    assert parse_faults(["ipsec-key-missing"], env=False) == Faults(ipsec_key_missing=True)
    assert Faults(ipsec_key_missing=True).names() == ["ipsec-key-missing"]


@pytest.mark.parametrize("missing", [False, True])
def test_the_world_installs_ipsec_and_every_ciliumnode_reports_the_secrets_key(missing: bool) -> None:
    world = start_world("cilium-ipsec", Faults(ipsec_key_missing=missing))
    try:
        store = world.store
        config = store.get("configmaps", "kube-system", "cilium-config")["data"]
        assert (config["enable-ipsec"], config["enable-wireguard"], config["dnsproxy-enable-transparent-mode"],
                config["enable-l7-proxy"]) == ("true", "false", "true", "true")
        line = secret_line(store.get("secrets", "kube-system", "cilium-ipsec-keys"))
        assert key_id(line) == 3 and aead(line) == "rfc4106(gcm(aes))" and len(line.split()[2]) == 40
        agent = store.get("daemonsets.apps", "kube-system", "cilium")
        assert agent["spec"]["template"]["spec"]["containers"][0]["image"] == "quay.io/cilium/cilium:v1.16.4"
        nodes = store.list("ciliumnodes.cilium.io")[0]
        keys = {c["metadata"]["name"]: c["spec"]["encryption"].get("key", 0) for c in nodes}
        assert not any(c["metadata"]["annotations"] for c in nodes)  # WireGuard is off: no public keys
        servers = sorted(n for n in keys if "-server-" in n)
        assert sorted(n for n, k in keys.items() if not k) == ([servers[-1]] if missing else [])
        assert {k for k in keys.values() if k} == {3}
        if SCHEMA.is_file():
            validator = Draft7Validator(json.loads(SCHEMA.read_text()))
            assert [e.message for c in nodes for e in validator.iter_errors(c)] == []
    finally:
        world.stop()


def test_its_perf_paths_have_parameters_with_sources() -> None:
    params = load_params()
    assert params.paths["cilium-ipsec-l4"].median_s < params.paths["cilium-l4"].median_s
    assert params.qps_per_server_core["cilium-ipsec-l7"] == params.qps_per_server_core["cilium-l7"]
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "fixtures" / "meshes" / "cilium-ipsec" /
                           "sim-perf.yaml").read_text())
    assert set(data["paths"]) == {"cilium-ipsec-l4", "cilium-ipsec-l7"}
    assert all("source" in p for p in data["paths"].values())
    assert "benchmark" in data["paths"]["cilium-ipsec-l4"]["source"]
    assert "single CPU core" in data["capacity"]["qps_per_server_core_source"]
