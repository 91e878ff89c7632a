"""Cilium IPsec's own promises, beyond the wire check every mesh gets (test_wire.py):

- every node reports an IPsec key index on its CiliumNode (spec.encryption.key, "0 if encryption is
  disabled"), and the indices are one key or one rotation apart: a node at 0 is neither encrypted to nor
  encrypts (bpf/lib/encrypt.h get_min_encrypt_key: "zero will always be returned if either local or peer
  have the zero key indicating no encryption");
- traffic that an L7 policy sends through Cilium's Envoy is still ESP on the wire. This is where the seed's
  "L7 policy ... incompatible with IPsec" came from: the IPsec guide listed L7-egress connections in native
  routing as unencrypted (GHSA-j89h-qrvr-xc36) until PR #32683/#32906, so it is measured here, not assumed.
"""

import pytest

from pytest_meshscale.meshes.cilium_ipsec.facts import key_indices, key_mismatch


@pytest.mark.mesh_requires("ipsec")  # `mesh` is asked for so the requirement is checked
def test_every_node_reports_its_ipsec_key(cluster, mesh):
    keys = key_indices(cluster)
    missing = sorted(node for node, key in keys.items() if not key)
    assert not missing, (
        f"{len(missing)} of {len(keys)} nodes report no IPsec key (CiliumNode spec.encryption.key = 0), so "
        f"traffic to and from them is not encrypted: {missing[:5]}"
    )
    assert not key_mismatch(keys), key_mismatch(keys)


@pytest.mark.mesh_requires("ipsec", "l7-policy")  # one marker: the closest one is what is checked
def test_traffic_through_the_l7_proxy_is_still_esp(mesh, policy, probe, wire):
    case = policy.load("seed-l7")
    policy.apply(case)
    expected, result = probe.matrix(case)
    diffs = expected.compare(result.observed)
    assert not diffs, f"seed-l7 is not in force, so no request would pass the L7 proxy: {diffs[:3]}"
    facts = mesh.driver.encryption(mesh.info)
    seen = wire(facts)
    assert seen.control.packets > 0, f"no {facts.mechanism} packets under the L7 policy ({seen.control.filter})"
    plain = seen.plain
    assert plain.packets == 0, f"{plain.packets} plaintext packets through the L7 proxy ({plain.filter})"
