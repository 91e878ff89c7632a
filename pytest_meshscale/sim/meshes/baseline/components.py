"""The baseline cluster: no mesh, a plain CNI that enforces Kubernetes NetworkPolicy (L3/L4 only, no
encryption), as AKS with `--network-plugin azure --network-policy azure` runs it (Azure NPM DaemonSet).

The ConfigMap `kube-system/meshscale-sim-cni` says so for a reader and for the data plane model.
"""

from __future__ import annotations

from ...components.build import configmap, container, create_all, daemonset
from ...store import Store

__all__ = ["CNI_CONFIGMAP", "install_baseline"]

CNI_CONFIGMAP = "meshscale-sim-cni"


def install_baseline(store: Store) -> None:
    npm = container("azure-npm", "mcr.microsoft.com/containernetworking/azure-npm:v1.5.34", "250m", "300Mi")
    info = configmap(CNI_CONFIGMAP, "kube-system", {
        "cni": "azure-cni", "networkPolicy": "azure-npm", "enforces": "NetworkPolicy (ingress and egress, L3/L4)",
        "encryption": "none", "simulated": "true"}, {"app.kubernetes.io/part-of": "meshscale-sim"})
    create_all(store, [info, daemonset("azure-npm", "kube-system", {"k8s-app": "azure-npm"}, {"k8s-app": "azure-npm"},
                                       [npm], hostNetwork=True, serviceAccountName="azure-npm")])
