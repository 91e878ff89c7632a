"""The API-pressure window over time: from the API server's /metrics scraped every few seconds, per interval
between two successive scrapes, the requests per second and the p99 latency of single-object calls, with the
churn events that happened in the window, so a chart can show whether the load followed the churn.

Rates count every verb, as the window's own table does (model/api_pressure.py), so the intervals add up to
its figure. The p99 is of the DELTA of apiserver_request_duration_seconds over the interval, merged bucket by
bucket across verbs and resources; only single-object calls (ClusterLoader2's 1 s SLO) go in, since LISTs have
a 30 s SLO and WATCH/CONNECT are long-running. An interval without such calls has no p99 (None), and a backend
whose /metrics has no latency histograms (the sim) has none at all: nothing is filled in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .api_pressure import DURATION, REQUESTS, SINGLE_S, slo_for
from .prometheus import Sample, Scrape, bucket_quantile, merge_buckets

__all__ = ["ApiTimeline", "ChurnMark", "TimelinePoint", "api_timeline", "interval_point"]

TimedScrape = tuple[float, Scrape]  # (seconds since the window started, the scrape)


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    t_s: float  # end of the interval (the later scrape), seconds since the window started
    requests_per_s: float
    p99_s: float | None  # None: no single-object call in the interval, or no histograms on this backend


@dataclass(frozen=True, slots=True)
class ChurnMark:
    t_s: float  # seconds since the window started
    action: str  # "rescale" or "relabel"
    ok: bool = True


@dataclass(frozen=True, slots=True)
class ApiTimeline:
    points: tuple[TimelinePoint, ...]
    latency_histograms: bool  # whether any scrape had apiserver_request_duration_seconds (the sim's has not)
    scrapes: int  # successful scrapes, the window's first and last included
    marks: tuple[ChurnMark, ...] = ()
    errors: tuple[str, ...] = ()  # scrapes that failed, "t_s: error": their intervals merged into the next


def _single_object(s: Sample) -> bool:
    return slo_for(s.label("verb")) == SINGLE_S


def interval_point(before: TimedScrape, after: TimedScrape) -> TimelinePoint | None:
    """One interval; None when the clock did not advance (no rate can be honest then)."""
    span = after[0] - before[0]
    if span <= 0:
        return None
    delta = after[1].minus(before[1])  # minus() treats a series that went down as reset
    merged = merge_buckets(delta.of(DURATION, _single_object), lambda _: "all").get("all")
    p99 = bucket_quantile(0.99, merged) if merged and float("inf") in merged else None
    return TimelinePoint(after[0], delta.total(REQUESTS) / span, p99)


def api_timeline(scrapes: Sequence[TimedScrape], marks: Sequence[ChurnMark] = (),
                 errors: Sequence[str] = ()) -> ApiTimeline:
    ordered = sorted(scrapes, key=lambda ts: ts[0])
    points = (interval_point(a, b) for a, b in zip(ordered, ordered[1:], strict=False))
    histograms = any(s.name == DURATION for _, scrape in ordered for s in scrape.samples)
    return ApiTimeline(tuple(p for p in points if p is not None), histograms, len(ordered),
                       tuple(sorted(marks, key=lambda m: m.t_s)), tuple(errors))
