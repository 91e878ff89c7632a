"""The API server's /metrics scraped every few seconds during the API-pressure window, on one background thread,
and the churn's events as marks on the same clock: what model/api_timeline.py turns into requests/s and p99 per
interval. A failed scrape is recorded and the next interval simply spans it; nothing is interpolated."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ..model.api_timeline import ApiTimeline, ChurnMark, TimelinePoint, api_timeline
from ..model.prometheus import Scrape
from .churn import ChurnLog

__all__ = ["MAX_SCRAPES", "TimelineScraper", "churn_marks", "timeline_from_dict", "timeline_to_dict"]

MIN_INTERVAL_S = 2.0
MAX_SCRAPES = 30  # a kube-apiserver scrape is megabytes: bounded, whatever the window's length


def churn_marks(log: ChurnLog, window_start: float) -> list[ChurnMark]:
    """The churn's events on the window's clock (`window_start`: a time.monotonic() value)."""
    offset = log.started_at - window_start
    return [ChurnMark(round(offset + e.at_s, 3), e.action, e.ok) for e in log.events]


class TimelineScraper:
    """Context manager: `first` is the window's opening scrape (taken now); on exit call finish(last)."""

    def __init__(self, scrape: Callable[[], Scrape], first: Scrape, window_s: float) -> None:
        self.start = time.monotonic()
        self._scrape, self._interval = scrape, max(MIN_INTERVAL_S, window_s / (MAX_SCRAPES - 1))
        self._scrapes: list[tuple[float, Scrape]] = [(0.0, first)]
        self._errors: list[str] = []
        self._stop, self._lock = threading.Event(), threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="meshscale-api-timeline", daemon=True)

    def __enter__(self) -> TimelineScraper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=35)  # one scrape in flight at most (the client's /metrics timeout)

    def _loop(self) -> None:
        tick = 1
        # Room is kept for the closing scrape, which the window takes itself.
        while len(self._scrapes) < MAX_SCRAPES - 1 and not self._stop.wait(self._due(tick)):
            try:
                scrape = self._scrape()
                at, error = time.monotonic() - self.start, ""
            except Exception as exc:  # noqa: BLE001  (a thread's exception would vanish; it is recorded instead)
                scrape, at, error = None, time.monotonic() - self.start, f"{type(exc).__name__}: {exc}"
            with self._lock:
                if self._stop.is_set():
                    return  # the window closed during this scrape: the closing scrape stands for it
                if scrape is None:
                    self._errors.append(f"{at:.1f} s: {error}")
                else:
                    self._scrapes.append((at, scrape))
            tick += 1

    def _due(self, tick: int) -> float:
        # A fixed schedule (not sleep-after-scrape) keeps the intervals even when a scrape is slow.
        return max(0.0, self.start + tick * self._interval - time.monotonic())

    def finish(self, last: Scrape, marks: list[ChurnMark]) -> ApiTimeline:
        end = time.monotonic() - self.start
        with self._lock:
            self._stop.set()
            # A scrape just before the closing one would make an interval of milliseconds, whose "rate" is the
            # counters' granularity (seen: 1,096 req/s over 3 ms on the sim); the closing scrape stands for it.
            kept = self._scrapes[:1] + [s for s in self._scrapes[1:] if end - s[0] >= self._interval / 2]
            errors = list(self._errors)
        return api_timeline([*kept, (end, last)], marks, errors)


def timeline_to_dict(t: ApiTimeline) -> dict[str, Any]:
    return {"timeline": [{"t_s": round(p.t_s, 3), "requests_per_s": p.requests_per_s, "p99_s": p.p99_s}
                         for p in t.points],
            "churn_marks": [{"t_s": m.t_s, "action": m.action, "ok": m.ok} for m in t.marks],
            "timeline_scrapes": t.scrapes, "timeline_latency_histograms": t.latency_histograms,
            "timeline_errors": list(t.errors)}


def timeline_from_dict(doc: dict[str, Any]) -> ApiTimeline | None:
    """None for a result written before the timeline existed."""
    if "timeline" not in doc:
        return None
    points = tuple(TimelinePoint(p["t_s"], p["requests_per_s"], p["p99_s"]) for p in doc["timeline"])
    marks = tuple(ChurnMark(m["t_s"], m["action"], m.get("ok", True)) for m in doc.get("churn_marks") or ())
    return ApiTimeline(points, doc.get("timeline_latency_histograms", False), doc.get("timeline_scrapes", 0), marks,
                       tuple(doc.get("timeline_errors") or ()))
