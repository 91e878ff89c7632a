"""The scorecard: each mesh's headline numbers, the best mesh per metric, every mesh's ratio to it and its
overhead over the no-mesh baseline (the control, never ranked).

Pure logic on Score views; the text table, HTML, SVG and JSON are renderings of the `Scorecard`
built here, so the four outputs can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..model.score import Score
from .score_source import LoadedScore
from .simulated import mark_title

__all__ = ["CALIBRATION_NOTE", "KERNEL_NOTE", "METRICS", "PRICE_NOTE", "REFERENCE", "Metric", "Reference", "Row",
           "Scorecard", "attribute_kernel", "build_scorecard"]

GIB = 1024.0**3
BASELINE = "baseline"
TITLE = "Mesh scorecard"
TIE = 0.005  # relative: values this close are the same at the precision the scorecard shows


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    label: str
    unit: str
    higher_is_better: bool
    read: Callable[[Score], float | None]
    head: tuple[str, str]  # the text table's two header lines: a short name, then the unit
    # an error rate is read as a percentage: "10x the errors" of a near-zero rate tells nothing
    compared: bool = True


def _latency_ms(percentile: str) -> Callable[[Score], float | None]:
    def read(score: Score) -> float | None:
        value = score.latency_s.get(percentile)
        return None if value is None else value * 1e3

    return read


def _gib(value: float | None) -> float | None:
    return None if value is None else value / GIB


METRICS = (
    Metric("qps", "QPS", "req/s", True, lambda s: s.qps, ("QPS", "req/s")),
    Metric("p50_ms", "p50 latency", "ms", False, _latency_ms("50"), ("p50", "ms")),
    Metric("p90_ms", "p90 latency", "ms", False, _latency_ms("90"), ("p90", "ms")),
    Metric("p99_ms", "p99 latency", "ms", False, _latency_ms("99"), ("p99", "ms")),
    Metric("p99.9_ms", "p99.9 latency", "ms", False, _latency_ms("99.9"), ("p99.9", "ms")),
    Metric("error_rate", "error rate", "%", False, lambda s: s.error_rate * 100.0, ("errors", "%"), compared=False),
    Metric("cores_idle", "mesh cores idle", "cores", False, lambda s: s.mesh_cores_idle, ("CPU idle", "cores")),
    Metric("cores_load", "mesh user-space cores under load", "cores", False, lambda s: s.user_cores,
           ("user CPU", "cores")),
    Metric(
        "memory_idle_gib",
        "mesh memory idle",
        "GiB",
        False,
        lambda s: _gib(s.mesh_memory_idle_bytes),
        ("mem idle", "GiB"),
    ),
    Metric(
        "memory_load_gib",
        "mesh memory under load",
        "GiB",
        False,
        lambda s: _gib(s.mesh_memory_load_bytes),
        ("mem load", "GiB"),
    ),
    Metric(
        "queries_per_core",
        "queries per core",
        "q/core",
        True,
        lambda s: s.queries_per_core,
        ("queries", "per core"),
    ),
    # kernel-inclusive (model/kernel.py): None where no baseline attributed the kernel's share
    Metric("kernel_cores", "kernel cores attributed to the mesh", "cores", False, lambda s: s.kernel_cores,
           ("kernel", "cores")),
    Metric("total_cores", "mesh cores, user space + kernel", "cores", False, lambda s: s.total_cores,
           ("CPU total", "cores")),
    Metric("queries_per_total_core", "queries per total core", "q/core", True, lambda s: s.queries_per_total_core,
           ("queries", "/total core")),
    Metric("usd_per_million", "USD per million requests (price model)", "USD", False,
           lambda s: s.usd_per_million_requests, ("$/M req", "USD")),
)
KERNEL_NOTE = (
    "kernel = the cluster's CPU no pod accounts for (node - its pods) under load, minus the baseline's at the "
    "mesh's QPS; total = user CPU + kernel"
)
PRICE_NOTE = ("$/M req: a price model (total cores x the node pools' list price per vCPU-hour; the VMs only, no "
              "AKS tier fee, disks or egress), not a bill")


@dataclass(frozen=True, slots=True)
class Reference:
    """Published relative figures, Istio ambient / Cilium, per metric key (quoted, never measured)."""

    label: str
    note: str
    ratios: dict[str, float]
    numerator: str = "istio-ambient"
    denominator: str = "cilium"


REFERENCE = Reference(
    label="Istio blog (2024)",
    note=(
        "quoted from the Istio blog (2024), not measured: Istio +56% QPS at -20% tail latency vs Cilium; "
        "Cilium -30% CPU (excluding kernel work); 2,178 vs 1,815 queries per core"
    ),
    # Cilium used 30% less CPU, so Istio / Cilium cores = 1 / 0.7.
    ratios={
        "qps": 1.56,
        "p99_ms": 0.80,
        "cores_load": round(1 / 0.7, 2),
        "queries_per_core": round(2178 / 1815, 2),
    },
)
# fixtures/sim/perf.yaml: its "calibration" parameters are chosen so the model reproduces the blog's ratios
CALIBRATION_NOTE = (
    "the simulator's performance model is calibrated from these blog figures (fixtures/sim/perf.yaml), "
    "so simulated ratios agreeing with them is by construction, not a confirmation"
)


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    loaded: LoadedScore
    values: tuple[float | None, ...]
    # value / the best mesh's value; None for the baseline, when fewer than two meshes compete, or undefined
    ratios: tuple[float | None, ...]
    # value / the no-mesh baseline's value (a mesh's overhead); None for the baseline itself or undefined
    vs_baseline: tuple[float | None, ...]

    @property
    def is_baseline(self) -> bool:
        return self.loaded.score.mesh == BASELINE


@dataclass(frozen=True, slots=True)
class Scorecard:
    rows: tuple[Row, ...]
    best: tuple[str | None, ...]  # row name of the best mesh per metric; None when fewer than two meshes
    simulated: bool
    scales: tuple[str, ...]
    clusters: tuple[str, ...]
    measured_ratios: dict[str, float] | None  # this run's Istio ambient / Cilium, as the reference
    # per metric, the value the chart measures every row against: the best mesh's (or the lone mesh's)
    chart_reference: tuple[float | None, ...] = ()
    # per mesh, why its kernel cores are what they are ("against baseline (same run)", "no baseline: ..."), and
    # the price's source or "no price"
    cost_notes: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return mark_title(TITLE, self.simulated)

    @property
    def meshes(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if not r.is_baseline)

    @property
    def baseline(self) -> Row | None:
        return next((r for r in self.rows if r.is_baseline), None)

    @property
    def ranked(self) -> bool:
        """With one mesh there is no best: nothing is marked and no "vs best" ratio is shown."""
        return len(self.meshes) >= 2

    def is_best(self, row: Row, metric: int) -> bool:
        """Ties count: every mesh within 0.5% of the best value (what a 1.00x ratio shows) is marked best."""
        best = next((r for r in self.rows if r.name == self.best[metric]), None)
        if not self.ranked or row.is_baseline or best is None:
            return False
        value, top = row.values[metric], best.values[metric]
        return value is not None and top is not None and math.isclose(value, top, rel_tol=TIE, abs_tol=1e-12)


def _best(values: Sequence[float | None], higher: bool, candidates: Sequence[bool]) -> int | None:
    present = [(v, i) for i, v in enumerate(values) if v is not None and candidates[i]]
    if not present:
        return None
    return (max if higher else min)(present)[1]


def _ratio(value: float | None, best: float | None) -> float | None:
    if value is None or best is None:
        return None
    if best == 0:
        return 1.0 if value == 0 else None  # a ratio to zero (e.g. no errors) is not a number
    return value / best


def _names(scores: Sequence[LoadedScore]) -> list[str]:
    """Mesh name, plus the run id when one mesh appears in several runs."""
    meshes = [s.score.mesh for s in scores]
    return [s.score.mesh if meshes.count(s.score.mesh) == 1 else f"{s.score.mesh} ({s.score.run_id})" for s in scores]


def _measured(rows: Sequence[Row]) -> dict[str, float] | None:
    by_mesh = {r.loaded.score.mesh: r for r in rows}
    top, bottom = by_mesh.get(REFERENCE.numerator), by_mesh.get(REFERENCE.denominator)
    if top is None or bottom is None:
        return None
    keys = [m.key for m in METRICS]
    ratios = {key: _ratio(top.values[keys.index(key)], bottom.values[keys.index(key)]) for key in REFERENCE.ratios}
    return {k: v for k, v in ratios.items() if v is not None}


def _overhead(value: float | None, baseline: float | None) -> float | None:
    """A mesh's value / the baseline's; None where the baseline has none or zero (e.g. mesh cores)."""
    return None if value is None or not baseline else value / baseline


def _cluster(score: Score) -> str:
    """The cluster kind with which of its planes were real (kwok: a real API server, a simulated data plane)."""
    return f"{score.cluster_kind} ({score.planes})" if score.planes else score.cluster_kind


def attribute_kernel(scores: Sequence[LoadedScore], baseline: LoadedScore | None = None) -> list[LoadedScore]:
    """Each mesh's kernel cores against the named baseline Score, else the baseline of the same run (scores with
    neither keep what their file says: attributed when it was written, or "no baseline: ...")."""
    runs = {s.score.run_id: s for s in scores if s.score.mesh == BASELINE}
    out = []
    for s in scores:
        base, source = (baseline, str(baseline.path)) if baseline is not None else (runs.get(s.score.run_id),
                                                                                     "same run")
        if s.score.mesh == BASELINE:  # the control is its own reference: zero kernel cores by definition
            base, source = s, "same run"
        if base is not None:
            s = replace(s, score=s.score.with_baseline(base.score, source))
        out.append(s)
    return out


def _cost_notes(scores: Sequence[LoadedScore]) -> tuple[str, ...]:
    kernel = [f"{s.score.mesh}: {s.score.kernel_note}" for s in scores if s.score.mesh != BASELINE]
    prices = dict.fromkeys(s.score.price_note for s in scores)
    return (*kernel, *prices)


def build_scorecard(scores: Sequence[LoadedScore], baseline: LoadedScore | None = None) -> Scorecard:
    if not scores:
        raise ValueError("a scorecard needs at least one score")
    scores = sorted(attribute_kernel(scores, baseline),
                    key=lambda s: (s.score.mesh == BASELINE, s.score.mesh, s.score.run_id))
    columns = [[metric.read(s.score) for s in scores] for metric in METRICS]
    # The no-mesh baseline is the control: it is never ranked (it would "win" QPS and cost zero mesh cores),
    # it is what each mesh's overhead is measured against.
    meshes = [s.score.mesh != BASELINE for s in scores]
    ranked = sum(meshes) >= 2
    best_index = [_best(col, m.higher_is_better, meshes) for col, m in zip(columns, METRICS, strict=True)]
    # the chart still needs a yardstick with one mesh (or none): its value, else the baseline's
    yardstick = [
        b if b is not None else _best(col, m.higher_is_better, [True] * len(scores))
        for b, col, m in zip(best_index, columns, METRICS, strict=True)
    ]
    base = next((i for i, s in enumerate(scores) if s.score.mesh == BASELINE), None)
    names = _names(scores)
    rows = tuple(
        Row(
            name,
            loaded,
            tuple(col[i] for col in columns),
            tuple(
                _ratio(col[i], col[b]) if ranked and meshes[i] and b is not None and m.compared else None
                for col, b, m in zip(columns, best_index, METRICS, strict=True)
            ),
            tuple(
                _overhead(col[i], col[base]) if meshes[i] and base is not None and m.compared else None
                for col, m in zip(columns, METRICS, strict=True)
            ),
        )
        for i, (name, loaded) in enumerate(zip(names, scores, strict=True))
    )
    return Scorecard(
        rows=rows,
        best=tuple(None if b is None or not ranked else names[b] for b in best_index),
        simulated=any(s.score.simulated for s in scores),
        scales=tuple(dict.fromkeys(s.score.scale for s in scores)),
        clusters=tuple(dict.fromkeys(_cluster(s.score) for s in scores)),
        measured_ratios=_measured(rows),
        chart_reference=tuple(None if y is None else col[y] for y, col in zip(yardstick, columns, strict=True)),
        cost_notes=_cost_notes(scores),
    )
