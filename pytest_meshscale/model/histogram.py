"""Fortio latency histograms: parse fortio's exported buckets, merge them exactly, compute percentiles.

Fortio (stats/stats.go) counts values in fixed buckets whose edges are `resolution*v + offset` for v in
BUCKET_VALUES, plus one bucket for values <= 0 and one overflow bucket. Its export replaces the first
bucket's Start with the observed Min and the last bucket's End with the observed Max, so merging must map
every exported bucket back to its bucket index on that grid, add counts index by index, and export again.
Histograms with different resolutions are refused (ModelError naming both): re-binning would invent data.
Without any known resolution (old fortio JSON with a single bucket has no inner edge to infer it from),
histograms whose exported buckets are identical still merge exactly, bucket by bucket.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .errors import ModelError

__all__ = ["BUCKET_VALUES", "Bucket", "Histogram", "bucket_index", "infer_resolution", "merge", "same_edges"]

BUCKET_VALUES: tuple[int, ...] = (
    *range(0, 12), 12, 14, 16, 18, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100,
    120, 140, 160, 180, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000,
    2000, 3000, 4000, 5000, 7500, 10000, 20000, 30000, 40000, 50000, 75000, 100000,
)  # fmt: skip
_OVERFLOW = len(BUCKET_VALUES)  # index of the bucket for values above the last edge
_VALUE_INDEX = {v: i for i, v in enumerate(BUCKET_VALUES)}
_REL_TOL = 1e-9


@dataclass(frozen=True, slots=True)
class Bucket:
    start: float
    end: float
    count: int


def bucket_index(value: float, resolution: float, offset: float = 0.0) -> int:
    """The fortio bucket a value falls in: intervals are ]prev, cur] (fortio's record(), 1e-12 rule)."""
    scaled = (value - offset) / resolution
    if scaled <= 0:
        return 0
    if scaled > BUCKET_VALUES[-1]:
        return _OVERFLOW
    whole = int(scaled)
    if scaled - whole < 1e-12:
        whole -= 1
    # first index whose edge is > whole (fortio's val2Bucket / lookUpIdx)
    lo, hi = 0, _OVERFLOW
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if BUCKET_VALUES[mid] <= whole else (lo, mid)
    return lo


def _edge_index(edge: float, resolution: float, offset: float) -> int | None:
    """Index i with resolution*BUCKET_VALUES[i] + offset == edge, or None when edge is off the grid."""
    scaled = (edge - offset) / resolution
    nearest = round(scaled)
    if abs(scaled - nearest) > 1e-6 * max(1.0, abs(scaled)):
        return None
    return _VALUE_INDEX.get(int(nearest))


def _fits(buckets: Sequence[Bucket], lo: float, hi: float, resolution: float, offset: float) -> bool:
    """Whether fortio's export at this resolution could have produced these buckets."""
    last = len(buckets) - 1
    for i, b in enumerate(buckets):
        end = bucket_index(hi, resolution, offset) if i == last else _edge_index(b.end, resolution, offset)
        start = bucket_index(lo, resolution, offset) if i == 0 else _edge_index(b.start, resolution, offset)
        if end is None or start is None or (i > 0 and start + 1 != end) or (i == 0 and start != end):
            return False
    return True


def _roundness(resolution: float) -> tuple[bool, float]:
    mantissa = resolution / 10 ** math.floor(math.log10(resolution))
    round_ = any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 2.5, 5, 10))
    return (not round_, abs(math.log10(resolution) + 3))  # round first, then nearest fortio's 1ms default


def infer_resolution(buckets: Sequence[Bucket], lo: float, hi: float, offset: float = 0.0) -> float | None:
    """Old fortio JSON has no Resolution field: find the -r whose grid explains every exported edge.

    Several can fit when few buckets are present; a round value (1, 2, 2.5 or 5 times a power of ten)
    nearest the 1 ms default is preferred. None when no grid fits (e.g. Nighthawk's own buckets)."""
    edges = [b.end for b in buckets[:-1]] + [b.start for b in buckets[1:]]
    positive = [e - offset for e in edges if e - offset > 0]
    if not positive:
        return None
    smallest = min(positive)
    fitting = [smallest / v for v in BUCKET_VALUES[1:] if _fits(buckets, lo, hi, smallest / v, offset)]
    return min(fitting, key=_roundness) if fitting else None


@dataclass(frozen=True, slots=True)
class Histogram:
    """One fortio histogram. `m2` is the sum of squared deviations from the mean (Count * StdDev**2)."""

    count: int
    min: float
    max: float
    sum: float
    m2: float
    buckets: tuple[Bucket, ...]
    resolution: float | None = None
    offset: float = 0.0

    @property
    def mean(self) -> float:
        return self.sum / self.count if self.count else 0.0

    @property
    def stddev(self) -> float:
        return math.sqrt(self.m2 / self.count) if self.count else 0.0

    def percentile(self, p: float) -> float:
        """fortio HistogramData.CalcPercentile: linear inside the bucket, from 100/Count at Min."""
        if not self.buckets:
            return 0.0
        if p >= 100:
            return self.max
        previous = 100.0 / self.count
        if p <= previous:
            return self.min
        total = 0
        for b in self.buckets:
            total += b.count
            percent = 100.0 * total / self.count  # the same float fortio exports as Percent
            if p <= percent:
                return b.start + (p - previous) / (percent - previous) * (b.end - b.start)
            previous = percent
        return self.max

    def percentiles(self, ps: Iterable[float]) -> dict[float, float]:
        return {p: self.percentile(p) for p in ps}

    def to_fortio(self, percentiles: Iterable[float] = ()) -> dict[str, Any]:
        """fortio's HistogramData JSON (Percent is cumulative; Percentiles as CalcPercentiles adds them)."""
        data, total = [], 0
        for b in self.buckets:
            total += b.count
            data.append(
                {"Start": b.start, "End": b.end, "Percent": 100.0 * total / self.count, "Count": b.count}
            )
        out: dict[str, Any] = {
            "Count": self.count, "Min": self.min, "Max": self.max, "Sum": self.sum,
            "Avg": self.mean, "StdDev": self.stddev, "Data": data or None,
        }  # fmt: skip
        if self.count:
            out["Percentiles"] = [{"Percentile": p, "Value": self.percentile(p)} for p in percentiles]
        return out

    def index_counts(self) -> dict[int, int]:
        """Counts by fortio bucket index; needs the resolution (the grid) to undo the export."""
        if self.resolution is None:
            raise ModelError("histogram has no known resolution (fortio -r): cannot align its buckets")
        last = len(self.buckets) - 1
        counts: dict[int, int] = {}
        for i, b in enumerate(self.buckets):
            index = self._index_of(i, last, b)
            counts[index] = counts.get(index, 0) + b.count
        return counts

    def _index_of(self, i: int, last: int, b: Bucket) -> int:
        assert self.resolution is not None
        if i == last:  # End is Max: the bucket is the one Max falls in
            return bucket_index(self.max, self.resolution, self.offset)
        index = _edge_index(b.end, self.resolution, self.offset)
        if index is None:
            raise ModelError(f"bucket end {b.end!r} is not on fortio's grid for resolution {self.resolution}")
        return index

    def with_grid(self, resolution: float, offset: float = 0.0) -> Histogram:
        """This histogram on the given grid; ModelError when it was recorded with another one."""
        if self.resolution is None:
            if not _fits(self.buckets, self.min, self.max, resolution, offset):
                raise ModelError(f"buckets {self.buckets[0]}... are not on fortio's grid for -r {resolution}")
            return replace(self, resolution=resolution, offset=offset)
        if math.isclose(self.resolution, resolution, rel_tol=_REL_TOL) and math.isclose(self.offset, offset):
            return self
        raise ModelError(
            f"cannot merge histograms with different resolution/offset: {self.resolution}/{self.offset} "
            f"and {resolution}/{offset}; run every fortio client with the same -r"
        )

    @classmethod
    def from_samples(cls, values: Sequence[float], resolution: float, offset: float = 0.0) -> Histogram:
        """Record raw values as fortio would (used by tests, the benchmark and the simulator)."""
        if not values:
            return cls.empty(resolution, offset)
        counts: dict[int, int] = {}
        for v in values:
            index = bucket_index(v, resolution, offset)
            counts[index] = counts.get(index, 0) + 1
        total = math.fsum(values)
        mean = total / len(values)
        m2 = math.fsum((v - mean) ** 2 for v in values)
        return _export(counts, len(values), min(values), max(values), total, m2, resolution, offset)

    @classmethod
    def empty(cls, resolution: float | None = None, offset: float = 0.0) -> Histogram:
        return cls(0, 0.0, 0.0, 0.0, 0.0, (), resolution, offset)


def _export(
    counts: dict[int, int], count: int, lo: float, hi: float, total: float, m2: float,
    resolution: float, offset: float,
) -> Histogram:  # fmt: skip
    """fortio Histogram.Export: skip empty buckets, first Start = Min, last End = Max."""
    buckets: list[Bucket] = []
    for index in sorted(k for k, v in counts.items() if v):
        start = lo if not buckets else resolution * BUCKET_VALUES[max(index - 1, 0)] + offset
        if index == _OVERFLOW:
            start, end = resolution * BUCKET_VALUES[-1] + offset, hi
        else:
            end = resolution * BUCKET_VALUES[index] + offset
        buckets.append(Bucket(start, end, counts[index]))
    if buckets:
        buckets[-1] = Bucket(buckets[-1].start, hi, buckets[-1].count)
    return Histogram(count, lo, hi, total, m2, tuple(buckets), resolution, offset)


def same_edges(histograms: Sequence[Histogram]) -> bool:
    """Whether every histogram exported the same buckets (Start and End alike; counts may differ)."""
    first = histograms[0].buckets if histograms else ()
    return all(
        len(h.buckets) == len(first)
        and all(
            math.isclose(a.start, b.start, rel_tol=_REL_TOL) and math.isclose(a.end, b.end, rel_tol=_REL_TOL)
            for a, b in zip(h.buckets, first, strict=True)
        )
        for h in histograms[1:]
    )


def _on_grid(histograms: Sequence[Histogram]) -> list[Histogram]:
    """All histograms on one grid: different known resolutions are refused; one without a known
    resolution (a single bucket has no inner edge) adopts the common grid when its buckets fit it."""
    known = [h for h in histograms if h.resolution is not None]
    resolution, offset = known[0].resolution, known[0].offset
    assert resolution is not None
    return [h.with_grid(resolution, offset) for h in histograms]


def _pooled(parts: Sequence[Histogram]) -> tuple[int, float, float, float, float]:
    """Count, Sum, m2, Min and Max of the union of `parts`."""
    count = sum(h.count for h in parts)
    total = math.fsum(h.sum for h in parts)
    mean = total / count
    # Chan et al.: stable pooled variance; avoids fortio's sumOfSquares - Sum^2/N cancellation
    m2 = math.fsum(h.m2 + h.count * (h.mean - mean) ** 2 for h in parts)
    return count, total, m2, min(h.min for h in parts), max(h.max for h in parts)


def _merge_same_edges(parts: Sequence[Histogram]) -> Histogram:
    """No grid known: identical buckets are the same buckets, so their counts add up exactly."""
    if not same_edges(parts):
        raise ModelError(
            "cannot merge histograms whose resolution (fortio -r) is unknown and whose buckets differ; "
            "pass Resolution"
        )
    count, total, m2, lo, hi = _pooled(parts)
    buckets = tuple(
        Bucket(b.start, b.end, sum(h.buckets[i].count for h in parts)) for i, b in enumerate(parts[0].buckets)
    )
    return Histogram(count, lo, hi, total, m2, buckets, None, parts[0].offset)


def merge(histograms: Iterable[Histogram]) -> Histogram:
    """Exact merge (fortio Transfer): counts added per bucket; Count, Sum, Min, Max and m2 combined."""
    parts = [h for h in histograms if h.count]
    if not parts:
        return Histogram.empty()
    if len(parts) == 1:
        return parts[0]
    if all(h.resolution is None for h in parts):
        return _merge_same_edges(parts)
    parts = _on_grid(parts)
    resolution, offset = parts[0].resolution, parts[0].offset
    assert resolution is not None
    counts: dict[int, int] = {}
    for h in parts:
        for index, n in h.index_counts().items():
            counts[index] = counts.get(index, 0) + n
    count, total, m2, lo, hi = _pooled(parts)
    return _export(counts, count, lo, hi, total, m2, resolution, offset)
