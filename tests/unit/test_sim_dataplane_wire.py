"""Encryption on the wire per mesh, FIPS markers, baseline NetworkPolicy, and the plaintext/wg faults."""

from __future__ import annotations

from typing import Any

from test_sim_dataplane_world import AMBIENT, World, plane, seed_world

from pytest_meshscale.sim.dataplane import Verdict


def pods(w: World) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    get = w.store.get
    return (
        get("pods", "ns-001", "fortio-client"),
        get("pods", "ns-001", "loadservice-a"),
        get("pods", "ns-001", "loadservice-b"),
    )


def test_wireguard_between_nodes_and_plaintext_on_one_node() -> None:
    w, _, _ = seed_world()
    client, a, b = pods(w)
    dp = plane(w, "cilium")
    view = dp.wire(client, a, 8080)
    assert (view.protocol, view.transport, view.port, view.dst_addr) == ("wireguard", "udp", 51871, "192.168.0.11")
    w.pod("ns-001", "neighbour", "server-1", {"app": "x"})
    same = dp.wire(w.store.get("pods", "ns-001", "neighbour"), a, 8080)
    assert not same.encrypted and same.same_node


def test_wg_peer_missing_node_without_key_is_plaintext() -> None:
    w, _, _ = seed_world()
    client, a, b = pods(w)
    w.store.mutate("ciliumnodes.cilium.io", None, "server-2", lambda o: o["metadata"]["annotations"].clear())
    dp = plane(w, "cilium", wg_peer_missing=True)
    assert dp.wire(client, a, 8080).encrypted
    view = dp.wire(client, b, 8080)
    assert not view.encrypted and "server-2 has no WireGuard key" in view.reason


def test_plaintext_fault_turns_every_mesh_plaintext() -> None:
    w, _, _ = seed_world(AMBIENT)
    client, a, _ = pods(w)
    for mesh in ("cilium", "istio-ambient"):
        assert plane(w, mesh).wire(client, a, 8080).encrypted
        assert plane(w, mesh, plaintext=True).wire(client, a, 8080).protocol == "plaintext"


def test_ambient_hbone_tls13_by_default_and_tls12_only_with_the_fips_trio() -> None:
    w, _, _ = seed_world(AMBIENT)
    client, a, _ = pods(w)
    view = plane(w, "istio-ambient").wire(client, a, 8080)
    assert (view.protocol, view.port, view.tls_version, view.cipher, view.fips) == (
        "hbone-mtls",
        15008,
        "TLSv1.3",
        "TLS_AES_256_GCM_SHA384",
        False,
    )
    w.ns("istio-system")
    env = [{"name": "COMPLIANCE_POLICY", "value": "fips-140-2"}]
    w.add(
        "deployments.apps",
        {
            "metadata": {"name": "istiod", "namespace": "istio-system"},
            "spec": {
                "template": {"spec": {"containers": [{"name": "discovery", "image": "istio/pilot:1.28.0", "env": env}]}}
            },
        },
    )
    zt_env = [{"name": "TLS12_ENABLED", "value": "true"}]
    ztunnel = {
        "metadata": {"name": "ztunnel", "namespace": "istio-system"},
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "istio-proxy", "image": "istio/ztunnel:1.28.0", "env": zt_env}]}
            }
        },
    }
    w.add("daemonsets.apps", ztunnel)
    assert plane(w, "istio-ambient").wire(client, a, 8080).tls_version == "TLSv1.3"  # no FIPS provider yet
    w.store.mutate(
        "daemonsets.apps",
        "istio-system",
        "ztunnel",
        lambda o: o["spec"]["template"]["spec"]["containers"][0].update(image="istio/ztunnel:1.28.0-fips"),
    )
    view = plane(w, "istio-ambient").wire(client, a, 8080)
    assert (view.tls_version, view.cipher, view.fips) == ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384", True)


def test_ambient_uncaptured_pair_is_plaintext() -> None:
    w, _, _ = seed_world()
    client, a, _ = pods(w)
    assert plane(w, "istio-ambient").wire(client, a, 8080).protocol == "plaintext"


def test_baseline_enforces_networkpolicy_only_and_never_l7() -> None:
    w, client, other = seed_world()
    client_, a, _ = pods(w)
    w.add(
        "networkpolicies.networking.k8s.io",
        {
            "metadata": {"name": "np", "namespace": "ns-001"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "loadservice"}},
                "ingress": [
                    {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ns-009"}}}]}
                ],
            },
        },
    )
    dp = plane(w, "baseline")
    out = dp.decide(client, "loadservice", 8080, "DELETE", "/anything")
    assert (out.verdict, out.how, out.by) == (Verdict.DENY_L4, "timeout", "CNI (NetworkPolicy)")
    assert dp.wire(client_, a, 8080).protocol == "plaintext"
    assert dp.admits_apiserver_proxy(client, 8080)  # the client pod is not isolated
