"""Latency distribution of one request path: a lognormal body plus a rarer, slower lognormal tail.

Scaled as a whole when the path is saturated (closed-loop clients: Little's law sets the mean latency),
so shape (sigma, tail share, tail multiple) stays the path's own while the level follows the load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Latency"]


def _lognorm_cdf(x: float, median: float, sigma: float) -> float:
    if x <= 0:
        return 0.0
    return 0.5 * (1 + math.erf(math.log(x / median) / (sigma * math.sqrt(2))))


@dataclass(frozen=True, slots=True)
class Latency:
    median_s: float
    sigma: float
    tail_share: float = 0.0
    tail_multiple: float = 1.0  # tail median = median_s * tail_multiple
    tail_sigma: float = 0.5

    def scaled(self, factor: float) -> Latency:
        return Latency(self.median_s * factor, self.sigma, self.tail_share, self.tail_multiple, self.tail_sigma)

    @property
    def mean(self) -> float:
        body = self.median_s * math.exp(self.sigma**2 / 2)
        tail = self.median_s * self.tail_multiple * math.exp(self.tail_sigma**2 / 2)
        return (1 - self.tail_share) * body + self.tail_share * tail

    def cdf(self, x: float) -> float:
        body = _lognorm_cdf(x, self.median_s, self.sigma)
        if not self.tail_share:
            return body
        tail = _lognorm_cdf(x, self.median_s * self.tail_multiple, self.tail_sigma)
        return (1 - self.tail_share) * body + self.tail_share * tail

    def quantile(self, u: float) -> float:
        """Inverse CDF by bisection on log(x): 60 steps, far below fortio's bucket resolution."""
        lo, hi = math.log(self.median_s) - 20, math.log(self.median_s * max(self.tail_multiple, 1)) + 20
        for _ in range(60):
            mid = (lo + hi) / 2
            if self.cdf(math.exp(mid)) < u:
                lo = mid
            else:
                hi = mid
        return math.exp((lo + hi) / 2)
