"""Traffic between pods on different nodes is encrypted on the wire as the mesh promises.

Two captures on the server's node while the client sends requests: the app port between the two pod IPs
must show no packet (no plaintext), and the mesh's encrypted channel must show packets in the same kind of
window (HBONE on 15008 for Istio ambient; WireGuard UDP 51871 between the nodes for Cilium), which proves
the capture sees this traffic at all, so the zero above is not a blind filter."""

import pytest

from pytest_meshscale.encryption import capture_during_traffic
from pytest_meshscale.report import attach_manifests
from pytest_meshscale.workloads import SERVER_PORT


def _encrypted_filter(facts, pair) -> str:
    if facts.mechanism == "hbone-mtls":
        return f"src host {pair.client_ip} and dst host {pair.server_ip} and tcp port {facts.encrypted_port}"
    return f"dst host {pair.server_node_ip} and udp port {facts.encrypted_port}"


def test_no_plaintext_between_nodes(cluster, mesh, cross_node_pair):
    facts = mesh.driver.encryption(mesh.info)
    if facts.mechanism in ("none", "ipsec"):
        pytest.skip(f"{mesh.name}: {facts.fips_reason if facts.mechanism == 'none' else 'IPsec capture not built'}")
    pair = cross_node_pair
    plaintext_filter = f"src host {pair.client_ip} and dst host {pair.server_ip} and tcp port {SERVER_PORT}"
    plain = capture_during_traffic(cluster, pair.client, pair.server, plaintext_filter)
    control = capture_during_traffic(cluster, pair.client, pair.server, _encrypted_filter(facts, pair))
    attach_manifests({"captures": f"# plaintext filter\n{plain.log}\n# encrypted-channel control\n{control.log}"})
    blind = f"the capture saw no {facts.mechanism} packets either: it proves nothing ({control.filter})"
    assert control.packets > 0, blind
    assert plain.packets == 0, f"{plain.packets} plaintext packets on the wire between nodes ({plain.filter})"
