"""Builders for the objects a platform team's helm installs leave behind (Deployments, DaemonSets,
Services, ConfigMaps), so each mesh's module reads as data: names, labels, containers, resources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...model import Profile
from ..server.kinds import builtin_kinds
from ..store import ApiError, Store

__all__ = [
    "TOLERATE_ALL",
    "Obj",
    "client_placement",
    "configmap",
    "container",
    "create_all",
    "daemonset",
    "deployment",
    "namespace",
    "service",
]

Obj = dict[str, Any]
# What node agents (a mesh's per-node proxy or agent, kube-proxy) tolerate so they run on every node, the
# client pool too.
TOLERATE_ALL = [{"operator": "Exists"}]


def container(
    name: str,
    image: str,
    cpu: str | None = None,
    memory: str | None = None,
    ports: Mapping[str, int] | None = None,
    env: Mapping[str, str] | None = None,
    args: list[str] | None = None,
    limits: Mapping[str, str] | None = None,
) -> Obj:
    c: Obj = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent"}
    if args:
        c["args"] = list(args)
    if ports:
        c["ports"] = [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in ports.items()]
    if env:
        c["env"] = [{"name": k, "value": v} for k, v in env.items()]
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    if requests or limits:
        c["resources"] = {"requests": requests, **({"limits": dict(limits)} if limits else {})}
    return c


def _pod_template(labels: Mapping[str, str], containers: list[Obj], **spec: Any) -> Obj:
    return {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers, **spec}}


def _meta(name: str, namespace: str, labels: Mapping[str, str]) -> Obj:
    return {"name": name, "namespace": namespace, "labels": dict(labels)}


def _workload(kind: str, name: str, namespace: str, labels: Mapping[str, str], selector: Mapping[str, str],
              containers: list[Obj], fields: Obj, pod_spec: Obj) -> Obj:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": _meta(name, namespace, labels),
            "spec": {**fields, "selector": {"matchLabels": dict(selector)},
                     "template": _pod_template({**labels, **selector}, containers, **pod_spec)}}


def deployment(name: str, namespace: str, labels: Mapping[str, str], selector: Mapping[str, str],
               containers: list[Obj], replicas: int = 1, **spec: Any) -> Obj:
    return _workload("Deployment", name, namespace, labels, selector, containers, {"replicas": replicas}, spec)


def daemonset(name: str, namespace: str, labels: Mapping[str, str], selector: Mapping[str, str],
              containers: list[Obj], **spec: Any) -> Obj:
    spec.setdefault("tolerations", TOLERATE_ALL)
    spec.setdefault("priorityClassName", "system-node-critical")
    return _workload("DaemonSet", name, namespace, labels, selector, containers,
                     {"updateStrategy": {"type": "RollingUpdate"}}, spec)


def service(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    selector: Mapping[str, str] | None,
    ports: Mapping[str, tuple[int, int]],
    cluster_ip: str | None = None,
) -> Obj:
    """ports: name -> (port, targetPort); a name ending in ':UDP' makes that port UDP (DNS)."""
    spec: Obj = {"ports": [{"name": n.split(":")[0], "port": p, "targetPort": t,
                            "protocol": n.split(":")[1] if ":" in n else "TCP"} for n, (p, t) in ports.items()]}
    if selector:
        spec["selector"] = dict(selector)
    if cluster_ip:
        spec["clusterIP"] = cluster_ip
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(name, namespace, labels), "spec": spec}


def configmap(name: str, namespace: str, data: Mapping[str, str], labels: Mapping[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(name, namespace, labels or {}),
        "data": dict(data),
    }


def namespace(name: str, labels: Mapping[str, str] | None = None) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels or {})}}


def client_placement(profile: Profile) -> Obj:
    """nodeSelector + tolerations that put a pod on the client pool, as the seed's istiod-values.yaml did."""
    pool = profile.pool("client")
    tolerations = [{"key": t.key, "operator": "Exists", "effect": t.effect} for t in pool.taints]
    return {"nodeSelector": dict(pool.labels), "tolerations": tolerations}




def _resource(kind: str) -> str:
    """The store's key of a built-in kind (Kubernetes', the Gateway API's or a registered mesh's)."""
    return next(k.resource for k in builtin_kinds() if k.kind == kind)


def _service_accounts(objects: list[Obj]) -> list[Obj]:
    """The ServiceAccounts the charts create for their workloads (one per name the pods run as)."""
    wanted = {(o["metadata"]["namespace"], o["spec"]["template"]["spec"].get("serviceAccountName", "default"))
              for o in objects if o["kind"] in ("Deployment", "DaemonSet")}
    return [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}}
            for ns, name in sorted(wanted) if name != "default"]


def create_all(store: Store, objects: list[Obj]) -> None:
    """Create each object (and its workloads' ServiceAccounts) unless one of that name exists, so a
    restarted world keeps what it finds."""
    for obj in objects + _service_accounts(objects):
        resource, m = _resource(obj["kind"]), obj["metadata"]
        if store.try_get(resource, m.get("namespace"), m["name"]) is None:
            try:
                store.create(resource, obj)
            except ApiError as exc:
                if exc.code != 409:
                    raise
