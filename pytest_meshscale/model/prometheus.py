"""The Prometheus text exposition format (what kube-apiserver's and etcd's /metrics serve), read into samples,
and the two operations a run window needs: the difference of two scrapes, and a quantile of a histogram
whose cumulative buckets were summed bucket by bucket (never an average of per-series quantiles).

Format: https://prometheus.io/docs/instrumenting/exposition_formats/ (text format 0.0.4). Quantile: as
PromQL's histogram_quantile(), linear interpolation inside the bucket the rank falls in
(prometheus/prometheus promql/quantile.go bucketQuantile).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from .errors import ModelError

__all__ = ["Sample", "Scrape", "bucket_quantile", "merge_buckets", "parse_text"]

K = TypeVar("K", bound=Hashable)

_LINE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+-?\d+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}

Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs: hashable, comparable


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: Labels
    value: float

    def label(self, key: str) -> str:
        return dict(self.labels).get(key, "")


def _labels(text: str, line_no: int) -> Labels:
    pairs, pos = [], 0
    while pos < len(text):
        found = _LABEL.match(text, pos)
        if found is None or found.end() == pos:
            raise ModelError(f"metrics line {line_no}: bad labels {text[pos:pos + 40]!r}")
        value = re.sub(r"\\[\\\"n]", lambda m: _UNESCAPE[m.group(0)], found.group(2))
        pairs.append((found.group(1), value))
        pos = found.end()
    return tuple(sorted(pairs))


def _number(text: str, line_no: int) -> float:
    try:
        return float(text)  # also "+Inf", "-Inf", "NaN", as the format allows
    except ValueError:
        raise ModelError(f"metrics line {line_no}: bad value {text!r}") from None


def parse_text(text: str, names: Iterable[str] | None = None) -> Scrape:
    """Every sample of the exposition (or only the metric families in `names`, which keeps a 4 MB apiserver
    scrape cheap: its _bucket series are most of it)."""
    wanted = tuple(names) if names is not None else None
    samples = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        if wanted is not None and not line.startswith(wanted):
            continue
        found = _LINE.match(line.strip())
        if found is None:
            raise ModelError(f"metrics line {line_no}: not a sample: {line[:80]!r}")
        samples.append(Sample(found.group("name"), _labels(found.group("labels") or "", line_no),
                              _number(found.group("value"), line_no)))
    return Scrape(tuple(samples))


@dataclass(frozen=True, slots=True)
class Scrape:
    samples: tuple[Sample, ...]

    def of(self, name: str, where: Callable[[Sample], bool] | None = None) -> list[Sample]:
        return [s for s in self.samples if s.name == name and (where is None or where(s))]

    def total(self, name: str, where: Callable[[Sample], bool] | None = None) -> float:
        return sum(s.value for s in self.of(name, where))

    def minus(self, before: Scrape) -> Scrape:
        """Counters over the window: this scrape minus `before`, series by series. A series that went down
        was reset (its process restarted): its value now is what it counted since."""
        earlier = {(s.name, s.labels): s.value for s in before.samples}
        out = []
        for s in self.samples:
            old = earlier.get((s.name, s.labels), 0.0)
            out.append(Sample(s.name, s.labels, s.value - old if s.value >= old else s.value))
        return Scrape(tuple(out))


def merge_buckets(samples: Iterable[Sample], key: Callable[[Sample], K]) -> dict[K, dict[float, float]]:
    """The `_bucket` samples of a histogram summed bucket by bucket (by their `le`) within each group `key` names:
    series that differ only in labels the key ignores (component, group, version...) become one histogram, whose
    quantile is then honest where an average of per-series quantiles is not."""
    merged: dict[K, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for s in samples:
        merged[key(s)][float(s.label("le"))] += s.value
    return {k: dict(v) for k, v in merged.items()}


def bucket_quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The q-quantile of a histogram given as upper bound (le) -> cumulative count, +Inf included; None when
    it counted nothing. In the +Inf bucket the answer is the highest finite bound, as PromQL answers."""
    if not 0 <= q <= 1:
        raise ModelError(f"quantile must be within [0, 1], got {q}")
    edges = sorted(buckets)
    if not edges or not math.isinf(edges[-1]):
        raise ModelError("a histogram needs its +Inf bucket")
    total = buckets[edges[-1]]
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for edge in edges:
        count = buckets[edge]
        if count >= rank:
            if math.isinf(edge):
                return edges[-2] if len(edges) > 1 else None
            inside = count - below
            return lower + (edge - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = edge, count
    return None
