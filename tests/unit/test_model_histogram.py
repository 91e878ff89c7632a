"""Fortio histograms: fortio's bucketing and export, exact merging, CalcPercentile interpolation."""

from __future__ import annotations

import random
import statistics

import pytest

from pytest_meshscale.model import Bucket, Histogram, ModelError
from pytest_meshscale.model.histogram import bucket_index, infer_resolution, merge

R = 0.001


def _latencies(rng: random.Random, n: int, median: float, sigma: float = 0.5) -> list[float]:
    return [rng.lognormvariate(0, sigma) * median for _ in range(n)]


@pytest.mark.parametrize(
    ("value", "index"),
    [
        (0.0, 0),
        (-1.0, 0),
        (0.0005, 1),
        (0.001, 1),
        (0.0010001, 2),
        (0.011, 11),
        (0.013, 13),
        (0.0205, 17),
        (101.0, 56),
    ],
)
def test_bucket_index_uses_fortio_open_left_intervals(value: float, index: int) -> None:
    assert bucket_index(value, R) == index


def test_export_has_min_and_max_at_the_ends_and_skips_empty_buckets() -> None:
    h = Histogram.from_samples([0.0042, 0.0043, 0.0131, 0.031], R)
    assert [(b.start, b.end, b.count) for b in h.buckets] == [
        (0.0042, 0.005, 2),
        (0.012, 0.014, 1),  # Start is the lower grid edge even though 0.005-0.012 are empty
        (0.03, 0.031, 1),  # End is the observed Max
    ]
    assert (h.count, h.min, h.max) == (4, 0.0042, 0.031)


def test_percentile_follows_calc_percentile() -> None:
    # fortio's doc comment example: 3 points from 10 to 30 -> p50 = 15 (linear from p33.3 at Min)
    h = Histogram(3, 10.0, 30.0, 60.0, 200.0, (Bucket(10.0, 30.0, 3),))
    assert h.percentile(50) == pytest.approx(15.0)
    assert h.percentile(100 / 3) == 10.0
    assert h.percentile(100) == 30.0
    assert h.percentile(10) == 10.0
    assert Histogram.empty().percentile(99) == 0.0


def test_merge_of_clients_equals_histogram_of_their_union() -> None:
    rng = random.Random(7)
    clients = [_latencies(rng, rng.randint(200, 900), rng.choice([0.003, 0.008, 0.02])) for _ in range(12)]
    union = Histogram.from_samples([v for c in clients for v in c], R)
    merged = merge(Histogram.from_samples(c, R) for c in clients)
    assert merged.buckets == union.buckets
    assert (merged.count, merged.min, merged.max) == (union.count, union.min, union.max)
    for p in (50, 75, 90, 99, 99.9):
        assert merged.percentile(p) == union.percentile(p)
    assert merged.sum == pytest.approx(union.sum, rel=1e-12)
    assert merged.stddev == pytest.approx(statistics.pstdev([v for c in clients for v in c]), rel=1e-9)


def test_averaging_client_p99_is_wrong_and_the_merged_p99_is_right() -> None:
    rng = random.Random(3)
    fast = [_latencies(rng, 1000, 0.002, 0.2) for _ in range(9)]
    slow = _latencies(rng, 1000, 0.05, 0.2)  # one client behind a slow node
    everything = sorted(v for c in [*fast, slow] for v in c)
    true_p99 = everything[int(0.99 * len(everything)) - 1]
    hists = [Histogram.from_samples(c, R) for c in [*fast, slow]]
    averaged = statistics.fmean(h.percentile(99) for h in hists)
    merged = merge(hists).percentile(99)
    assert abs(merged - true_p99) / true_p99 < 0.15  # within one bucket width of the exact value
    assert abs(averaged - true_p99) / true_p99 > 0.5  # the k8s-netperf way is far off


def test_merge_refuses_different_resolutions_and_names_them() -> None:
    a = Histogram.from_samples([0.002, 0.003], 0.001)
    b = Histogram.from_samples([0.002, 0.003], 0.0001)
    with pytest.raises(ModelError, match=r"(?=.*0\.001/)(?=.*0\.0001/)"):
        merge([a, b])


def test_single_bucket_without_resolution_adopts_the_common_grid() -> None:
    lone = Histogram(2, 0.0021, 0.0024, 0.0045, 0.0, (Bucket(0.0021, 0.0024, 2),))
    merged = merge([lone, Histogram.from_samples([0.0022, 0.0051], R)])
    assert [(b.end, b.count) for b in merged.buckets] == [(0.003, 3), (0.0051, 1)]


def test_identical_buckets_without_resolution_merge_exactly() -> None:
    # e.g. Nighthawk's buckets (no fortio grid fits them) or one old fortio result given twice
    odd = Histogram(3, 0.0021, 0.0047, 0.0101, 0.0, (Bucket(0.0021, 0.0033, 1), Bucket(0.0033, 0.0047, 2)))
    merged = merge([odd, odd, odd])
    assert [(b.start, b.end, b.count) for b in merged.buckets] == [(0.0021, 0.0033, 3), (0.0033, 0.0047, 6)]
    assert (merged.count, merged.min, merged.max, merged.resolution) == (9, 0.0021, 0.0047, None)
    assert merged.sum == pytest.approx(3 * 0.0101)
    assert merged.percentile(90) == pytest.approx(odd.percentile(90))  # same cumulative shape above the first bucket


def test_different_buckets_without_resolution_are_refused() -> None:
    a = Histogram(1, 0.1, 0.2, 0.15, 0.0, (Bucket(0.1, 0.2, 1),))
    b = Histogram(1, 0.1, 0.3, 0.15, 0.0, (Bucket(0.1, 0.3, 1),))
    with pytest.raises(ModelError, match="resolution .* is unknown and whose buckets differ"):
        merge([a, b])


def test_buckets_off_the_grid_are_refused() -> None:
    odd = Histogram(2, 0.0021, 0.0047, 0.0068, 0.0, (Bucket(0.0021, 0.0033, 1), Bucket(0.0033, 0.0047, 1)))
    with pytest.raises(ModelError, match="not on fortio's grid"):
        merge([odd, Histogram.from_samples([0.002], R)])


def test_infer_resolution_from_exported_edges() -> None:
    h = Histogram.from_samples([0.00041, 0.00062, 0.00071, 0.0013, 0.0047], 0.00005)
    assert infer_resolution(h.buckets, h.min, h.max) == pytest.approx(0.00005)
    assert infer_resolution((Bucket(0.1, 0.2, 1),), 0.1, 0.2) is None  # no inner edge at all


def test_to_fortio_round_trips_percent_and_percentiles() -> None:
    h = Histogram.from_samples([0.001, 0.002, 0.002, 0.004], R)
    doc = h.to_fortio([50, 99])
    assert [d["Percent"] for d in doc["Data"]] == [25.0, 75.0, 100.0]
    assert doc["Percentiles"][0] == {"Percentile": 50, "Value": h.percentile(50)}
    assert Histogram.empty().to_fortio()["Data"] is None
