"""Cilium 1.16.1 as the seed installed it: `helm install cilium cilium/cilium --version 1.16.1
--set aksbyocni.enabled=true --set nodeinit.enabled=true --set encryption.enabled=true
--set encryption.type=wireguard --set l7Proxy=true --set ciliumEndpointSlice.enabled=true`
(../domain/cilium-and-policy.md §0, §2).

Objects: DaemonSets cilium (container cilium-agent), cilium-envoy (external Envoy is the 1.16 default)
and cilium-node-init, Deployment cilium-operator, ConfigMap cilium-config with the keys those values
render, and one CiliumNode per Node carrying its WireGuard public key in the annotation
`network.cilium.io/wg-pub-key` (the wg-peer-missing fault leaves the last server node without one).
The chart sets no resource requests for the agent, operator or Envoy, so none are set here.
cilium-config has no version key; the version is the cilium DaemonSet's image tag (as `cilium version`
reads it).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterable, Mapping, Sequence

from ....model import Profile
from ...components.build import configmap, container, create_all, daemonset, deployment
from ...controllers.manager import Key
from ...controllers.objects import Obj, meta
from ...faults import Faults
from ...store import ApiError, Store

__all__ = ["CILIUM_VERSION", "CiliumNodeController", "WG_KEY", "cilium_config", "install_cilium", "keyless_node"]

CILIUM_VERSION = "1.16.1"
WG_KEY = "network.cilium.io/wg-pub-key"
KS = "kube-system"
PART_OF = {"app.kubernetes.io/part-of": "cilium"}


def cilium_config() -> dict[str, str]:
    """The cilium-config keys the seed's helm values render (real key names of Cilium 1.16)."""
    return {
        "cluster-name": "default", "cluster-id": "0", "identity-allocation-mode": "crd",
        "enable-policy": "default", "enable-k8s-networkpolicy": "true",
        "enable-ipv4": "true", "enable-ipv6": "false",
        "routing-mode": "tunnel", "tunnel-protocol": "vxlan",  # aksbyocni.enabled=true
        "ipam": "cluster-pool", "cluster-pool-ipv4-cidr": "10.128.0.0/10", "cluster-pool-ipv4-mask-size": "24",
        "kube-proxy-replacement": "false",
        "enable-l7-proxy": "true", "external-envoy-proxy": "true",
        "enable-wireguard": "true", "encrypt-node": "false",
        "enable-cilium-endpoint-slice": "true",
        "enable-hubble": "true", "hubble-listen-address": ":4244",
        "enable-bpf-masquerade": "false", "cni-exclusive": "true", "debug": "false",
    }


def _agent(version: str) -> Obj:
    labels = {**PART_OF, "k8s-app": "cilium", "app.kubernetes.io/name": "cilium-agent"}
    agent = container("cilium-agent", f"quay.io/cilium/cilium:v{version}",
                      # envoy-metrics (9964) is cilium-envoy's: both are hostNetwork, one port per node
                      ports={"peer-service": 4244},
                      args=["--config-dir=/tmp/cilium/config-map"])
    return daemonset("cilium", KS, labels, {"k8s-app": "cilium"}, [agent], hostNetwork=True,
                     serviceAccountName="cilium")


def _envoy() -> Obj:
    labels = {**PART_OF, "k8s-app": "cilium-envoy", "app.kubernetes.io/name": "cilium-envoy", "name": "cilium-envoy"}
    envoy = container("cilium-envoy", "quay.io/cilium/cilium-envoy:v1.29.7", ports={"envoy-metrics": 9964})
    return daemonset("cilium-envoy", KS, labels, {"k8s-app": "cilium-envoy"}, [envoy], hostNetwork=True,
                     serviceAccountName="cilium-envoy")


def _node_init() -> Obj:
    labels = {**PART_OF, "app": "cilium-node-init", "app.kubernetes.io/name": "cilium-node-init"}
    init = container("node-init", "quay.io/cilium/startup-script:v1.16.1", "100m", "100Mi")  # nodeinit.resources
    return daemonset("cilium-node-init", KS, labels, {"app": "cilium-node-init"}, [init], hostPID=True)


def _operator(version: str) -> Obj:
    labels = {**PART_OF, "io.cilium/app": "operator", "name": "cilium-operator",
              "app.kubernetes.io/name": "cilium-operator"}
    op = container("cilium-operator", f"quay.io/cilium/operator-generic:v{version}",
                   ports={"prometheus": 9963}, args=["--config-dir=/tmp/cilium/config-map"])
    return deployment("cilium-operator", KS, labels, {"io.cilium/app": "operator", "name": "cilium-operator"},
                      [op], replicas=2, hostNetwork=True, tolerations=[{"operator": "Exists"}],
                      serviceAccountName="cilium-operator")


class CiliumNodeController:
    """What the agent and operator do per Node: a CiliumNode with addresses, pod CIDR and WireGuard key."""

    name = "ciliumnode"
    resources = ("nodes",)

    def __init__(self, store: Store, seed: int, keyless: str | None) -> None:
        self.store, self.keyless, self.seed = store, keyless, seed

    def route(self, event: str, resource: str, obj: Obj) -> Iterable[Key]:
        return [(self.name, "", meta(obj)["name"])] if resource == "nodes" and event == "ADDED" else []

    def reconcile(self, key: Key) -> None:
        node = self.store.try_get("nodes", None, key[2])
        if node is None or self.store.try_get("ciliumnodes.cilium.io", None, key[2]) is not None:
            return
        try:
            self.store.create("ciliumnodes.cilium.io", self.ciliumnode(node))
        except ApiError as exc:
            if exc.code != 409:
                raise

    def ciliumnode(self, node: Obj) -> Obj:
        m, spec = meta(node), node.get("spec") or {}
        ip = next((a["address"] for a in (node.get("status") or {}).get("addresses") or []
                   if a.get("type") == "InternalIP"), "")
        cidr = str(spec.get("podCIDR", ""))
        router = cidr.split("/")[0].rsplit(".", 1)[0] + ".1" if cidr else ""
        annotations = {} if m["name"] == self.keyless else {
            WG_KEY: base64.b64encode(random.Random(f"wg-{self.seed}-{m['name']}").randbytes(32)).decode()}
        return {
            "apiVersion": "cilium.io/v2", "kind": "CiliumNode",
            "metadata": {"name": m["name"], "labels": dict(m.get("labels") or {}), "annotations": annotations,
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": m["name"],
                                              "uid": m["uid"]}]},
            "spec": {"addresses": [{"type": "InternalIP", "ip": ip}, {"type": "CiliumInternalIP", "ip": router}],
                     "ipam": {"podCIDRs": [cidr] if cidr else []}, "health": {"ipv4": router},
                     "encryption": {}},
        }


def install_cilium(store: Store, profile: Profile, config: Mapping[str, str] | None = None,
                   version: str = CILIUM_VERSION, extra: Sequence[Obj] = ()) -> None:
    """The seed's install; a Cilium variant (another encryption) passes its cilium-config, chart version and
    the objects its install creates beside the chart (IPsec's key Secret)."""
    config = cilium_config() if config is None else config
    create_all(store, [*extra, configmap("cilium-config", KS, config, PART_OF),
                       _agent(version), _envoy(), _node_init(), _operator(version)])


def keyless_node(nodes: list[Obj], profile: Profile, faults: Faults, fault: str = "wg_peer_missing") -> str | None:
    """The node a missing-key fault (`fault`: a Faults flag) strips of its key: the last server node
    (deterministic)."""
    if not getattr(faults, fault):
        return None
    pool = profile.pool("server").name
    names = [meta(n)["name"] for n in nodes if (meta(n).get("labels") or {}).get("agentpool") == pool]
    return max(names) if names else None
