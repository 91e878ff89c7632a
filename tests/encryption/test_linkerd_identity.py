"""Linkerd's own encryption promise beyond the wire check every mesh gets (test_wire.py): every meshed workload of
the fleet holds an mTLS identity certificate, as the identity controller's IssuedLeafCertificate events show
(pytest_meshscale/meshes/linkerd/identity.py). A workload without one cannot take part in mTLS at all: meshed
clients fail to reach it. Linkerd's counterpart of Cilium's WireGuard-peers check."""

import pytest

from pytest_meshscale.meshes.linkerd.identity import missing_identities


@pytest.mark.mesh_requires("mtls")
def test_every_meshed_workload_holds_its_linkerd_identity(cluster, mesh, fleet):
    if mesh.name != "linkerd":
        pytest.skip(f"{mesh.name}: Linkerd's identity controller is not what issues its certificates")
    missing = missing_identities(cluster, fleet.namespaces)
    assert not missing, (
        f"{len(missing)} meshed workload identities hold no valid certificate, so mTLS to their pods fails: "
        + "; ".join(f"{name}: {why}" for name, why in list(missing.items())[:5])
    )
