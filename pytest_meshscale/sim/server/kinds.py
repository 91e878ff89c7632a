"""Every kind the simulated API server serves: where it lives (group/version/plural), its scope and
subresources. The store keys objects by `Kind.resource` ("pods", "deployments.apps", ...).

builtin_kinds() is the built-in table: Kubernetes' own kinds and the Gateway API here, then each registered mesh's
custom resources (SimMesh.kinds in sim/meshes/<mesh>/), which every simulated cluster serves. A KindRegistry (one
per Store) adds the kinds of CustomResourceDefinitions created at run time, with their OpenAPI schemas, once
they are established."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["Kind", "KindRegistry", "builtin_kinds", "by_path", "by_resource", "group_versions"]


@dataclass(frozen=True, slots=True)
class Kind:
    group: str  # "" for the core group
    versions: tuple[str, ...]  # first = storage/preferred version
    plural: str
    kind: str
    namespaced: bool = True
    status: bool = False  # has a /status subresource (the main resource then ignores status changes)
    scale: bool = False  # has a /scale subresource (autoscaling/v1 Scale on spec.replicas)
    short_names: tuple[str, ...] = ()
    crd: bool = False  # served as a CustomResourceDefinition would be

    @property
    def resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def version(self) -> str:
        return self.versions[0]

    def api_version(self, version: str | None = None) -> str:
        v = version or self.version
        return f"{self.group}/{v}" if self.group else v

    @property
    def singular(self) -> str:
        return self.kind.lower()


_NS, _CL = True, False
_CORE: tuple[Kind, ...] = (
    Kind("", ("v1",), "namespaces", "Namespace", _CL, status=True, short_names=("ns",)),
    Kind("", ("v1",), "nodes", "Node", _CL, status=True, short_names=("no",)),
    Kind("", ("v1",), "pods", "Pod", status=True, short_names=("po",)),
    Kind("", ("v1",), "services", "Service", status=True, short_names=("svc",)),
    Kind("", ("v1",), "endpoints", "Endpoints", short_names=("ep",)),
    Kind("", ("v1",), "configmaps", "ConfigMap", short_names=("cm",)),
    Kind("", ("v1",), "secrets", "Secret"),
    Kind("", ("v1",), "serviceaccounts", "ServiceAccount", short_names=("sa",)),
    Kind("", ("v1",), "events", "Event", short_names=("ev",)),
    Kind("apps", ("v1",), "deployments", "Deployment", status=True, scale=True, short_names=("deploy",)),
    Kind("apps", ("v1",), "replicasets", "ReplicaSet", status=True, scale=True, short_names=("rs",)),
    Kind("apps", ("v1",), "daemonsets", "DaemonSet", status=True, short_names=("ds",)),
    Kind("batch", ("v1",), "jobs", "Job", status=True),
    Kind("discovery.k8s.io", ("v1",), "endpointslices", "EndpointSlice"),
    Kind("networking.k8s.io", ("v1",), "networkpolicies", "NetworkPolicy", short_names=("netpol",)),
    Kind("coordination.k8s.io", ("v1",), "leases", "Lease"),
    Kind(
        "apiextensions.k8s.io",
        ("v1",),
        "customresourcedefinitions",
        "CustomResourceDefinition",
        _CL,
        status=True,
        short_names=("crd", "crds"),
    ),
    Kind(
        "gateway.networking.k8s.io",
        ("v1",),
        "gateways",
        "Gateway",
        status=True,
        short_names=("gtw",),
        crd=True,
    ),
    Kind(
        "gateway.networking.k8s.io",
        ("v1",),
        "gatewayclasses",
        "GatewayClass",
        _CL,
        status=True,
        short_names=("gc",),
        crd=True,
    ),
)


@functools.cache
def builtin_kinds() -> tuple[Kind, ...]:
    from ..meshes import SIM_MESHES  # late: the meshes' modules use the store, which uses this table

    return _CORE + tuple(k for mesh in SIM_MESHES.values() for k in mesh.kinds)


@functools.cache
def _by_resource() -> dict[str, Kind]:
    return {k.resource: k for k in builtin_kinds()}


@functools.cache
def _by_path() -> dict[tuple[str, str, str], Kind]:
    return {(k.group, v, k.plural): k for k in builtin_kinds() for v in k.versions}


def by_resource(resource: str) -> Kind | None:
    return _by_resource().get(resource)


def by_path(group: str, version: str, plural: str) -> Kind | None:
    return _by_path().get((group, version, plural))


def group_versions(kinds: tuple[Kind, ...]) -> dict[str, list[str]]:
    """group -> its versions, preferred first, in registration order (core group is "")."""
    out: dict[str, list[str]] = {}
    for k in kinds:
        for v in k.versions:
            if v not in out.setdefault(k.group, []):
                out[k.group].append(v)
    return out


def kind_of_crd(crd: dict[str, Any]) -> tuple[Kind, dict[str, Any]]:
    """The Kind a (validated) CRD serves and {version: openAPIV3Schema}; the storage version comes first."""
    spec = crd["spec"]
    names = spec["names"]
    versions = sorted((v for v in spec["versions"] if v.get("served", True)), key=lambda v: not v.get("storage"))
    status = any("status" in (v.get("subresources") or {}) for v in versions)
    kind = Kind(spec["group"], tuple(v["name"] for v in versions), names["plural"], names["kind"],
                spec.get("scope") == "Namespaced", status=status, short_names=tuple(names.get("shortNames") or ()),
                crd=True)
    return kind, {v["name"]: (v.get("schema") or {}).get("openAPIV3Schema") or {} for v in versions}


class KindRegistry:
    """The kinds one API server serves: the built-in table, then the CRDs established at run time (a built-in
    kind keeps its table entry even when its CRD object is replaced: the sim's mesh kinds are built in)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dynamic: dict[str, Kind] = {}
        self._schemas: dict[tuple[str, str], dict[str, Any]] = {}
        self._paths: dict[tuple[str, str, str], Kind] = {}

    def by_resource(self, resource: str) -> Kind | None:
        return by_resource(resource) or self._dynamic.get(resource)

    def by_path(self, group: str, version: str, plural: str) -> Kind | None:
        return by_path(group, version, plural) or self._paths.get((group, version, plural))

    def all(self) -> tuple[Kind, ...]:
        with self._lock:
            return builtin_kinds() + tuple(self._dynamic.values())

    def schema(self, resource: str, version: str) -> dict[str, Any] | None:
        """The OpenAPI v3 schema of a run-time CRD's version; None for built-in kinds."""
        return self._schemas.get((resource, version))

    def register(self, crd: dict[str, Any]) -> Kind | None:
        """Serve the CRD's kind (None when the kind is built in)."""
        kind, schemas = kind_of_crd(crd)
        if by_resource(kind.resource) is not None:
            return None
        with self._lock:
            self.unregister(kind.resource, locked=True)
            self._dynamic[kind.resource] = kind
            self._paths.update({(kind.group, v, kind.plural): kind for v in kind.versions})
            self._schemas.update({(kind.resource, v): s for v, s in schemas.items()})
        return kind

    def unregister(self, resource: str, locked: bool = False) -> None:
        if not locked:
            with self._lock:
                self.unregister(resource, locked=True)
            return
        old = self._dynamic.pop(resource, None)
        if old is not None:
            for v in old.versions:
                self._paths.pop((old.group, v, old.plural), None)
                self._schemas.pop((resource, v), None)
