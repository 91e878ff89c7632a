"""Each mesh's own encryption promise: Istio ambient HBONE mTLS (and STRICT rejecting plaintext),
Cilium WireGuard with a peer for every other node; and the FIPS verdict, stated as a fact."""

import time

import pytest

from pytest_meshscale.cluster.base import RUN_LABEL
from pytest_meshscale.encryption import server_pods, tls_handshake, wireguard_keys
from pytest_meshscale.meshes.render_istio import render_strict_mtls
from pytest_meshscale.policy_files import proxy_access
from pytest_meshscale.workloads import SERVER_PORT

FIPS_TLS12 = {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
              "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"}


@pytest.mark.mesh_requires("mtls")
def test_hbone_port_speaks_mtls(cluster, mesh, cross_node_pair):
    server = cross_node_pair.server
    ns, node = server["metadata"]["namespace"], server["spec"]["nodeName"]
    hs = tls_handshake(cluster, ns, node, f"{cross_node_pair.server_ip}:15008")
    assert hs.ok, f"no TLS handshake on HBONE port 15008 of {server['metadata']['name']}:\n{hs.log[-600:]}"
    if "fips" in mesh.info.features:
        fips_ok = hs.protocol == "TLSv1.2" and hs.cipher in FIPS_TLS12
        assert fips_ok, f"FIPS mode negotiated {hs.protocol} {hs.cipher}"
    else:
        assert hs.protocol == "TLSv1.3", f"ztunnel negotiated {hs.protocol} {hs.cipher}"


@pytest.mark.mesh_requires("mtls")
def test_strict_peer_authentication_rejects_plaintext(cluster, policy, fleet, run_id):
    """The API server's pod proxy is a plaintext client outside the mesh: STRICT must turn it away."""
    ns = fleet.namespaces[0]
    pod = server_pods(cluster, ns)[0]["metadata"]["name"]
    before = cluster.proxy_get(pod, ns, SERVER_PORT, "/")
    assert before.status == 200, f"plaintext reached {ns}/{pod} before STRICT? HTTP {before.status}"
    policy.apply_manifests(render_strict_mtls([ns], {RUN_LABEL: run_id}, proxy_access=proxy_access()))
    deadline = time.monotonic() + 30
    while (after := cluster.proxy_get(pod, ns, SERVER_PORT, "/")).status == 200:
        assert time.monotonic() < deadline, "STRICT mTLS still accepts plaintext after 30 s"
        time.sleep(0.5)
    assert after.status >= 500, f"expected the plaintext connection refused (5xx from the proxy), got {after.status}"


@pytest.mark.mesh_requires("wireguard")
def test_wireguard_peers_are_nodes_minus_one(cluster, mesh):
    keys = wireguard_keys(cluster)
    missing = [node for node, has_key in keys.items() if not has_key]
    peers = sum(keys.values()) - 1
    assert not missing, (
        f"{len(missing)} of {len(keys)} nodes publish no WireGuard key, so every node has {peers} peers "
        f"instead of {len(keys) - 1}: {missing[:5]}"
    )


def test_fips_verdict(mesh, meshscale_settings):
    facts = mesh.driver.encryption(mesh.info)
    capable = "FIPS-capable" if facts.fips_capable else "not FIPS"
    verdict = f"{mesh.name} {mesh.info.version}: {capable}: {facts.fips_reason}"
    print(verdict)
    if meshscale_settings.profile.requires_fips:
        assert facts.fips_capable, f"the profile requires FIPS; {verdict}"
