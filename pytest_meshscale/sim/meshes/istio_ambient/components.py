"""Istio ambient as `helm install` of base, istiod (profile=ambient), cni and ztunnel leaves it (1.24).

Names, labels, containers and requests follow istio/istio manifests/charts (istiod deployment.yaml,
ztunnel and istio-cni daemonset.yaml; ../domain/istio-and-scenario.md §2.7). istiod is pinned to the
client pool as the seed's istiod-values.yaml did. A driver finds the version where it would on a real
cluster: the istiod image tag, and the istiod Deployment's `app.kubernetes.io/version` /
`helm.sh/chart` labels; `istio.io/rev` names the revision. COMPLIANCE_POLICY is not set (the default).
"""

from __future__ import annotations

from ....model import Profile
from ...components.build import (
    Obj,
    client_placement,
    configmap,
    container,
    create_all,
    daemonset,
    deployment,
    namespace,
    service,
)
from ...store import Store

__all__ = ["ISTIO_NS", "ISTIO_VERSION", "install_istio", "istio_labels"]

ISTIO_VERSION = "1.24.2"
ISTIO_NS = "istio-system"
HUB = "docker.io/istio"
NOT_MESHED = {"sidecar.istio.io/inject": "false", "istio.io/dataplane-mode": "none"}
MESH_CONFIG = """defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
defaultProviders:
  metrics:
  - prometheus
enablePrometheusMerge: true
rootNamespace: istio-system
trustDomain: cluster.local
"""


def istio_labels(chart: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": chart,
        "app.kubernetes.io/instance": chart,
        "app.kubernetes.io/part-of": "istio",
        "app.kubernetes.io/version": ISTIO_VERSION,
        "app.kubernetes.io/managed-by": "Helm",
        "helm.sh/chart": f"{chart}-{ISTIO_VERSION}",
    }


def _istiod(profile: Profile) -> list[Obj]:
    labels = {
        **istio_labels("istiod"),
        "app": "istiod",
        "istio": "pilot",
        "istio.io/rev": "default",
        "install.operator.istio.io/owning-resource": "unknown",
        "operator.istio.io/component": "Pilot",
        "release": "istiod",
    }
    env = {
        "REVISION": "default",
        "PILOT_CERT_PROVIDER": "istiod",
        "CLUSTER_ID": "Kubernetes",
        "PILOT_ENABLE_AMBIENT": "true",
        "CA_TRUSTED_NODE_ACCOUNTS": "istio-system/ztunnel,kube-system/ztunnel",
        "PILOT_TRACE_SAMPLING": "1",
        "ISTIOD_ADDR": "istiod.istio-system.svc:15012",
        "PLATFORM": "",
    }
    discovery = container(
        "discovery",
        f"{HUB}/pilot:{ISTIO_VERSION}",
        "500m",
        "2048Mi",
        {"http-debug": 8080, "grpc-xds": 15010, "tls-xds": 15012, "https-webhooks": 15017, "http-monitoring": 15014},
        env,
        [
            "discovery",
            "--monitoringAddr=:15014",
            "--log_output_level=default:info",
            "--domain",
            "cluster.local",
            "--keepaliveMaxServerConnectionAge",
            "30m",
        ],
    )
    selector = {"app": "istiod", "istio": "pilot"}
    deploy = deployment(
        "istiod", ISTIO_NS, labels, selector, [discovery], serviceAccountName="istiod", **client_placement(profile)
    )
    deploy["spec"]["template"]["metadata"]["labels"].update(NOT_MESHED)
    ports = {
        "grpc-xds": (15010, 15010),
        "https-dns": (15012, 15012),
        "https-webhook": (443, 15017),
        "http-monitoring": (15014, 15014),
    }
    return [deploy, service("istiod", ISTIO_NS, labels, selector, ports)]


def _ztunnel() -> Obj:
    labels = {**istio_labels("ztunnel"), "app": "ztunnel", **NOT_MESHED}
    env = {
        "CA_ADDRESS": "istiod.istio-system.svc:15012",
        "XDS_ADDRESS": "istiod.istio-system.svc:15012",
        "RUST_LOG": "info",
        "ISTIO_META_CLUSTER_ID": "Kubernetes",
        "INPOD_ENABLED": "true",
        "TERMINATION_GRACE_PERIOD_SECONDS": "30",
        "ISTIO_META_ENABLE_HBONE": "true",
    }
    proxy = container(
        "istio-proxy",
        f"{HUB}/ztunnel:{ISTIO_VERSION}",
        "200m",
        "512Mi",
        {"ztunnel-stats": 15020},
        env,
        ["proxy", "ztunnel"],
    )
    return daemonset("ztunnel", ISTIO_NS, labels, {"app": "ztunnel"}, [proxy], serviceAccountName="ztunnel")


def _cni() -> Obj:
    labels = {**istio_labels("istio-cni"), "k8s-app": "istio-cni-node", **NOT_MESHED}
    cni = container(
        "install-cni",
        f"{HUB}/install-cni:{ISTIO_VERSION}",
        "100m",
        "100Mi",
        {"metrics": 15014},
        {"AMBIENT_ENABLED": "true", "CNI_NETWORK_CONFIG": "istio-cni-config"},
        ["install-cni"],
    )
    return daemonset(
        "istio-cni-node",
        ISTIO_NS,
        labels,
        {"k8s-app": "istio-cni-node"},
        [cni],
        serviceAccountName="istio-cni",
        hostNetwork=True,
    )


def _gateway_classes() -> list[Obj]:
    accepted = {
        "type": "Accepted",
        "status": "True",
        "reason": "Accepted",
        "message": "Handled by Istio controller",
        "observedGeneration": 1,
        "lastTransitionTime": "1970-01-01T00:00:00Z",
    }
    return [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "GatewayClass",
            "metadata": {"name": name, "labels": {"istio.io/rev": "default"}},
            "spec": {"controllerName": controller, "description": description},
            "status": {"conditions": [accepted]},
        }
        for name, controller, description in (
            ("istio-waypoint", "istio.io/mesh-controller", "The default Istio waypoint GatewayClass"),
            ("istio", "istio.io/gateway-controller", "The default Istio GatewayClass"),
        )
    ]


def install_istio(store: Store, profile: Profile) -> None:
    mesh_cm = configmap(
        "istio",
        ISTIO_NS,
        {"mesh": MESH_CONFIG, "meshNetworks": "networks: {}"},
        {**istio_labels("istiod"), "istio.io/rev": "default"},
    )
    create_all(store, [namespace(ISTIO_NS), mesh_cm, *_istiod(profile), _ztunnel(), _cni(), *_gateway_classes()])
