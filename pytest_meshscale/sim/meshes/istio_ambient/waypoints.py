"""istiod's waypoint deployment controller: a Gateway of class `istio-waypoint` gets a Deployment and
a Service of the same name in its namespace (istio/istio manifests/charts/istio-control/istio-discovery/
files/waypoint.yaml), owned by the Gateway; the Gateway is Accepted at once and Programmed once a
waypoint pod is Ready, with the Service's ClusterIP as its address."""

from __future__ import annotations

from collections.abc import Iterable

from ...components.build import container, deployment, service
from ...controllers.manager import Key
from ...controllers.objects import Obj, condition, is_ready, meta, owner_ref, with_conditions
from ...store import ApiError, Store
from .components import ISTIO_VERSION

__all__ = ["WAYPOINT_CLASS", "WaypointController", "waypoint_children", "waypoint_status"]

WAYPOINT_CLASS = "istio-waypoint"
GATEWAYS = "gateways.gateway.networking.k8s.io"
NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
MANAGED = "gateway.istio.io/managed"


def _labels(gw: Obj) -> dict[str, str]:
    name = meta(gw)["name"]
    return {**(meta(gw).get("labels") or {}), NAME_LABEL: name,
            "gateway.networking.k8s.io/gateway-class-name": WAYPOINT_CLASS, MANAGED: "istio.io-mesh-controller",
            "istio.io/dataplane-mode": "none", "sidecar.istio.io/inject": "false",
            "service.istio.io/canonical-name": name, "service.istio.io/canonical-revision": "latest"}


def waypoint_children(gw: Obj) -> list[tuple[str, Obj]]:
    m, labels = meta(gw), _labels(gw)
    name, ns, owner = m["name"], m["namespace"], [owner_ref(gw)]
    proxy = container("istio-proxy", f"docker.io/istio/proxyv2:{ISTIO_VERSION}", "100m", "128Mi",
                      {"metrics": 15020, "status-port": 15021, "mesh": 15008, "http-envoy-prom": 15090},
                      {"ISTIO_META_SERVICE_ACCOUNT": name, "ISTIO_META_CLUSTER_ID": "Kubernetes"},
                      ["proxy", "waypoint", "--domain", "$(POD_NAMESPACE).svc.cluster.local",
                       "--serviceCluster", f"{name}.$(POD_NAMESPACE)"], limits={"cpu": "2", "memory": "1Gi"})
    deploy = deployment(name, ns, labels, {NAME_LABEL: name}, [proxy], serviceAccountName=name)
    deploy["spec"]["template"]["metadata"]["annotations"] = {
        "prometheus.io/scrape": "true", "prometheus.io/path": "/stats/prometheus", "prometheus.io/port": "15020"}
    svc = service(name, ns, labels, {NAME_LABEL: name}, {"status-port": (15021, 15021), "mesh": (15008, 15008)})
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns,
                                                                      "labels": {NAME_LABEL: name}}}
    children = [("serviceaccounts", sa), ("services", svc), ("deployments.apps", deploy)]
    for _, obj in children:
        obj["metadata"]["ownerReferences"] = owner
    return children


def gateway_condition(kind: str, ok: bool, reason: str, message: str) -> Obj:
    """A Gateway API status condition: reason and message are required there (message may be empty)."""
    return {**condition(kind, ok, reason), "message": message}


class WaypointController:
    name = "waypoint"
    resources = (GATEWAYS, "pods", "deployments.apps")

    def __init__(self, store: Store) -> None:
        self.store = store

    def route(self, event: str, resource: str, obj: Obj) -> Iterable[Key]:
        m = meta(obj)
        if resource == GATEWAYS and event != "DELETED":
            return [(self.name, m["namespace"], m["name"])]
        labels = m.get("labels") or {}
        if resource in ("pods", "deployments.apps", "services") and MANAGED in labels and NAME_LABEL in labels:
            return [(self.name, m["namespace"], labels[NAME_LABEL])]
        return []

    def reconcile(self, key: Key) -> None:
        _, ns, name = key
        gw = self.store.try_get(GATEWAYS, ns, name)
        if gw is None or (gw.get("spec") or {}).get("gatewayClassName") != WAYPOINT_CLASS:
            return
        for resource, obj in waypoint_children(gw):
            if self.store.try_get(resource, ns, name) is None:
                self.store.create(resource, obj)
        pods = self.store.list("pods", ns, label_selector=f"{NAME_LABEL}={name}")[0]
        self._status(gw, any(is_ready(p) for p in pods))

    def _status(self, gw: Obj, ready: bool) -> None:
        m = meta(gw)
        status = waypoint_status(gw, ready, self.store.try_get("services", m["namespace"], m["name"]))
        if status is None:
            return
        try:
            self.store.update(GATEWAYS, {**gw, "status": status}, subresource="status")
        except ApiError as exc:
            if exc.code != 409:  # a conflict comes with an event that routes here again
                raise


def waypoint_status(gw: Obj, ready: bool, svc: Obj | None) -> Obj | None:
    """The status istiod writes on a waypoint Gateway: Accepted at once, Programmed once a waypoint pod is
    Ready, with the Service's ClusterIP as its address. None when the stored status says that already."""
    old, m = gw.get("status") or {}, meta(gw)
    ip = ((svc or {}).get("spec") or {}).get("clusterIP")
    # Gateway API conditions (metav1.Condition) need type, status, reason, message (it may be empty but
    # must be there), lastTransitionTime and observedGeneration; the messages are istiod's.
    host = f"{m['name']}.{m['namespace']}.svc.cluster.local:15008"
    programmed = gateway_condition(
        "Programmed", ready, "Programmed" if ready else "Pending",
        f"Resource programmed, assigned to service(s) {host}" if ready else "waypoint pod is not ready yet")
    wanted = [{**c, "observedGeneration": m.get("generation", 1)}
              for c in (gateway_condition("Accepted", True, "Accepted", "Resource accepted"), programmed)]
    status: Obj = {"conditions": with_conditions(old.get("conditions"), wanted)}
    if ready and ip:
        status["addresses"] = [{"type": "IPAddress", "value": ip}]
    before = {li.get("name"): li.get("conditions") for li in old.get("listeners") or []}
    status["listeners"] = [
        {"name": li.get("name", ""), "attachedRoutes": 0, "supportedKinds": [],
         "conditions": with_conditions(before.get(li.get("name")), wanted)}
        for li in (gw.get("spec") or {}).get("listeners") or []]
    return None if old == status else status
