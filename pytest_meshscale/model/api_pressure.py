"""The load a run put on the API server, from two scrapes of its own /metrics (and of etcd's): requests per
second by verb and resource, the p99 latency of each (verb, resource, subresource, scope) call against
ClusterLoader2's API responsiveness SLOs, open watches, and the servers' CPU and memory.

SLOs: ClusterLoader2's APIResponsivenessPrometheus (kubernetes/perf-tests clusterloader2
pkg/measurement/common/slos): 1 s for single-resource calls, 30 s for multi-resource calls (LIST), as the
p99 of each (verb, resource, subresource, scope) call; WATCH and CONNECT are long-running and excluded.
CL2 takes the p99 of 5-minute-window p99s; a run window here is shorter, so the p99 is of the whole window's
merged buckets. Calls counted fewer than MIN_CALLS times are listed but not judged: a p99 of a handful of
calls says nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .prometheus import Sample, Scrape, bucket_quantile, merge_buckets

__all__ = ["ApiCall", "ApiPressure", "ServerUsage", "api_pressure", "server_usage", "slo_for"]

REQUESTS = "apiserver_request_total"
DURATION = "apiserver_request_duration_seconds_bucket"
WATCHES = "apiserver_longrunning_requests"
CPU, RSS = "process_cpu_seconds_total", "process_resident_memory_bytes"
FAMILIES = (REQUESTS, DURATION, WATCHES, CPU, RSS)  # what parse_text needs to keep of a scrape
SINGLE_S, MULTI_S = 1.0, 30.0
LONG_RUNNING = frozenset({"WATCH", "WATCHLIST", "CONNECT"})
MIN_CALLS = 20


def slo_for(verb: str) -> float | None:
    """The p99 limit of a call; None for long-running calls, which no latency SLO covers."""
    if verb in LONG_RUNNING:
        return None
    return MULTI_S if verb == "LIST" else SINGLE_S


@dataclass(frozen=True, slots=True)
class ApiCall:
    verb: str
    resource: str
    subresource: str
    scope: str
    count: int
    p99_s: float | None
    slo_s: float

    @property
    def judged(self) -> bool:
        return self.count >= MIN_CALLS and self.p99_s is not None

    @property
    def ok(self) -> bool:
        return not self.judged or (self.p99_s is not None and self.p99_s <= self.slo_s)

    @property
    def name(self) -> str:
        res = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return f"{self.verb} {res} ({self.scope})"


@dataclass(frozen=True, slots=True)
class ServerUsage:
    cores: float | None  # CPU seconds used over the window / its length
    rss_bytes: float | None  # at the end of the window


@dataclass(frozen=True, slots=True)
class ApiPressure:
    window_s: float
    requests_per_s: dict[tuple[str, str], float]  # (verb, resource) -> rate
    calls: tuple[ApiCall, ...]  # every latency-SLO call seen, slowest p99 first
    open_watches: int  # at the end of the window
    apiserver: ServerUsage
    etcd: ServerUsage | None

    @property
    def total_per_s(self) -> float:
        return sum(self.requests_per_s.values())

    @property
    def violations(self) -> list[ApiCall]:
        return [c for c in self.calls if not c.ok]

    def slowest(self, verbs: frozenset[str] | None = None) -> ApiCall | None:
        judged = [c for c in self.calls if c.judged and (verbs is None or c.verb in verbs)]
        return max(judged, key=lambda c: c.p99_s or 0.0, default=None)


def server_usage(before: Scrape, after: Scrape, window_s: float) -> ServerUsage:
    cpu = after.minus(before).of(CPU)
    rss = after.of(RSS)
    return ServerUsage(cpu[0].value / window_s if cpu and window_s > 0 else None, rss[0].value if rss else None)


def _call_key(s: Sample) -> tuple[str, str, str, str]:
    return s.label("verb"), s.label("resource"), s.label("subresource"), s.label("scope")


def api_pressure(before: Scrape, after: Scrape, window_s: float,
                 etcd: tuple[Scrape, Scrape] | None = None) -> ApiPressure:
    """The window between two apiserver scrapes (and optionally two of etcd's)."""
    delta = after.minus(before)
    rates: dict[tuple[str, str], float] = defaultdict(float)
    counts: dict[tuple[str, str, str, str], float] = defaultdict(float)
    for s in delta.of(REQUESTS):
        rates[(s.label("verb"), s.label("resource"))] += s.value / window_s if window_s > 0 else 0.0
        counts[_call_key(s)] += s.value
    # Every series of one call (component, group, version, dry_run differ) is one histogram.
    buckets = merge_buckets(delta.of(DURATION), _call_key)
    calls = []
    for key, hist in buckets.items():
        slo = slo_for(key[0])
        if slo is None or not any(hist.values()):
            continue
        calls.append(ApiCall(*key, count=int(counts.get(key, max(hist.values()))), p99_s=bucket_quantile(0.99, hist),
                             slo_s=slo))
    calls.sort(key=lambda c: -(c.p99_s or 0.0))
    watches = int(after.total(WATCHES, lambda s: s.label("verb") == "WATCH"))
    return ApiPressure(window_s, dict(rates), tuple(calls), watches, server_usage(before, after, window_s),
                       server_usage(*etcd, window_s) if etcd else None)
