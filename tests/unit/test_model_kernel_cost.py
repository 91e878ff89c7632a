"""Kernel-inclusive mesh cost and the price model: the formula with numbers, no baseline, a node whose pods
exceed it, dollars per million requests, the profile's prices, and the Score JSON round trip of the new fields."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pytest_meshscale.data.profiles import load_profile
from pytest_meshscale.model import (
    NO_BASELINE,
    NodeBalance,
    Score,
    cluster_unaccounted,
    kernel_cores,
    usd_per_million,
)

BASE = Score(
    mesh="baseline", mesh_version="-", scale="smoke", cluster_kind="sim", simulated=True, run_id="r1",
    started_at="2026-12-06T00:00:00+00:00", duration_s=3.0, clients=3, requests=30000, qps=10000.0, errors=0,
    error_rate=0.0, ret_codes={"200": 30000}, latency_s={"50": 0.001, "90": 0.002, "99": 0.003, "99.9": 0.004},
    mesh_cores_idle=0.0, mesh_cores_load=0.0, unaccounted_cores_idle=0.5, unaccounted_cores_load=2.5,
)  # fmt: skip
MESH = dataclasses.replace(BASE, mesh="cilium", qps=5000.0, mesh_cores_load=1.0, unaccounted_cores_load=3.0)


def test_kernel_formula_with_numbers() -> None:
    # baseline at the mesh's QPS: 0.5 + (2.5 - 0.5) * 5000 / 10000 = 1.5; the mesh's 3.0 - 1.5 = 1.5 kernel cores
    assert kernel_cores(3.0, 0.5, 2.5, 5000, 10000) == pytest.approx(1.5)
    scored = MESH.with_baseline(BASE, "same run")
    assert scored.kernel_cores == pytest.approx(1.5)
    assert scored.total_cores == pytest.approx(2.5)
    assert scored.queries_per_total_core == pytest.approx(2000.0)
    assert scored.kernel_note == "against baseline (same run)"


def test_baseline_against_itself_is_zero() -> None:
    assert BASE.with_baseline(BASE, "same run").kernel_cores == pytest.approx(0.0)


def test_no_baseline_says_so_and_invents_nothing() -> None:
    assert MESH.kernel_cores is None and MESH.total_cores is None and MESH.queries_per_total_core is None
    assert MESH.kernel_note == NO_BASELINE == "no baseline: kernel cost not attributed"
    assert MESH.usd_per_million_requests is None
    unmeasured = dataclasses.replace(BASE, unaccounted_cores_idle=None)
    scored = MESH.with_baseline(unmeasured, "score-baseline.json")
    assert scored.kernel_cores is None and scored.kernel_note.startswith(NO_BASELINE)
    with pytest.raises(ValueError, match="QPS"):
        kernel_cores(1, 0, 1, 10, 0)


def test_node_over_tolerance_is_left_out_and_named() -> None:
    assert NodeBalance("n1", 1.0, 1.04).over_tolerance is False  # within 0.05 cores: measurement noise
    assert NodeBalance("n1", 1.0, 1.04).unaccounted == 0.0
    assert NodeBalance("n2", 1.0, 1.2).over_tolerance is True
    total, rejected = cluster_unaccounted({"n1": (2.0, 1.5), "n2": (1.0, 1.2), "n3": (1.0, 0.75)})
    assert total == pytest.approx(0.75) and rejected == ("n2",)


def test_dollars_per_million_requests() -> None:
    # 2.5 cores x $0.0565/core-h = $0.14125/h; 5000 qps = 18M requests/h -> $0.0078472 per million
    assert usd_per_million(2.5, 0.0565, 5000) == pytest.approx(2.5 * 0.0565 / 18e6 * 1e6)
    assert usd_per_million(2.5, 0.0565, 0) is None
    priced = dataclasses.replace(MESH.with_baseline(BASE, "same run"), usd_per_core_hour=0.0565)
    assert priced.usd_per_million_requests == pytest.approx(0.0078472, rel=1e-4)


def test_profiles_carry_a_price_per_pool_with_its_source() -> None:
    profile = load_profile("full")
    assert all(p.price is not None and p.price.source and p.price.date for p in profile.pools)
    # 900 x D8ds_v5 + 100 x D32ds_v5 over 900 x 8 + 100 x 32 vCPUs
    assert profile.usd_per_core_hour == pytest.approx((900 * 0.452 + 100 * 1.808) / (900 * 8 + 100 * 32))
    # each pool names where its price comes from and the day the price was read
    assert "Standard_D8ds_v5" in profile.price_note and "karpenter-provider-azure" in profile.price_note
    assert "2023-12-18" in profile.price_note
    unpriced = dataclasses.replace(profile, pools=(dataclasses.replace(profile.pools[0], price=None),
                                                   profile.pools[1]))
    assert unpriced.usd_per_core_hour is None and unpriced.price_note == "no price"


def test_score_json_round_trip_keeps_the_new_fields() -> None:
    scored = dataclasses.replace(MESH.with_baseline(BASE, "same run"), usd_per_core_hour=0.0565)
    data = json.loads(scored.to_json())
    assert data["kernel_cores"] == pytest.approx(1.5) and data["total_cores"] == pytest.approx(2.5)
    assert data["user_cores"] == 1.0 and data["usd_per_million_requests"] == pytest.approx(0.0078472, rel=1e-4)
    assert Score.from_json(scored.to_json()) == scored
    old = {k: v for k, v in data.items() if k not in ("kernel_cores", "kernel_note", "unaccounted_cores_load")}
    assert Score.from_json(old).kernel_note == NO_BASELINE
