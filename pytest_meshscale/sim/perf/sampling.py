"""Drawing fortio histograms from a distribution: bucket probabilities from the CDF, then a multinomial
built from sequential binomials, so a million requests cost ~50 draws and a seed fixes the result."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

from .histogram import Histogram, edges

__all__ = ["draw_counts", "from_cdf"]


def _binomial(rng: random.Random, n: int, p: float) -> int:
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    mean = n * p
    if mean < 30:  # Poisson inversion: exact enough for rare buckets, O(mean)
        k, term = 0, math.exp(-mean)
        acc, u = term, rng.random()
        while u > acc and k < n:
            k += 1
            term *= mean / k
            acc += term
        return k
    return min(n, max(0, round(rng.gauss(mean, math.sqrt(mean * (1 - p))))))


def draw_counts(rng: random.Random, n: int, probs: Sequence[float]) -> list[int]:
    """A multinomial draw of n over probs (which sum to ~1)."""
    counts, left, mass = [], n, 1.0
    for p in probs:
        c = _binomial(rng, left, min(1.0, p / mass)) if mass > 0 else 0
        counts.append(c)
        left -= c
        mass -= p
    if left and counts:
        counts[max(range(len(counts)), key=lambda i: probs[i])] += left
    return counts


def from_cdf(
    rng: random.Random,
    n: int,
    resolution: float,
    cdf: Callable[[float], float],
    quantile: Callable[[float], float],
    cap: float,
) -> Histogram:
    """n draws of a distribution given by cdf/quantile, truncated at cap (values above are clamped)."""
    h = Histogram.empty(resolution)
    if n <= 0:
        return h
    e = [x for x in edges(resolution) if x < cap] + [cap]
    cum = [0.0] + [cdf(x) for x in e[:-1]] + [1.0]
    probs = [max(0.0, cum[i + 1] - cum[i]) for i in range(len(e))]
    drawn = draw_counts(rng, n, probs)
    for i, c in enumerate(drawn):
        h.counts[min(i, len(h.counts) - 1)] += c
    h.lo = max(quantile(0.5 / n), 1e-9)
    h.hi = min(quantile(1 - 0.5 / n), cap)
    _clamp_extremes(h)
    return h


def _inside(value: float, low: float, high: float) -> float:
    """value moved into [low, high): an extreme that fell outside its bucket sits 10% into it."""
    if low <= value < high:
        return value
    width = (high - low) if math.isfinite(high) else low
    return low + 0.1 * width if value < low else high - 0.1 * width


def _clamp_extremes(h: Histogram) -> None:
    """Min/Max must fall inside the first/last non-empty buckets (fortio's Data starts at Min, ends at Max)."""
    nonzero = [i for i, c in enumerate(h.counts) if c]
    e = [0.0, *edges(h.resolution), math.inf]  # bucket i spans [e[i], e[i + 1])
    first, last = nonzero[0], nonzero[-1]
    h.lo = _inside(h.lo, e[first], e[first + 1])
    h.hi = max(_inside(h.hi, e[last], e[last + 1]), h.lo)
