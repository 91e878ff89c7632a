"""Traffic between pods on different nodes is encrypted on the wire as the mesh promises.

Two captures on the server's node while the client sends requests: the app port between the two pod IPs
must show no packet (no plaintext), and the mesh's encrypted channel (the port and endpoints its driver
names) must show packets in the same kind of window, which proves the capture sees this traffic at all,
so the zero above is not a blind filter."""

import pytest

from pytest_meshscale.report import attach_manifests
from pytest_meshscale.scenario.encryption import capture_during_traffic
from pytest_meshscale.scenario.workloads import SERVER_PORT


def test_no_plaintext_between_nodes(cluster, mesh, cross_node_pair):
    facts = mesh.driver.encryption(mesh.info)
    if facts.mechanism == "none":
        pytest.skip(f"{mesh.name}: {facts.fips_reason}")
    if not facts.capturable:
        pytest.skip(f"{mesh.name}: no capture filter for {facts.mechanism} yet (its driver names no port)")
    pair = cross_node_pair
    plaintext_filter = f"src host {pair.client_ip} and dst host {pair.server_ip} and tcp port {SERVER_PORT}"
    plain = capture_during_traffic(cluster, pair.client, pair.server, plaintext_filter)
    encrypted_filter = facts.capture_filter(pair.client_ip, pair.server_ip, pair.server_node_ip)
    control = capture_during_traffic(cluster, pair.client, pair.server, encrypted_filter)
    attach_manifests({"captures": f"# plaintext filter\n{plain.log}\n# encrypted-channel control\n{control.log}"})
    blind = f"the capture saw no {facts.mechanism} packets either: it proves nothing ({control.filter})"
    assert control.packets > 0, blind
    assert plain.packets == 0, f"{plain.packets} plaintext packets on the wire between nodes ({plain.filter})"
