"""Client-side pacing for bulk work: a token bucket (qps + burst, as client-go's) and namespace waves.

The seed deployed in batches because a burst of thousands of creates made the API server metastable;
the bucket bounds the request rate however many worker threads send, and waves bound how much is in
flight before the previous batch has landed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..model.profiles import Creation
from .base import Manifest

__all__ = ["RateLimit", "TokenBucket", "Wave", "plan_waves"]

# Applied first in a wave: a CRD must exist before its objects, a namespace before its contents.
_PHASE_OF_KIND = {"CustomResourceDefinition": 0, "Namespace": 1}


@dataclass(frozen=True, slots=True)
class RateLimit:
    """How gently the run talks to the API server (from the profile's `creation` section)."""

    qps: float
    burst: int
    wave_namespaces: int = 0  # namespaces per apply wave; 0 = all in one wave
    workers: int = 4  # concurrent requests within a wave phase (the bucket still caps the rate)

    def __post_init__(self) -> None:
        if not self.qps > 0:
            raise ValueError(f"rate limit 'qps' must be > 0, got {self.qps!r}")
        if self.burst < 1 or self.workers < 1 or self.wave_namespaces < 0:
            raise ValueError(f"rate limit needs burst >= 1, workers >= 1, wave_namespaces >= 0: {self!r}")

    @classmethod
    def from_creation(cls, creation: Creation, workers: int = 4) -> RateLimit:
        return cls(creation.qps, creation.burst, creation.wave_namespaces, workers)


class TokenBucket:
    """Thread-safe token bucket: `acquire()` blocks until a request may be sent; returns the seconds waited.

    Each caller reserves its token under the lock and sleeps outside it, so waiting threads are served
    in arrival order and the long-run rate never exceeds qps (plus the initial burst).
    """

    def __init__(
        self,
        rate: RateLimit,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self._clock, self._sleep = clock, sleep
        self._tokens = float(rate.burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.rate.burst), self._tokens + (now - self._stamp) * self.rate.qps)
            self._stamp = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate.qps if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


@dataclass(frozen=True, slots=True)
class Wave:
    """One batch of namespaces' objects; phases run one after another, objects within a phase concurrently."""

    namespaces: tuple[str, ...]
    phases: tuple[tuple[Manifest, ...], ...]

    @property
    def size(self) -> int:
        return sum(len(p) for p in self.phases)


def _home(manifest: Manifest) -> str:
    """The namespace an object belongs to for wave planning ('' = cluster-scoped, goes in the first wave)."""
    meta: dict[str, Any] = manifest.get("metadata") or {}
    if manifest.get("kind") == "Namespace":
        return str(meta.get("name", ""))
    return str(meta.get("namespace") or "")


def _phases(manifests: list[Manifest]) -> tuple[tuple[Manifest, ...], ...]:
    buckets: list[list[Manifest]] = [[], [], []]
    for m in manifests:
        buckets[_PHASE_OF_KIND.get(str(m.get("kind")), 2)].append(m)
    return tuple(tuple(b) for b in buckets if b)


def plan_waves(manifests: Iterable[Manifest], namespaces_per_wave: int) -> list[Wave]:
    """Split manifests into waves of `namespaces_per_wave` namespaces (0 = one wave), keeping input order."""
    by_ns: dict[str, list[Manifest]] = {"": []}
    for m in manifests:
        by_ns.setdefault(_home(m), []).append(m)
    names = [n for n in by_ns if n]
    step = namespaces_per_wave or max(1, len(names))
    groups = [names[i : i + step] for i in range(0, len(names), step)] or [[]]
    groups[0] = [""] + groups[0]
    waves = [Wave(tuple(n for n in g if n), _phases([m for n in g for m in by_ns[n]])) for g in groups]
    return [w for w in waves if w.size]
