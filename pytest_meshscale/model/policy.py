"""Mesh-neutral policy intent (who may call what, at L4 and L7) and the expected-verdict oracle.

The oracle is a pure function, like cilium-cli's expectation functions and cyclonus' simulator: the
policy tests compare every probed cell with it. Semantics, shared by Cilium and Istio:
- a workload selected by a default-deny intent refuses (at L4) any request that no allow rule of any
  intent selecting it admits by source and port;
- if every admitting rule carries HTTP constraints and none matches method and path, the request is
  answered with HTTP 403 (an L7 deny); otherwise it is allowed. Intents combine by union of allows.
Path semantics: "/x" is an exact path, "/x/*" a prefix (matches "/x/" and below, not "/x"); see
PathMatch for how each maps to Cilium's regex and Istio's paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "ANY_NAMESPACE",
    "Allow",
    "Endpoint",
    "Intent",
    "L7Rule",
    "PathMatch",
    "Peer",
    "ProxyAccess",
    "Request",
    "Target",
    "Verdict",
    "expected_verdict",
    "l7_namespaces",
    "labels_match",
]

ANY_NAMESPACE = "*"
_ERE_SPECIAL = re.compile(r"([.\[\](){}*+?|^$\\])")


class Verdict(Enum):
    """How a request ends: allowed, refused by an L7 proxy (HTTP 403), or refused at L4."""

    ALLOW = "allow"
    DENY_L7 = "deny-l7"  # HTTP 403 from Envoy (Cilium) or the waypoint (Istio: "RBAC: access denied")
    DENY_L4 = "deny-l4"  # no HTTP answer: connection refused, reset (ztunnel) or timed out (eBPF drop)


def labels_match(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """A matchLabels selector: every key/value of the selector is on the object (empty selects all)."""
    return all(labels.get(k) == v for k, v in selector.items())


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A concrete workload a probe runs from or is sent to."""

    namespace: str
    workload: str
    labels: Mapping[str, str] = field(default_factory=dict)
    service_account: str = "default"
    service: str | None = None  # the Service in front of the pods, when probes address it by name

    def __str__(self) -> str:
        return f"{self.namespace}/{self.workload}"


@dataclass(frozen=True, slots=True)
class Peer:
    """Who may call. `namespaces` empty = the target's own namespace, ("*",) = any namespace."""

    namespaces: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    service_account: str | None = None

    def namespaces_for(self, target_namespace: str) -> tuple[str, ...] | None:
        """The source namespaces this peer means for a target namespace; None means any."""
        if ANY_NAMESPACE in self.namespaces:
            return None
        return self.namespaces or (target_namespace,)

    def admits(self, source: Endpoint, target_namespace: str) -> bool:
        allowed = self.namespaces_for(target_namespace)
        if allowed is not None and source.namespace not in allowed:
            return False
        if self.service_account is not None and source.service_account != self.service_account:
            return False
        return labels_match(self.labels, source.labels)


@dataclass(frozen=True, slots=True)
class PathMatch:
    """An exact path ("/", "/api/orders") or a prefix ("/api/*": "/api/" and anything below it)."""

    value: str

    @property
    def is_prefix(self) -> bool:
        return self.value.endswith("/*")

    def matches(self, path: str) -> bool:
        return path.startswith(self.value[:-1]) if self.is_prefix else path == self.value

    def regex(self) -> str:
        """Cilium `rules.http[].path`: an extended POSIX regex that must match the whole path.

        Exact paths end in "$" as cilium-cli's own manifests write them ("/$", "/public$"): redundant
        under Envoy's full match, and still exact if a reader took the regex as a prefix match.
        Prefixes become "<prefix>.*", the docs' "/v1/.*" form.
        """
        if self.is_prefix:
            return _ERE_SPECIAL.sub(r"\\\1", self.value[:-1]) + ".*"
        return _ERE_SPECIAL.sub(r"\\\1", self.value) + "$"

    def istio(self) -> str:
        """Istio `operation.paths`: exact match, or prefix match with a trailing "*" (same text)."""
        return self.value


@dataclass(frozen=True, slots=True)
class L7Rule:
    """HTTP constraints: a request must use one of `methods` AND one of `paths` (empty = any)."""

    methods: tuple[str, ...] = ()
    paths: tuple[PathMatch, ...] = ()

    def matches(self, method: str, path: str) -> bool:
        method_ok = not self.methods or method in self.methods
        return method_ok and (not self.paths or any(p.matches(path) for p in self.paths))


@dataclass(frozen=True, slots=True)
class Allow:
    """One allow rule: any of `peers` may reach any of `ports`, optionally only with `http`."""

    peers: tuple[Peer, ...]
    ports: tuple[int, ...]
    http: L7Rule | None = None

    def admits(self, source: Endpoint, target_namespace: str, port: int) -> bool:
        return port in self.ports and any(p.admits(source, target_namespace) for p in self.peers)


@dataclass(frozen=True, slots=True)
class Target:
    """The workloads an intent protects: pods with `labels` in each of `namespaces`."""

    namespaces: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    service: str | None = None  # the Service in front of them (Istio binds L7 policy to it)

    def selects(self, endpoint: Endpoint) -> bool:
        return endpoint.namespace in self.namespaces and labels_match(self.labels, endpoint.labels)


@dataclass(frozen=True, slots=True)
class Intent:
    name: str
    description: str
    target: Target
    allow: tuple[Allow, ...] = ()
    default_deny: bool = True

    @property
    def has_l7(self) -> bool:
        return any(rule.http is not None for rule in self.allow)


@dataclass(frozen=True, slots=True)
class Request:
    source: Endpoint
    destination: Endpoint
    port: int
    method: str = "GET"
    path: str = "/"

    def __str__(self) -> str:
        return f"{self.source} -> {self.destination}:{self.port} {self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class ProxyAccess:
    """Pods the API server's pod proxy must reach (the fortio clients' REST port) for probes to work."""

    labels: Mapping[str, str]
    port: int


def l7_namespaces(intents: Iterable[Intent]) -> frozenset[str]:
    """Namespaces where some intent has HTTP rules: Istio puts a waypoint there (enforcing it all)."""
    return frozenset(ns for i in intents if i.has_l7 for ns in i.target.namespaces)


def expected_verdict(
    intents: Intent | Sequence[Intent], request: Request, *, l7_enforced: frozenset[str] = frozenset()
) -> Verdict:
    """The verdict the intents call for. `l7_enforced`: destination namespaces whose whole policy is
    enforced by an L7 proxy (Istio waypoints, see `l7_namespaces`), where an L4 deny shows as 403."""
    if isinstance(intents, Intent):
        intents = [intents]
    dst = request.destination
    selecting = [i for i in intents if i.target.selects(dst)]
    if not any(i.default_deny for i in selecting):
        return Verdict.ALLOW
    src, port = request.source, request.port
    admitting = [rule for i in selecting for rule in i.allow if rule.admits(src, dst.namespace, port)]
    if not admitting:
        return Verdict.DENY_L7 if dst.namespace in l7_enforced else Verdict.DENY_L4
    if any(r.http is None or r.http.matches(request.method, request.path) for r in admitting):
        return Verdict.ALLOW
    return Verdict.DENY_L7
