"""Istio ambient detection on a cluster without the Gateway API CRDs: L4 and mTLS, no L7, no crash."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_meshscale.cluster.base import ClusterError, KindNotServed
from pytest_meshscale.meshes import IstioAmbientDriver

ISTIOD = {"spec": {"template": {"spec": {"containers": [{"image": "docker.io/istio/pilot:1.24.3"}]}}}}
ZTUNNEL = {"spec": {"template": {"spec": {"containers": [{"image": "docker.io/istio/ztunnel:1.24.3"}]}}}}


class NoGatewayApi:
    def __init__(self, gatewayclass_error: ClusterError) -> None:
        self.error = gatewayclass_error

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Any:
        if kind == "GatewayClass":
            raise self.error
        return {"istiod": ISTIOD, "ztunnel": ZTUNNEL}[name]

    def list(self, *args: Any) -> list[Any]:
        return []


def test_without_gateway_api_crds_istio_has_no_l7_but_is_detected() -> None:
    info = IstioAmbientDriver().detect(NoGatewayApi(KindNotServed("kind GatewayClass ... is not served")))
    assert info.version == "1.24.3" and info.features == {"l4-policy", "mtls"}


def test_other_api_failures_are_not_mistaken_for_absence() -> None:
    with pytest.raises(ClusterError, match="forbidden"):
        IstioAmbientDriver().detect(NoGatewayApi(ClusterError("get GatewayClass istio-waypoint: 403 forbidden")))
