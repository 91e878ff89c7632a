"""The proxy injector (linkerd2 controller/proxy-injector), as a mutating webhook on pod creation: a pod is
injected when its namespace or its own template carries `linkerd.io/inject: enabled` and the pod does not say
`disabled` (linkerd.io/2-edge/features/proxy-injection); it gets the linkerd-proxy container, the labels
`linkerd.io/control-plane-ns` and `linkerd.io/proxy-<owner kind>`, and the namespace's `config.linkerd.io/*`
annotations copied onto the pod, which is why `config.linkerd.io/default-inbound-policy` is fixed at pod creation.
The linkerd-init container (iptables, NET_ADMIN/NET_RAW) is not added: the sim's pods run no iptables."""

from __future__ import annotations

from typing import Any

from .components import CONTROL_PLANE_NS, IMAGE_TAG, NAMESPACE, PROXY, proxy_container

__all__ = ["INJECT", "inject_pod", "meshed"]

INJECT = "linkerd.io/inject"
CONFIG_PREFIX = "config.linkerd.io/"
Obj = dict[str, Any]


def meshed(pod: Obj | None) -> bool:
    """The pod runs a Linkerd proxy (injected, or templated in like the control plane's)."""
    return pod is not None and any(c.get("name") == PROXY for c in (pod.get("spec") or {}).get("containers") or [])


def inject_pod(store: Any, pod: Obj) -> None:
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    ns_meta = (store.try_get("namespaces", None, meta.get("namespace", "")) or {}).get("metadata") or {}
    ns_annotations = ns_meta.get("annotations") or {}
    annotations = dict(meta.get("annotations") or {})
    wanted = annotations.get(INJECT, ns_annotations.get(INJECT, ""))
    if wanted != "enabled" or meshed(pod) or spec.get("hostNetwork"):
        return
    copied = {k: v for k, v in ns_annotations.items() if k.startswith(CONFIG_PREFIX) and k not in annotations}
    owner: Obj = next(iter(meta.get("ownerReferences") or []), {})
    labels = {**(meta.get("labels") or {}), CONTROL_PLANE_NS: NAMESPACE}
    if owner:
        labels[f"linkerd.io/proxy-{str(owner.get('kind', '')).lower()}"] = str(owner.get("name", ""))
    pod["metadata"] = {**meta, "labels": labels, "annotations": {
        **annotations, **copied, "linkerd.io/proxy-version": IMAGE_TAG, "linkerd.io/identity-mode": "default"}}
    pod["spec"] = {**spec, "containers": [*(spec.get("containers") or []), proxy_container()]}
