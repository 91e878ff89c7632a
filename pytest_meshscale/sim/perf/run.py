"""One fortio load run, simulated: how many requests, how they ended, and their latency histograms.

Closed loop: each of the c connections sends its next request when the previous one ends, so the
achievable rate is c / mean latency (Little's law), capped by the requested QPS and by capacity (the
backends, and this run's fair share of the proxies on the server nodes). When capacity binds, latency
grows until c / mean latency equals the capped rate -- the queueing a saturated mesh shows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .histogram import Histogram, point_masses
from .latency import Latency
from .params import PerfParams
from .sampling import draw_counts, from_cdf

__all__ = ["Mix", "RunResult", "RunSpec", "Saturation", "simulate_run"]

OUTCOMES = ("ok", "l7_403", "upstream_503", "reset", "refused", "timeout")


@dataclass(frozen=True, slots=True)
class RunSpec:
    qps: float | None  # None = as fast as possible ("max")
    connections: int
    duration_s: float  # how long it actually ran (may be shorter when stopped)
    timeout_s: float
    resolution: float
    exactly: int = 0


@dataclass(frozen=True, slots=True)
class Mix:
    """Share of requests per outcome (from the data plane) and the sizes the client receives."""

    path: str
    shares: dict[str, float]  # keys from OUTCOMES
    ok_body: int = 10240
    ok_headers: int = 145
    deny_body: int = 15
    deny_headers: int = 100


@dataclass(frozen=True, slots=True)
class Saturation:
    """The cluster around the run: capacity inputs and the slow-down from churn and object counts."""

    backends: int
    server_cores: float
    concurrent_runs: int
    writes_per_s: float = 0.0
    pods: int = 0


@dataclass
class RunResult:
    durations: Histogram
    errors: Histogram
    ret_codes: dict[str, int]
    sizes: Histogram
    header_sizes: Histogram
    count: int
    elapsed_s: float
    notes: list[str] = field(default_factory=list)

    @property
    def actual_qps(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s > 0 else 0.0


def _deny_latency(params: PerfParams, outcome: str, timeout: float) -> Latency | None:
    key = {"l7_403": "l7_403_s", "upstream_503": "reset_s", "reset": "reset_s", "refused": "refused_s"}.get(outcome)
    return Latency(params.deny[key], 0.3) if key else None


def _mean(params: PerfParams, mix: Mix, ok: Latency, timeout: float) -> float:
    total = mix.shares.get("ok", 0) * min(ok.mean, timeout) + mix.shares.get("timeout", 0) * timeout
    for outcome in ("l7_403", "upstream_503", "reset", "refused"):
        lat = _deny_latency(params, outcome, timeout)
        total += mix.shares.get(outcome, 0) * (lat.mean if lat else 0)
    return max(total, 1e-6)


def plan_rate(params: PerfParams, spec: RunSpec, mix: Mix, sat: Saturation) -> tuple[float, Latency]:
    """(requests/s, latency of the requests that reach the app) for this run."""
    slow = 1 + params.churn_latency_per_write * sat.writes_per_s + params.pod_latency_per_10k * sat.pods / 1e4
    ok = params.paths[mix.path].scaled(slow)
    rate = spec.connections / _mean(params, mix, ok, spec.timeout_s)
    if spec.qps:
        rate = min(rate, spec.qps)
    share_ok = mix.shares.get("ok", 0)
    fair = sat.server_cores * params.qps_per_server_core[mix.path] / max(1, sat.concurrent_runs)
    cap = min(sat.backends * params.app_qps_per_pod, fair)
    if share_ok and rate * share_ok > cap:
        rate = cap / share_ok
        others = _mean(params, mix, ok, spec.timeout_s) - share_ok * ok.mean
        needed = (spec.connections / rate - others) / share_ok  # Little's law for the ok requests
        ok = ok.scaled(max(1.0, needed / ok.mean))
    return rate, ok


def simulate_run(params: PerfParams, spec: RunSpec, mix: Mix, sat: Saturation, seed: int) -> RunResult:
    rng = random.Random(seed)
    rate, ok = plan_rate(params, spec, mix, sat)
    n = spec.exactly or max(0, round(rate * spec.duration_s))
    counts = dict(zip(OUTCOMES, draw_counts(rng, n, [mix.shares.get(o, 0.0) for o in OUTCOMES]), strict=True))
    late = _late(rng, counts["ok"], ok, spec.timeout_s)
    counts["ok"] -= late
    counts["timeout"] += late
    ok_hist = _conditional(rng, counts["ok"], spec.resolution, ok, spec.timeout_s)
    errors = Histogram.empty(spec.resolution)
    for outcome in ("l7_403", "upstream_503", "reset", "refused"):
        lat = _deny_latency(params, outcome, spec.timeout_s)
        if lat and counts[outcome]:
            errors.add(from_cdf(rng, counts[outcome], spec.resolution, lat.cdf, lat.quantile, spec.timeout_s))
    errors.add(point_masses(spec.resolution, {spec.timeout_s: counts["timeout"]}))
    durations = Histogram.empty(spec.resolution)
    durations.add(ok_hist)
    durations.add(errors)
    return _result(counts, durations, errors, mix, n, spec.duration_s if not spec.exactly else n / rate)


def _late(rng: random.Random, n: int, ok: Latency, timeout: float) -> int:
    p_late = 1 - ok.cdf(timeout)
    return draw_counts(rng, n, [1 - p_late, p_late])[1] if n else 0


def _conditional(rng: random.Random, n: int, resolution: float, ok: Latency, timeout: float) -> Histogram:
    below = ok.cdf(timeout) or 1.0
    return from_cdf(
        rng, n, resolution, lambda x: min(1.0, ok.cdf(x) / below), lambda u: ok.quantile(u * below), timeout
    )


def _result(
    counts: dict[str, int], durations: Histogram, errors: Histogram, mix: Mix, n: int, elapsed: float
) -> RunResult:
    failed = counts["reset"] + counts["refused"] + counts["timeout"]
    answered = counts["l7_403"] + counts["upstream_503"]
    codes = {"200": counts["ok"], "403": counts["l7_403"], "503": counts["upstream_503"], "-1": failed}
    ok_size, deny_size = mix.ok_body + mix.ok_headers, mix.deny_body + mix.deny_headers
    sizes = point_masses(1.0, {ok_size: counts["ok"], deny_size: answered, 0.0: failed})
    headers = point_masses(1.0, {mix.ok_headers: counts["ok"], mix.deny_headers: answered, 0.0: failed})
    return RunResult(durations, errors, {k: v for k, v in codes.items() if v}, sizes, headers, n, elapsed)
