"""The Istio driver's FIPS verdict on a simulated cluster: istiod's COMPLIANCE_POLICY, ztunnel's TLS 1.2
switch and the crypto provider named in ztunnel's startup log must all hold, and the sim's wire model
agrees with what the log says (one rule, `crypto_provider`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_meshscale.cluster.errors import Target
from pytest_meshscale.cluster.kube import KubeCluster
from pytest_meshscale.cluster.ratelimit import RateLimit
from pytest_meshscale.meshes import IstioAmbientDriver
from pytest_meshscale.sim.process import SimProcess


@pytest.fixture
def cluster(tmp_path) -> Iterator[KubeCluster]:
    with SimProcess(mesh="istio-ambient", scale="smoke", kubeconfig=tmp_path / "kc") as sim:
        kube = KubeCluster(str(sim.kubeconfig), None, "fips-test", "sim", "sim-istio", RateLimit(50, 100))
        yield kube
        kube.close()


def _set_env(cluster: KubeCluster, kind: str, name: str, env: dict[str, str], image_suffix: str = "") -> None:
    obj: Any = cluster.get("apps/v1", kind, name, "istio-system")
    container = obj["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [*container.get("env", []), *({"name": k, "value": v} for k, v in env.items())]
    container["image"] += image_suffix
    # As the mesh's admin would (the run itself never changes what it did not create): a merge patch.
    path = f"/apis/apps/v1/namespaces/istio-system/{kind.lower()}s/{name}"
    cluster.api.call(Target("patch", kind, "istio-system", name), "PATCH", path, body={"spec": obj["spec"]},
                     content_type="application/merge-patch+json")


def test_fips_needs_the_boring_provider_in_ztunnel_startup_log(cluster: KubeCluster) -> None:
    driver = IstioAmbientDriver()
    plain = driver.detect(cluster)
    assert "fips" not in plain.features and "COMPLIANCE_POLICY" in plain.details["fips"]
    _set_env(cluster, "Deployment", "istiod", {"COMPLIANCE_POLICY": "fips-140-2"})
    _set_env(cluster, "DaemonSet", "ztunnel", {"TLS12_ENABLED": "true"})
    no_boring = driver.detect(cluster)
    assert "fips" not in no_boring.features and "tls-boring" in no_boring.details["fips"]
    _set_env(cluster, "DaemonSet", "ztunnel", {}, image_suffix="-fips")
    fips = driver.detect(cluster)
    assert "fips" in fips.features, fips.details
