"""Prometheus text: samples with escaped labels, the window between two scrapes, and histogram quantiles
as PromQL computes them (linear inside the bucket; +Inf answers the highest finite bound)."""

from __future__ import annotations

import math

import pytest

from pytest_meshscale.model.errors import ModelError
from pytest_meshscale.model.prometheus import bucket_quantile, parse_text

TEXT = """# HELP apiserver_request_total Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",resource="pods",scope="namespace",verb="LIST"} 7
apiserver_request_total{code="201",resource="pods",scope="resource",verb="POST"} 3 1712345678000
weird{a="x\\"y",b="back\\\\slash",c="new\\nline"} +Inf
process_cpu_seconds_total 12.5
"""


def test_samples_keep_their_labels_unescaped_and_values_as_floats():
    scrape = parse_text(TEXT)
    assert scrape.total("apiserver_request_total") == 10
    weird = scrape.of("weird")[0]
    assert (weird.label("a"), weird.label("b"), weird.label("c")) == ('x"y', "back\\slash", "new\nline")
    assert math.isinf(weird.value)
    assert scrape.of("apiserver_request_total", lambda s: s.label("verb") == "POST")[0].value == 3


def test_only_the_named_families_are_kept():
    assert [s.name for s in parse_text(TEXT, ["process_"]).samples] == ["process_cpu_seconds_total"]


def test_a_line_that_is_not_a_sample_is_one_line_naming_it():
    with pytest.raises(ModelError, match=r"metrics line 2: not a sample: 'what is this'"):
        parse_text("ok 1\nwhat is this\n")
    with pytest.raises(ModelError, match=r"metrics line 1: bad value 'abc'"):
        parse_text("x abc\n")


def test_the_window_is_the_difference_and_a_reset_counter_counts_from_zero():
    before = parse_text('a{x="1"} 10\na{x="2"} 50\n')
    after = parse_text('a{x="1"} 25\na{x="2"} 4\na{x="3"} 2\n')
    assert [s.value for s in after.minus(before).samples] == [15, 4, 2]


def test_quantiles_interpolate_inside_the_bucket_as_promql_does():
    buckets = {0.1: 50.0, 0.2: 90.0, 0.4: 100.0, math.inf: 100.0}
    assert bucket_quantile(0.5, buckets) == pytest.approx(0.1)
    assert bucket_quantile(0.7, buckets) == pytest.approx(0.15)  # 20 of the 40 between 0.1 and 0.2
    assert bucket_quantile(0.99, buckets) == pytest.approx(0.38)
    assert bucket_quantile(0.99, {1.0: 0.0, math.inf: 0.0}) is None
    assert bucket_quantile(0.99, {1.0: 1.0, 2.0: 1.0, math.inf: 100.0}) == 2.0  # in +Inf: the top finite bound


def test_merging_buckets_is_not_averaging_quantiles():
    fast = {0.1: 99.0, 10.0: 100.0, math.inf: 100.0}
    slow = {0.1: 0.0, 10.0: 100.0, math.inf: 100.0}
    merged = {le: fast[le] + slow[le] for le in fast}
    p99 = bucket_quantile(0.99, merged)
    mean_of_p99s = (bucket_quantile(0.99, fast) + bucket_quantile(0.99, slow)) / 2
    assert p99 == pytest.approx(0.1 + 9.9 * (198 - 99) / 101) and p99 != pytest.approx(mean_of_p99s)


def test_a_histogram_without_its_inf_bucket_is_refused():
    with pytest.raises(ModelError, match="needs its \\+Inf bucket"):
        bucket_quantile(0.5, {1.0: 3.0})
