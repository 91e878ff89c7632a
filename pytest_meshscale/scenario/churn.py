"""Churn as the seed ran it: rescale one random service every interval, relabel one namespace every interval.

Unlike the seed's shell loop (three kubectl round-trips per tick, so below 1/s, and a broken `[ -gte ]`
test that only ever wrote 0 or 1), each tick is one API call on a fixed schedule, and every event is
logged with its time and outcome so a report can show exactly what churn the mesh saw.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..cluster.base import Cluster, ClusterError
from ..model import Churn
from .workloads import SERVER

__all__ = ["ChurnEvent", "ChurnLog", "ChurnRunner"]

POLICY_GROUPS = ("0", "1", "2")


@dataclass(frozen=True, slots=True)
class ChurnEvent:
    at_s: float  # seconds since churn started
    action: str  # "rescale" or "relabel"
    namespace: str
    value: str
    ok: bool
    error: str = ""


@dataclass
class ChurnLog:
    events: list[ChurnEvent] = field(default_factory=list)
    started_at: float = 0.0
    stopped_at: float = 0.0

    def count(self, action: str, ok: bool | None = None) -> int:
        return sum(1 for e in self.events if e.action == action and (ok is None or e.ok == ok))

    def as_text(self) -> str:
        lines = ["at_s\taction\tnamespace\tvalue\tok\terror"]
        lines += [f"{e.at_s:.3f}\t{e.action}\t{e.namespace}\t{e.value}\t{e.ok}\t{e.error}" for e in self.events]
        return "\n".join(lines) + "\n"


class ChurnRunner:
    """Context manager: two loops on their own schedule until exit; `log` holds what happened."""

    def __init__(self, cluster: Cluster, namespaces: Sequence[str], churn: Churn, seed: int = 0) -> None:
        self.cluster, self.namespaces, self.churn = cluster, list(namespaces), churn
        self.log = ChurnLog()
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> ChurnRunner:
        self.log.started_at = time.monotonic()
        loops = [(self.churn.rescale_interval_s, self._rescale), (self.churn.relabel_interval_s, self._relabel)]
        for interval, action in loops:
            thread = threading.Thread(target=self._loop, args=(interval, action), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self.log.stopped_at = time.monotonic()

    def _loop(self, interval: float, action: Callable[[], None]) -> None:
        # A fixed schedule (not sleep-after-work) keeps the rate at what the profile says.
        next_tick = time.monotonic() + interval
        while not self._stop.wait(max(0.0, next_tick - time.monotonic())):
            action()
            next_tick += interval

    def _pick(self) -> str:
        with self._lock:
            return self._rng.choice(self.namespaces)

    def _rescale(self) -> None:
        ns = self._pick()
        with self._lock:
            replicas = self._rng.randint(self.churn.replicas_min, self.churn.replicas_max)
        self._record("rescale", ns, str(replicas), lambda: self.cluster.scale("Deployment", SERVER, ns, replicas))

    def _relabel(self) -> None:
        ns = self._pick()
        with self._lock:
            group = self._rng.choice(POLICY_GROUPS)
        labels = {"policy-group": group}
        self._record("relabel", ns, group, lambda: self.cluster.label("v1", "Namespace", ns, labels))

    def _record(self, action: str, ns: str, value: str, call: Callable[[], None]) -> None:
        at = time.monotonic() - self.log.started_at
        try:
            call()
            event = ChurnEvent(at, action, ns, value, True)
        except ClusterError as exc:
            event = ChurnEvent(at, action, ns, value, False, str(exc))
        with self._lock:
            self.log.events.append(event)
