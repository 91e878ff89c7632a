"""Fortio-format histograms drawn from the model: fortio's edges, counts, percentiles, determinism."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from pytest_meshscale.sim.perf import Histogram, Latency
from pytest_meshscale.sim.perf.histogram import edges
from pytest_meshscale.sim.perf.sampling import draw_counts, from_cdf

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "upstream" / "fortio-samples"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/upstream/fortio-samples is absent")


def drawn(n: int, seed: int = 1, r: float = 0.0001) -> Histogram:
    lat = Latency(0.002, 0.5, 0.01, 5, 0.5)
    return from_cdf(random.Random(seed), n, r, lat.cdf, lat.quantile, 0.75)


@pytest.mark.parametrize("n", [1, 7, 1000, 2_000_000])
def test_counts_add_up_and_percent_is_cumulative(n: int) -> None:
    out = drawn(n).to_fortio([50, 75, 90, 99, 99.9])
    assert out["Count"] == n == sum(row["Count"] for row in out["Data"])
    percents = [row["Percent"] for row in out["Data"]]
    assert percents == sorted(percents) and percents[-1] == 100
    assert out["Data"][0]["Start"] == out["Min"] and out["Data"][-1]["End"] == out["Max"]
    values = [p["Value"] for p in out["Percentiles"]]
    assert values == sorted(values) and out["Min"] <= values[0] and values[-1] <= out["Max"]


def test_same_seed_same_histogram_other_seed_differs() -> None:
    assert drawn(10_000, 3).counts == drawn(10_000, 3).counts
    assert drawn(10_000, 3).counts != drawn(10_000, 4).counts


def test_multinomial_draw_keeps_the_total_and_tracks_the_probabilities() -> None:
    counts = draw_counts(random.Random(0), 1_000_000, [0.5, 0.3, 0.2, 0.0])
    assert sum(counts) == 1_000_000 and counts[3] == 0
    assert counts[0] == pytest.approx(500_000, rel=0.01)


def test_median_follows_the_distribution() -> None:
    h = drawn(200_000)
    assert h.percentile(50) == pytest.approx(Latency(0.002, 0.5, 0.01, 5, 0.5).quantile(0.5), rel=0.05)


@needs_samples
def test_edges_are_fortios_float_products() -> None:
    real = json.loads((SAMPLES / "iter8-fortio-1.57.3.json").read_text())
    inner = {row["End"] for row in real["DurationHistogram"]["Data"][:-1]}
    assert inner <= set(edges(real["Resolution"]))


@needs_samples
def test_percentile_interpolation_reproduces_fortio() -> None:
    real = json.loads((SAMPLES / "iter8-fortio-1.57.3.json").read_text())["DurationHistogram"]
    h = Histogram.empty(0.001)
    for row in real["Data"]:
        h.counts[h.bucket_of(row["Start"] if row is not real["Data"][0] else row["End"] - 1e-9)] += row["Count"]
    h.lo, h.hi = real["Min"], real["Max"]
    for p in real["Percentiles"]:
        assert h.percentile(p["Percentile"]) == pytest.approx(p["Value"], rel=1e-9)
