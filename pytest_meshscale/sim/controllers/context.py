"""What every controller shares: the store, the work queue, the placer, timing, the seeded RNG, the runtime."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

from ..runtime import PodRuntime
from ..store import Store
from .objects import random_suffix
from .placement import Placer
from .timing import Timing
from .workqueue import WorkQueue

__all__ = ["Context"]


@dataclass
class Context:
    store: Store
    runtime: PodRuntime
    timing: Timing
    seed: int = 0
    # Job pods are left Running for the data-plane agent, which runs their image and ends them through the API
    # (agent/jobs.py), as KWOK's stages leave them on a real control plane
    jobs_by_agent: bool = False
    queue: WorkQueue = field(default_factory=WorkQueue)
    placer: Placer = field(default_factory=Placer)
    _rng: random.Random = field(init=False)
    _rng_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(f"controllers-{self.seed}")

    def suffix(self, n: int = 5) -> str:
        with self._rng_lock:
            return random_suffix(self._rng, n)

    def ready_delay(self) -> float:
        with self._rng_lock:
            return self.timing.ready_delay(self._rng)
