"""The fleet of the seed's scenario as manifests: per namespace a load service and a fortio client.

Names and labels follow the seed's chart (templates/server.yaml): namespaces ns-001..., Deployment and
Service `loadservice` (pods `app: loadservice`, port 8080 `http-web`), client `fortio-client` on the
client pool. Manifests only; creating them is the Cluster's job (in waves, rate limited).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..model import Profile
from ..model.fleet_names import CLIENT, CLIENT_PORT, SERVER, SERVER_PORT

__all__ = ["CLIENT", "CLIENT_PORT", "FleetSpec", "SERVER", "SERVER_PORT", "fleet_spec"]

SERVER_IMAGE = "gcr.io/istio-testing/isotope:0.0.3"
CLIENT_IMAGE = "fortio/fortio:latest"  # the seed ran :latest; fortio's REST API has been stable for years


@dataclass(frozen=True, slots=True)
class FleetSpec:
    namespaces: tuple[str, ...]
    manifests_by_namespace: Mapping[str, list[dict]]  # the namespace object first

    @property
    def object_count(self) -> int:
        return sum(len(m) for m in self.manifests_by_namespace.values())


def fleet_spec(profile: Profile, namespace_labels: Mapping[str, str], run_tag: str = "",
               namespace_annotations: Mapping[str, str] | None = None) -> FleetSpec:
    """Every object of the fleet, grouped per namespace so waves never split a namespace; the names carry
    `run_tag` (see `namespace_tag`). Namespaces carry the mesh's labels and annotations (a sidecar injector
    reads its opt-in when each pod is created, so it must be on the namespace before the pods)."""
    names = tuple(profile.workload.namespace_names(run_tag))
    annotations = dict(namespace_annotations or {})
    by_ns = {ns: _namespace_objects(profile, ns, i, namespace_labels, annotations) for i, ns in enumerate(names, 1)}
    return FleetSpec(names, by_ns)


def _namespace_objects(profile: Profile, ns: str, index: int, extra: Mapping[str, str],
                       annotations: Mapping[str, str]) -> list[dict]:
    labels = {"scenario": "many-svc", "policy-group": str(index % 3), "config-group": str(index % 3), **extra}
    meta = {"name": ns, "labels": labels, **({"annotations": dict(annotations)} if annotations else {})}
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}
    objects = [namespace, _service_account(ns)]
    for s in range(profile.workload.services_per_namespace):
        name = SERVER if s == 0 else f"{SERVER}-{s}"
        objects += [_server(ns, name, profile.workload.pods_per_service), _service(ns, name)]
    objects.append(_client(profile, ns))
    return objects


def _service_account(ns: str) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": CLIENT, "namespace": ns}}


def _deployment(ns: str, name: str, app: str, replicas: int, pod_spec: dict) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app, "meshscale.io/service": name}},
            "template": {"metadata": {"labels": {"app": app, "meshscale.io/service": name}}, "spec": pod_spec},
        },
    }


def _server(ns: str, name: str, replicas: int) -> dict:
    container = {
        "name": "mock-service",
        "image": SERVER_IMAGE,
        "args": ["--max-idle-connections-per-host=32"],
        "ports": [{"containerPort": SERVER_PORT, "name": "http-web"}],
        "resources": {"requests": {"cpu": "50m"}},
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", "10"]}}},
    }
    return _deployment(ns, name, SERVER, replicas, {"containers": [container]})


def _service(ns: str, name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": SERVER}},
        "spec": {
            "selector": {"app": SERVER, "meshscale.io/service": name},
            "ports": [{"name": "http-web", "port": SERVER_PORT, "targetPort": SERVER_PORT}],
        },
    }


def _client(profile: Profile, ns: str) -> dict:
    pool = profile.pool("client")
    container = {
        "name": "fortio",
        "image": CLIENT_IMAGE,
        "args": ["server", "-config-dir", "/etc/fortio/", "-echo-debug-path", "/fortio/debug/"],
        "ports": [{"containerPort": CLIENT_PORT, "name": "http-fortio"}],
    }
    spec = {
        "serviceAccountName": CLIENT,
        "containers": [container],
        "nodeSelector": dict(pool.labels),
        "tolerations": [{"key": t.key, "operator": "Exists", "effect": t.effect} for t in pool.taints],
    }
    return _deployment(ns, CLIENT, CLIENT, profile.workload.clients_per_namespace, spec)
