"""Thresholds: every violation is reported at once, in one readable message."""

from __future__ import annotations

import dataclasses

import pytest

from pytest_meshscale.model import (
    ModelError,
    Score,
    Thresholds,
    check_thresholds,
    check_value,
    format_violations,
)

GIB = 2**30
SCORE = Score(
    mesh="cilium", mesh_version="1.17", scale="pr", cluster_kind="kind", simulated=True, run_id="r",
    started_at="2026-11-27T00:00:00+00:00", duration_s=60.0, clients=4, requests=6000, qps=100.0,
    errors=60, error_rate=0.01, ret_codes={"200": 5940, "503": 60},
    latency_s={"50": 0.002, "90": 0.004, "99": 0.030, "99.9": 0.2},
    mesh_cores_load=2.0, mesh_memory_load_bytes=3 * GIB,
)  # fmt: skip


def test_passing_score_has_no_violation() -> None:
    limits = Thresholds(min_qps=50, max_p99_s=0.05, max_p999_s=0.5, max_error_rate=0.02, max_mesh_cores=4,
                        max_mesh_memory_gib=4, min_queries_per_core=40)  # fmt: skip
    assert check_thresholds(SCORE, limits) == []
    assert format_violations([]) == ""


def test_every_violation_is_reported_at_once() -> None:
    limits = Thresholds(min_qps=500, max_p99_s=0.01, max_p999_s=0.1, max_error_rate=0.001, max_mesh_cores=1,
                        max_mesh_memory_gib=2, min_queries_per_core=100)  # fmt: skip
    found = check_thresholds(SCORE, limits)
    names = ["min_qps", "max_p99_s", "max_p999_s", "max_error_rate"]
    names += ["max_mesh_cores", "max_mesh_memory_gib", "min_queries_per_core"]
    assert [v.name for v in found] == names
    message = format_violations(found)
    assert message.splitlines()[0] == "7 threshold(s) violated:"
    assert "  - max_p99_s: 0.03 is not at most 0.01" in message
    assert "  - min_qps: 100 is not at least 500" in message
    assert "  - max_mesh_memory_gib: 3 is not at most 2" in message


def test_unmeasured_value_violates_a_set_limit() -> None:
    unmeasured = dataclasses.replace(SCORE, mesh_cores_load=None)
    (v,) = check_thresholds(unmeasured, Thresholds(min_queries_per_core=10))
    assert v.message == "min_queries_per_core: not measured (must be at least 10)"


@pytest.mark.parametrize(
    ("name", "value", "limit", "violated"),
    [("max_policy_propagation_s", 3.0, 2.0, True), ("max_policy_propagation_s", 2.0, 2.0, False),
     ("max_api_error_rate", 0.0, None, False), ("min_qps", 9.0, 10.0, True)],
)  # fmt: skip
def test_check_value_for_other_checkers(name: str, value: float, limit: float | None, violated: bool) -> None:
    assert (check_value(name, value, limit) is not None) is violated


def test_check_value_needs_a_direction() -> None:
    with pytest.raises(ModelError, match="must start with 'min_' or 'max_'"):
        check_value("p99", 1.0, 2.0)
