"""The window's /metrics over time: one background thread scrapes on a fixed schedule, bounded, records a failed
scrape instead of dying, stops cleanly; churn events land on the window's clock; the result survives its JSON."""

from __future__ import annotations

import json
import threading
import time

import pytest

from pytest_meshscale.model.api_pressure import api_pressure
from pytest_meshscale.model.api_timeline import ApiTimeline, ChurnMark, TimelinePoint
from pytest_meshscale.model.prometheus import parse_text
from pytest_meshscale.scenario import api_timeline as scraping
from pytest_meshscale.scenario.api_pressure import PressureResult, result_from_dict
from pytest_meshscale.scenario.churn import ChurnEvent, ChurnLog


def _requests(n: int) -> str:
    return f'apiserver_request_total{{code="200",resource="pods",scope="resource",verb="GET"}} {n}\n'


def test_scrapes_on_a_schedule_records_a_failure_and_stops(monkeypatch):
    monkeypatch.setattr(scraping, "MIN_INTERVAL_S", 0.05)
    calls = iter(range(1, 1000))

    def scrape():  # type: ignore[no-untyped-def]
        n = next(calls)
        if n == 2:
            raise ConnectionError("refused")
        return parse_text(_requests(10 * n))

    scraper = scraping.TimelineScraper(scrape, parse_text(_requests(0)), window_s=0.0)
    with scraper:
        time.sleep(0.33)
    t = scraper.finish(parse_text(_requests(1000)), [])
    assert not any(th.name == "meshscale-api-timeline" for th in threading.enumerate())
    assert t.errors and "ConnectionError: refused" in t.errors[0]
    assert 3 <= t.scrapes <= 8 and len(t.points) == t.scrapes - 1  # the failed scrape's interval is merged
    assert all(p.requests_per_s > 0 for p in t.points)


def test_at_most_max_scrapes_whatever_the_window(monkeypatch):
    monkeypatch.setattr(scraping, "MIN_INTERVAL_S", 0.0)
    monkeypatch.setattr(scraping, "MAX_SCRAPES", 5)
    scraper = scraping.TimelineScraper(lambda: parse_text(_requests(1)), parse_text(_requests(0)), window_s=0.0)
    with scraper:
        time.sleep(0.1)
    assert scraper.finish(parse_text(_requests(2)), []).scrapes == 5


def test_a_scrape_just_before_the_closing_one_makes_no_interval_of_milliseconds(monkeypatch):
    monkeypatch.setattr(scraping, "MIN_INTERVAL_S", 0.2)
    scraper = scraping.TimelineScraper(lambda: parse_text(_requests(1)), parse_text(_requests(0)), window_s=0.0)
    with scraper:
        time.sleep(0.25)  # the scrape at 0.2 s is 0.05 s before the closing one: less than half an interval
    t = scraper.finish(parse_text(_requests(3)), [])
    assert t.scrapes == 2 and [p.requests_per_s for p in t.points] == [pytest.approx(3 / t.points[0].t_s)]


def test_churn_events_land_on_the_windows_clock():
    log = ChurnLog([ChurnEvent(0.5, "rescale", "ns-1", "90", True), ChurnEvent(1.0, "relabel", "ns-2", "1", False)],
                   started_at=100.25)
    assert scraping.churn_marks(log, window_start=100.0) == [ChurnMark(0.75, "rescale"),
                                                             ChurnMark(1.25, "relabel", ok=False)]


def test_the_timeline_round_trips_through_the_results_json_and_old_json_still_loads():
    before, after = parse_text(_requests(0)), parse_text(_requests(20))
    timeline = ApiTimeline((TimelinePoint(2.0, 5.0, 0.012), TimelinePoint(4.0, 5.0, None)), True, 3,
                           (ChurnMark(0.5, "rescale"), ChurnMark(1.0, "relabel", False)), ("3.0 s: boom",))
    result = PressureResult("cilium", "kwok", "emulated", api_pressure(before, after, 4.0), timeline=timeline)
    doc = json.loads(json.dumps(result.to_dict()))
    assert doc["timeline"] == [{"t_s": 2.0, "requests_per_s": 5.0, "p99_s": 0.012},
                               {"t_s": 4.0, "requests_per_s": 5.0, "p99_s": None}]
    assert doc["churn_marks"][1] == {"t_s": 1.0, "action": "relabel", "ok": False}
    assert result_from_dict(doc) == result
    del doc["timeline"], doc["churn_marks"]
    assert result_from_dict(doc).timeline is None
