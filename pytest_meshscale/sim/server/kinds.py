"""Every kind the simulated API server serves: where it lives (group/version/plural), its scope and
subresources. The store keys objects by `Kind.resource` ("pods", "deployments.apps", ...)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CRD_GROUPS", "KINDS", "Kind", "by_path", "by_resource", "group_versions"]


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
KINDS: tuple[Kind, ...] = (
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
        "cilium.io",
        ("v2",),
        "ciliumnetworkpolicies",
        "CiliumNetworkPolicy",
        status=True,
        short_names=("cnp", "ciliumnp"),
        crd=True,
    ),
    Kind(
        "cilium.io",
        ("v2",),
        "ciliumclusterwidenetworkpolicies",
        "CiliumClusterwideNetworkPolicy",
        _CL,
        status=True,
        short_names=("ccnp",),
        crd=True,
    ),
    Kind("cilium.io", ("v2",), "ciliumnodes", "CiliumNode", _CL, short_names=("cn", "ciliumn"), crd=True),
    Kind(
        "security.istio.io",
        ("v1", "v1beta1"),
        "authorizationpolicies",
        "AuthorizationPolicy",
        status=True,
        short_names=("ap",),
        crd=True,
    ),
    Kind(
        "security.istio.io",
        ("v1", "v1beta1"),
        "peerauthentications",
        "PeerAuthentication",
        status=True,
        short_names=("pa",),
        crd=True,
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
CRD_GROUPS = tuple(dict.fromkeys(k.group for k in KINDS if k.crd))

_BY_RESOURCE = {k.resource: k for k in KINDS}
_BY_PATH = {(k.group, v, k.plural): k for k in KINDS for v in k.versions}


def by_resource(resource: str) -> Kind | None:
    return _BY_RESOURCE.get(resource)


def by_path(group: str, version: str, plural: str) -> Kind | None:
    return _BY_PATH.get((group, version, plural))


def group_versions() -> dict[str, list[str]]:
    """group -> its versions, preferred first, in registration order (core group is "")."""
    out: dict[str, list[str]] = {}
    for k in KINDS:
        for v in k.versions:
            if v not in out.setdefault(k.group, []):
                out[k.group].append(v)
    return out
