"""Fortio-format histograms drawn from a distribution without simulating each request.

Bucket edges are fortio's `histogramBucketValues` (stats/stats.go) scaled by the resolution `-r`
(edge = value * r, as fortio computes it). Counts are drawn per bucket from the bucket's probability
(a multinomial built from sequential binomials), so a million requests cost ~50 draws. Export follows
fortio: only non-empty buckets, the first Start is Min, the last End is Max, Percent is cumulative, and
percentiles interpolate linearly inside a bucket (stats.CalcPercentile). Drawing lives in sampling.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["BUCKET_VALUES", "Histogram", "edges", "point_masses"]

BUCKET_VALUES: tuple[float, ...] = (
    *range(0, 12),
    *range(12, 21, 2),
    *range(25, 51, 5),
    *range(60, 101, 10),
    *range(120, 201, 20),
    *range(250, 501, 50),
    *range(600, 1001, 100),
    2000,
    3000,
    4000,
    5000,
    7500,
    10000,
    20000,
    30000,
    40000,
    50000,
    75000,
    100000,
)


def edges(resolution: float) -> list[float]:
    return [v * resolution for v in BUCKET_VALUES]


@dataclass
class Histogram:
    """Bucket counts over fortio edges (bucket i = [edge[i-1], edge[i]); 0 is below 0; the last overflows)."""

    resolution: float
    counts: list[int]
    lo: float = 0.0  # observed Min and Max
    hi: float = 0.0

    @classmethod
    def empty(cls, resolution: float) -> Histogram:
        return cls(resolution, [0] * (len(BUCKET_VALUES) + 1))

    def bounds(self, i: int) -> tuple[float, float]:
        e = edges(self.resolution)
        return (e[i - 1] if i > 0 else self.lo), (e[i] if i < len(e) else self.hi)

    def bucket_of(self, value: float) -> int:
        e = edges(self.resolution)
        return next((i for i, edge in enumerate(e) if value < edge), len(e))

    def add(self, other: Histogram) -> None:
        if other.count == 0:
            return
        self.lo = other.lo if self.count == 0 else min(self.lo, other.lo)
        self.hi = other.hi if self.count == 0 else max(self.hi, other.hi)
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]

    @property
    def count(self) -> int:
        return sum(self.counts)

    def _mids(self) -> list[tuple[float, int]]:
        out = []
        for i, c in enumerate(self.counts):
            if c:
                a, b = self.bounds(i)
                a, b = max(a, self.lo), min(b, self.hi)
                out.append(((a + b) / 2, c))
        return out

    def to_fortio(self, percentiles: Sequence[float] | None) -> dict[str, Any]:
        n = self.count
        mids = self._mids()
        total = sum(m * c for m, c in mids)
        avg = total / n if n else 0.0
        var = sum(c * (m - avg) ** 2 for m, c in mids) / n if n else 0.0
        stats = {
            "Min": self.lo if n else 0,
            "Max": self.hi if n else 0,
            "Sum": total,
            "Avg": avg,
            "StdDev": math.sqrt(var),
        }
        data = [{k: _go_number(v) for k, v in row.items()} for row in self._data()]
        out: dict[str, Any] = {"Count": n, **{k: _go_number(v) for k, v in stats.items()}, "Data": data or None}
        if percentiles is not None and n:
            out["Percentiles"] = [{"Percentile": _go_number(p), "Value": self.percentile(p)} for p in percentiles]
        return out

    def _data(self) -> list[dict[str, Any]]:
        n, run, rows = self.count, 0, []
        nonzero = [i for i, c in enumerate(self.counts) if c]
        for k, i in enumerate(nonzero):
            a, b = self.bounds(i)
            run += self.counts[i]
            rows.append(
                {
                    "Start": self.lo if k == 0 else a,
                    "End": self.hi if k == len(nonzero) - 1 else b,
                    "Percent": 100.0 * run / n if run < n else 100,
                    "Count": self.counts[i],
                }
            )
        return rows

    def percentile(self, p: float) -> float:
        data = self._data()
        if not data:
            return 0.0
        if p <= 0:
            return float(self.lo)
        prev = 0.0
        for row in data:
            if p <= row["Percent"]:
                span = row["Percent"] - prev
                return float(row["Start"] + (p - prev) / span * (row["End"] - row["Start"]))
            prev = row["Percent"]
        return float(self.hi)


def _go_number(x: float) -> float | int:
    """Go's JSON writes 50.0 as 50: keep whole numbers integral so the bytes look like fortio's."""
    return int(x) if float(x).is_integer() else x


def point_masses(resolution: float, values: dict[float, int]) -> Histogram:
    """A histogram of exact values (response sizes: each category has one size)."""
    h = Histogram.empty(resolution)
    for v, c in values.items():
        if c:
            h.counts[h.bucket_of(v)] += c
    present = [v for v, c in values.items() if c]
    h.lo, h.hi = (min(present), max(present)) if present else (0.0, 0.0)
    return h
