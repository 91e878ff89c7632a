"""The API-pressure window from two scrapes: rates by verb and resource, per-call p99 from merged buckets
against CL2's SLOs (1 s single-resource, 30 s LIST), watches, CPU and RSS."""

from __future__ import annotations

import pytest

from pytest_meshscale.model.api_pressure import MIN_CALLS, api_pressure, slo_for
from pytest_meshscale.model.prometheus import parse_text


def _hist(verb: str, resource: str, scope: str, counts: dict[str, int], component: str = "apiserver") -> str:
    labels = f'component="{component}",resource="{resource}",scope="{scope}",subresource="",verb="{verb}"'
    return "".join(f'apiserver_request_duration_seconds_bucket{{{labels},le="{le}"}} {n}\n' for le, n in counts.items())


def _scrape(get_slow: int, lists: int, cpu: float, watches: int) -> str:
    gets = 100 + get_slow
    text = f'apiserver_request_total{{code="200",resource="configmaps",scope="resource",verb="GET"}} {gets}\n'
    text += f'apiserver_request_total{{code="200",resource="pods",scope="cluster",verb="LIST"}} {lists}\n'
    # two components' series of one call: merged bucket by bucket
    text += _hist("GET", "configmaps", "resource", {"0.1": 50, "1": 50, "2": 50 + get_slow, "+Inf": 50 + get_slow})
    text += _hist("GET", "configmaps", "resource", {"0.1": 50, "1": 50, "2": 50, "+Inf": 50}, component="other")
    text += _hist("LIST", "pods", "cluster", {"1": lists, "60": lists, "+Inf": lists})
    text += _hist("WATCH", "pods", "cluster", {"60": 3, "+Inf": 3})
    text += f'apiserver_longrunning_requests{{resource="pods",scope="cluster",verb="WATCH"}} {watches}\n'
    text += f"process_cpu_seconds_total {cpu}\nprocess_resident_memory_bytes 1048576\n"
    return text


def test_rates_p99s_watches_and_usage_over_the_window():
    before, after = parse_text(_scrape(0, 0, 10.0, 1)), parse_text(_scrape(10, 30, 40.0, 7))
    p = api_pressure(before, after, window_s=10.0)
    assert p.requests_per_s == {("GET", "configmaps"): 1.0, ("LIST", "pods"): 3.0} and p.total_per_s == 4.0
    assert p.open_watches == 7 and p.apiserver.cores == 3.0 and p.apiserver.rss_bytes == 1048576
    get = next(c for c in p.calls if c.verb == "GET")
    assert get.count == 10 and get.p99_s == pytest.approx(1.99)  # rank 9.9 of the window's 10 GETs, all in (1, 2]
    assert not get.judged and get.ok  # 10 < MIN_CALLS: listed, not judged
    assert [c.verb for c in p.calls] == ["GET", "LIST"]  # WATCH has no latency SLO


def test_a_slow_call_breaks_its_slo_and_is_named():
    before, after = parse_text(_scrape(0, 0, 0.0, 0)), parse_text(_scrape(MIN_CALLS * 3, 0, 0.0, 0))
    p = api_pressure(before, after, window_s=5.0)
    assert [c.name for c in p.violations] == ["GET configmaps (resource)"]
    assert p.slowest().p99_s > 1.0


def test_the_slos_are_cl2s():
    assert (slo_for("GET"), slo_for("PATCH"), slo_for("LIST"), slo_for("WATCH")) == (1.0, 1.0, 30.0, None)
