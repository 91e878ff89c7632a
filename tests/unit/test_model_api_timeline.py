"""The API-pressure window over time: per interval between scrapes, requests/s (every verb, as the window's table)
and the p99 of single-object calls from the DELTA of the duration buckets merged across verbs and resources."""

from __future__ import annotations

import pytest

from pytest_meshscale.model.api_pressure import api_pressure
from pytest_meshscale.model.api_timeline import ChurnMark, api_timeline
from pytest_meshscale.model.prometheus import parse_text


def _bucket(verb: str, resource: str, counts: tuple[int, int, int]) -> str:
    labels = f'component="apiserver",resource="{resource}",scope="resource",subresource="",verb="{verb}"'
    return "".join(f'apiserver_request_duration_seconds_bucket{{{labels},le="{le}"}} {n}\n'
                   for le, n in zip(("0.1", "1", "+Inf"), counts, strict=True))


def _scrape(gets: int, patches: tuple[int, int, int], gets_le: tuple[int, int, int], watches: int = 0,
            lists: tuple[int, int, int] = (0, 0, 0)) -> str:
    text = f'apiserver_request_total{{code="200",resource="pods",scope="resource",verb="GET"}} {gets}\n'
    text += f'apiserver_request_total{{code="200",resource="deployments",scope="resource",verb="PATCH"}} {patches[2]}\n'
    text += f'apiserver_request_total{{code="200",resource="pods",scope="cluster",verb="WATCH"}} {watches}\n'
    text += _bucket("GET", "pods", gets_le) + _bucket("PATCH", "deployments", patches)
    # a slow LIST and a long WATCH: neither is a single-object call, neither may move the p99
    return text + _bucket("LIST", "pods", lists) + _bucket("WATCH", "pods", (0, 0, watches))


S0 = _scrape(0, (0, 0, 0), (0, 0, 0))
# 100 calls in 2 s: GETs and PATCHes merged bucket by bucket; 98 under 0.1 s, 2 in (0.1, 1]
S1 = _scrape(50, (49, 50, 50), (49, 50, 50), watches=3, lists=(0, 0, 5))
# the next 4 s: 10 PATCHes, all in (0.1, 1]: rank 9.9 of 10 in that bucket
S2 = _scrape(50, (49, 60, 60), (49, 50, 50), watches=3, lists=(0, 0, 5))


def test_rates_and_p99_per_interval_from_bucket_deltas():
    t = api_timeline([(0.0, parse_text(S0)), (2.0, parse_text(S1)), (6.0, parse_text(S2))])
    assert [p.t_s for p in t.points] == [2.0, 6.0]
    assert [p.requests_per_s for p in t.points] == [51.5, 2.5]  # every verb counts, WATCH too, as the table does
    assert t.points[0].p99_s == pytest.approx(0.1 + 0.9 * (99 - 98) / 2)  # rank 99 of 100: half way into (0.1, 1]
    assert t.points[1].p99_s == pytest.approx(0.1 + 0.9 * 0.99)
    assert t.latency_histograms and t.scrapes == 3


def test_the_intervals_add_up_to_the_windows_own_figure():
    scrapes = [(0.0, parse_text(S0)), (2.0, parse_text(S1)), (6.0, parse_text(S2))]
    t = api_timeline(scrapes)
    total = sum(p.requests_per_s * span for p, span in zip(t.points, (2.0, 4.0), strict=True))
    assert total == pytest.approx(api_pressure(scrapes[0][1], scrapes[-1][1], 6.0).total_per_s * 6.0)


def test_an_interval_without_requests_has_no_p99_and_a_zero_rate():
    t = api_timeline([(0.0, parse_text(S1)), (2.0, parse_text(S1))])
    assert [(p.requests_per_s, p.p99_s) for p in t.points] == [(0.0, None)]


def test_a_counter_reset_counts_from_zero_again():
    # the API server restarted between the scrapes: its counters start over, at 10 GETs all under 0.1 s
    after = _scrape(10, (0, 0, 0), (10, 10, 10))
    t = api_timeline([(0.0, parse_text(S2)), (5.0, parse_text(after))])
    assert t.points[0].requests_per_s == 2.0
    assert t.points[0].p99_s == pytest.approx(0.099)


def test_without_histograms_there_is_no_p99_and_it_says_so():
    plain = 'apiserver_request_total{code="200",resource="pods",scope="resource",verb="GET"} '
    t = api_timeline([(0.0, parse_text(plain + "4\n")), (2.0, parse_text(plain + "10\n"))])
    assert [(p.requests_per_s, p.p99_s) for p in t.points] == [(3.0, None)] and not t.latency_histograms


def test_scrapes_out_of_order_or_at_one_instant_give_no_made_up_interval():
    a, b = parse_text(S0), parse_text(S1)
    t = api_timeline([(2.0, b), (0.0, a), (2.0, b)], marks=[ChurnMark(1.5, "relabel"), ChurnMark(0.5, "rescale")])
    assert [p.t_s for p in t.points] == [2.0] and [m.t_s for m in t.marks] == [0.5, 1.5]
