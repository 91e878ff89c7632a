"""Each mesh's own encryption promise, as its driver states it: mTLS on the mesh's encrypted port (and a
STRICT mode rejecting plaintext), node-to-node encryption with a peer for every other node; and the FIPS
verdict, stated as a fact."""

import time

import pytest

from pytest_meshscale.cluster.base import RUN_LABEL
from pytest_meshscale.model.fleet_names import proxy_access
from pytest_meshscale.scenario.encryption import server_pods, tls_handshake
from pytest_meshscale.scenario.workloads import SERVER_PORT

FIPS_TLS12 = {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
              "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"}


@pytest.mark.mesh_requires("mtls")
def test_encrypted_port_speaks_mtls(cluster, mesh, cross_node_pair):
    server = cross_node_pair.server
    ns, node = server["metadata"]["namespace"], server["spec"]["nodeName"]
    facts = mesh.driver.encryption(mesh.info)
    port = facts.channel_port(SERVER_PORT)
    hs = tls_handshake(cluster, ns, node, f"{cross_node_pair.server_ip}:{port}", facts.alpn, facts.probe_labels)
    where = f"{facts.mechanism} port {port} of {server['metadata']['name']}"
    assert hs.ok, f"no TLS handshake on {where}:\n{hs.log[-600:]}"
    if "fips" in mesh.info.features:
        fips_ok = hs.protocol == "TLSv1.2" and hs.cipher in FIPS_TLS12
        assert fips_ok, f"FIPS mode negotiated {hs.protocol} {hs.cipher}"
    else:
        assert hs.protocol == "TLSv1.3", f"{where} negotiated {hs.protocol} {hs.cipher}"


@pytest.mark.mesh_requires("mtls")
def test_strict_mtls_rejects_plaintext(cluster, mesh, policy, fleet, run_id):
    """The API server's pod proxy is a plaintext client outside the mesh: STRICT must turn it away."""
    ns = fleet.namespaces[0]
    pod = server_pods(cluster, ns)[0]["metadata"]["name"]
    before = cluster.proxy_get(pod, ns, SERVER_PORT, "/")
    assert before.status == 200, f"plaintext reached {ns}/{pod} before STRICT? HTTP {before.status}"
    policy.apply_manifests(mesh.driver.strict_mtls([ns], {RUN_LABEL: run_id}, proxy_access()))
    deadline = time.monotonic() + 30
    while (after := cluster.proxy_get(pod, ns, SERVER_PORT, "/")).status == 200:
        assert time.monotonic() < deadline, "STRICT mTLS still accepts plaintext after 30 s"
        time.sleep(0.5)
    # refused: the connection reset (the API server answers 5xx), or a 403 from a proxy that parses HTTP there
    # (Linkerd: "traffic that is known to be HTTP ... denied by policy" is answered 403, features/server-policy)
    refused = after.status >= 500 or after.status == 403
    assert refused, f"expected the plaintext request refused (5xx, or 403 from the proxy), got {after.status}"


@pytest.mark.mesh_requires("wireguard")
def test_wireguard_peers_are_nodes_minus_one(cluster, mesh):
    keys = mesh.driver.encryption_peers(cluster)
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
