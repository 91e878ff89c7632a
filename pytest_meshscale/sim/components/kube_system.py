"""What every AKS cluster runs whatever the mesh: the `kubernetes` Service, CoreDNS and kube-proxy.

AKS addresses: service CIDR 10.0.0.0/16, kube-dns 10.0.0.10. The API server's Endpoints point at the
address the data plane model uses for the managed control plane (dataplane.peer.APISERVER_IP).
Resource requests are AKS's CoreDNS/kube-proxy defaults (coredns 100m/70Mi, kube-proxy 100m).
"""

from __future__ import annotations

from ..store import Store
from .build import Obj, container, create_all, daemonset, deployment, service

__all__ = ["APISERVER_IP", "install_kube_system"]

APISERVER_IP = "172.31.0.1"  # kept equal to sim/dataplane/peer.py APISERVER_IP (not imported: layering)
KS = "kube-system"


def _kubernetes_service() -> list[Obj]:
    labels = {"component": "apiserver", "provider": "kubernetes"}
    svc = service("kubernetes", "default", labels, None, {"https": (443, 443)}, cluster_ip="10.0.0.1")
    endpoints = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "namespace": "default", "labels": labels},
        "subsets": [
            {"addresses": [{"ip": APISERVER_IP}], "ports": [{"name": "https", "port": 443, "protocol": "TCP"}]}
        ],
    }
    return [svc, endpoints]


def _coredns() -> list[Obj]:
    labels = {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true"}
    dns = container(
        "coredns",
        "mcr.microsoft.com/oss/kubernetes/coredns:v1.9.4-hotfix.20240704",
        "100m",
        "70Mi",
        {"dns": 53, "metrics": 9153},
        limits={"memory": "500Mi"},
    )
    return [
        deployment(
            "coredns",
            KS,
            labels,
            {"k8s-app": "kube-dns"},
            [dns],
            replicas=2,
            tolerations=[{"key": "CriticalAddonsOnly", "operator": "Exists"}],
            priorityClassName="system-node-critical",
            serviceAccountName="coredns",
        ),
        service(
            "kube-dns",
            KS,
            labels,
            {"k8s-app": "kube-dns"},
            {"dns:UDP": (53, 53), "dns-tcp": (53, 53)},
            cluster_ip="10.0.0.10",
        ),
    ]


def _kube_proxy() -> Obj:
    proxy = container("kube-proxy", "mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.30.6", "100m")
    return daemonset(
        "kube-proxy",
        KS,
        {"component": "kube-proxy", "tier": "node"},
        {"component": "kube-proxy", "tier": "node"},
        [proxy],
        hostNetwork=True,
    )


def install_kube_system(store: Store) -> None:
    create_all(store, [*_kubernetes_service(), *_coredns(), _kube_proxy()])
