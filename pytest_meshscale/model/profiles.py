"""Scale profiles: what a scale (smoke, pr, full) means, as frozen dataclasses read from plain data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .fields import Fields

__all__ = [
    "Churn",
    "Creation",
    "Load",
    "NodePool",
    "Price",
    "Profile",
    "Taint",
    "Thresholds",
    "Workload",
    "parse_profile",
]

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# Namespace names are DNS-1123 labels (at most 63): the prefix leaves room for a run tag and the number.
NAMESPACE_PREFIX_MAX = 20
NAMESPACE_PREFIX = re.compile(rf"[a-z][a-z0-9-]{{0,{NAMESPACE_PREFIX_MAX - 1}}}")


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str


@dataclass(frozen=True, slots=True)
class Price:
    """A node's list price per hour, with where it comes from and when it was read (a parameter, not a bill)."""

    usd_per_hour: float
    source: str
    date: str


@dataclass(frozen=True, slots=True)
class NodePool:
    """A group of identical nodes; `role` says whether servers or load clients run there."""

    name: str
    role: str  # "server" or "client"
    count: int
    cores: int
    memory_gib: int
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    price: Price | None = None


@dataclass(frozen=True, slots=True)
class Workload:
    namespaces: int
    namespace_prefix: str
    services_per_namespace: int
    pods_per_service: int
    clients_per_namespace: int
    policy: str = "none"  # policy file applied to every namespace in the scale tests (the seed's istioL7/ciliumL7)

    @property
    def server_pods(self) -> int:
        return self.namespaces * self.services_per_namespace * self.pods_per_service

    def namespace_names(self, run_tag: str = "") -> list[str]:
        """ns-001...; with a run tag ns-<tag>-001..., so runs sharing a cluster never meet."""
        width = max(3, len(str(self.namespaces)))
        prefix = f"{self.namespace_prefix}{run_tag}-" if run_tag else self.namespace_prefix
        return [f"{prefix}{i:0{width}d}" for i in range(1, self.namespaces + 1)]


@dataclass(frozen=True, slots=True)
class Churn:
    """The seed's churn: rescale one random service every interval, relabel one namespace every interval."""

    rescale_interval_s: float
    replicas_min: int
    replicas_max: int
    relabel_interval_s: float


@dataclass(frozen=True, slots=True)
class Load:
    """One fortio run per client, as the seed's test.json: qps None means 'max'."""

    qps: float | None
    connections: int
    duration_s: float
    timeout_ms: int
    uniform: bool
    nocatchup: bool
    percentiles: tuple[float, ...]
    resolution_s: float
    path: str


@dataclass(frozen=True, slots=True)
class Creation:
    """Bulk creation is gentle: namespaces are created in waves under a client-side rate limit."""

    wave_namespaces: int
    qps: float
    burst: int
    ready_timeout_s: float


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Limits a Score is checked against; None means 'not checked'."""

    min_qps: float | None = None
    max_p99_s: float | None = None
    max_p999_s: float | None = None
    max_error_rate: float | None = None
    max_mesh_cores: float | None = None
    max_mesh_memory_gib: float | None = None
    min_queries_per_core: float | None = None
    max_policy_propagation_s: float | None = None
    max_api_error_rate: float | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    description: str
    source: str
    pools: tuple[NodePool, ...]
    workload: Workload
    churn: Churn
    load: Load
    creation: Creation
    thresholds: Thresholds
    requires_fips: bool = False

    @property
    def node_count(self) -> int:
        return sum(p.count for p in self.pools)

    @property
    def usd_per_core_hour(self) -> float | None:
        """The fleet's average price of one vCPU-hour (its pools' prices / their vCPUs); None when a pool has no
        price: a partial price would understate the cost."""
        if any(p.price is None for p in self.pools):
            return None
        usd = sum(p.count * p.price.usd_per_hour for p in self.pools if p.price is not None)
        return usd / sum(p.count * p.cores for p in self.pools)

    @property
    def price_note(self) -> str:
        if any(p.price is None for p in self.pools):
            return "no price"
        return "price model: " + "; ".join(f"{p.name} ${p.price.usd_per_hour:g}/h ({p.price.source}, {p.price.date})"
                                           for p in self.pools if p.price is not None)

    def pool(self, role: str) -> NodePool:
        return next(p for p in self.pools if p.role == role)


def parse_profile(data: object, source: str) -> Profile:
    """Build a Profile from parsed YAML; any bad or unknown field raises ProfileError naming it."""
    top = Fields(data, source)
    profile = Profile(
        name=top.text("name"),
        description=top.text("description", ""),
        source=source,
        pools=_pools(top),
        workload=_workload(top.sub("workload")),
        churn=_churn(top.sub("churn")),
        load=_load(top.sub("load")),
        creation=_creation(top.sub("creation")),
        thresholds=_thresholds(top.sub("thresholds", {})),
        requires_fips=top.boolean("requires_fips", False),
    )
    top.done()
    return profile


def _pools(top: Fields) -> tuple[NodePool, ...]:
    pools = tuple(_pool(f) for f in top.items("node_pools"))
    roles = sorted(p.role for p in pools)
    if roles != ["client", "server"]:
        raise top.fail("node_pools", roles, "must hold exactly one 'server' and one 'client' pool")
    return pools


def _pool(f: Fields) -> NodePool:
    pool = NodePool(
        name=f.text("name"),
        role=f.text("role", choices=("server", "client")),
        count=f.integer("count", minimum=1),
        cores=f.integer("cores", minimum=1),
        memory_gib=f.integer("memory_gib", 32, minimum=1),
        labels=f.str_map("labels"),
        taints=tuple(_taint(t) for t in f.items("taints", [])),
        price=_price(f.sub("price")) if f.raw("price", None) is not None else None,
    )
    f.done()
    return pool


def _price(f: Fields) -> Price:
    price = Price(f.number("usd_per_hour"), f.text("source"), f.text("date"))
    f.done()
    return price


def _taint(f: Fields) -> Taint:
    taint = Taint(f.text("key"), f.text("value", ""), f.text("effect", choices=TAINT_EFFECTS))
    f.done()
    return taint


def _workload(f: Fields) -> Workload:
    w = Workload(
        namespaces=f.integer("namespaces", minimum=1),
        namespace_prefix=_namespace_prefix(f),
        services_per_namespace=f.integer("services_per_namespace", 1, minimum=1),
        pods_per_service=f.integer("pods_per_service", minimum=1),
        clients_per_namespace=f.integer("clients_per_namespace", 1, minimum=1),
        policy=f.text("policy", "none"),
    )
    f.done()
    return w


def _namespace_prefix(f: Fields) -> str:
    """Checked here, not by the API server: a bad prefix would otherwise fail every namespace of the fleet."""
    prefix = f.text("namespace_prefix", "ns-")
    if not NAMESPACE_PREFIX.fullmatch(prefix):
        raise f.fail(
            "namespace_prefix",
            prefix,
            "must be a DNS-1123 label prefix: lowercase letters, digits and '-', starting with a letter, "
            f"at most {NAMESPACE_PREFIX_MAX} characters",
        )
    return prefix


def _churn(f: Fields) -> Churn:
    c = Churn(
        rescale_interval_s=f.number("rescale_interval_s", minimum=0.01),
        replicas_min=f.integer("replicas_min", minimum=0),
        replicas_max=f.integer("replicas_max", minimum=1),
        relabel_interval_s=f.number("relabel_interval_s", minimum=0.01),
    )
    if c.replicas_max < c.replicas_min:
        raise f.fail("replicas_max", c.replicas_max, f"must be >= replicas_min ({c.replicas_min})")
    f.done()
    return c


def _qps(f: Fields) -> float | None:
    value = f.raw("qps")
    if value == "max":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise f.fail("qps", value, "must be 'max' or a number > 0")
    return float(value)


def _load(f: Fields) -> Load:
    percentiles = f.raw("percentiles", [50, 75, 90, 99, 99.9])
    if not isinstance(percentiles, list) or not all(
        isinstance(p, (int, float)) and not isinstance(p, bool) and 0 < p < 100 for p in percentiles
    ):
        raise f.fail("percentiles", percentiles, "must be a list of numbers between 0 and 100")
    load = Load(
        qps=_qps(f),
        connections=f.integer("connections", minimum=1),
        duration_s=f.number("duration_s", minimum=0.1),
        timeout_ms=f.integer("timeout_ms", minimum=1),
        uniform=f.boolean("uniform", True),
        nocatchup=f.boolean("nocatchup", False),
        percentiles=tuple(float(p) for p in percentiles),
        resolution_s=f.number("resolution_s", 0.0001, minimum=1e-9),
        path=f.text("path", "/"),
    )
    f.done()
    return load


def _creation(f: Fields) -> Creation:
    c = Creation(
        wave_namespaces=f.integer("wave_namespaces", minimum=1),
        qps=f.number("qps", minimum=0.1),
        burst=f.integer("burst", minimum=1),
        ready_timeout_s=f.number("ready_timeout_s", 300, minimum=1),
    )
    f.done()
    return c


def _thresholds(f: Fields) -> Thresholds:
    names = Thresholds.__dataclass_fields__
    t = Thresholds(**{name: f.optional_number(name) for name in names})
    f.done()
    return t
