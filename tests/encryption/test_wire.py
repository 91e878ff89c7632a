"""Traffic between pods on different nodes is encrypted on the wire as the mesh promises.

Two captures on the server's node while the client sends requests: the app port between the two pod IPs
must show no packet (no plaintext; where the mesh's mTLS shares the app port, as sidecars' does, no packet
starting a plaintext HTTP request), and the mesh's encrypted channel (the port and endpoints its driver names,
or TLS records on the app port) must show packets in the same kind of window, which proves the capture sees
this traffic at all, so the zero above is not a blind filter."""

import pytest


def test_no_plaintext_between_nodes(mesh, wire):
    facts = mesh.driver.encryption(mesh.info)
    if facts.mechanism == "none":
        pytest.skip(f"{mesh.name}: {facts.fips_reason}")
    if not facts.capturable:
        pytest.skip(f"{mesh.name}: no capture filter for {facts.mechanism} yet (its driver names no port)")
    seen = wire(facts)
    plain = seen.plain  # first: plaintext seen is a finding whatever the control says
    assert plain.packets == 0, f"{plain.packets} plaintext packets on the wire between nodes ({plain.filter})"
    blind = f"the capture saw no {facts.mechanism} packets either: it proves nothing ({seen.control.filter})"
    assert seen.control.packets > 0, blind
