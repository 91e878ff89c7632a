"""Score: built from a merged load, JSON round-trip, schema version and field checks."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from pytest_meshscale.model import (
    ComponentUsage,
    Histogram,
    MeshUsage,
    ModelError,
    RunMeta,
    Score,
    merge_results,
    parse_result,
    score_from,
)
from pytest_meshscale.model.fortio import result_document

META = RunMeta("istio", "1.26.0", "smoke", "kind", True, "r1", "2026-11-27T00:00:00+00:00", 120.0)


def _score(cores: float | None = 2.0, meta: RunMeta = META) -> Score:
    docs = [result_document(Histogram.from_samples([0.001, 0.002, 0.02], 0.001), {"200": 2, "503": 1}, 10**9)]
    merged = merge_results([parse_result(docs[0], "c0")], [95])
    usage = MeshUsage(0.5, cores, 1e8, 3e8, {"ztunnel": ComponentUsage(0.2, 1.5, 5e7, 2e8)})
    return score_from(merged, usage, meta)


def test_score_from_merged_load() -> None:
    s = _score()
    assert (s.requests, s.errors, s.error_rate, s.ret_codes) == (3, 1, 1 / 3, {"200": 2, "503": 1})
    assert set(s.latency_s) == {"50", "90", "95", "99", "99.9"}
    assert s.queries_per_core == pytest.approx(s.qps / 2.0)
    assert s.notes[0].startswith("simulated")


@pytest.mark.parametrize("cores", [None, 0.0])
def test_queries_per_core_is_none_without_cores(cores: float | None) -> None:
    assert _score(cores).queries_per_core is None


def test_json_round_trip() -> None:
    s = _score()
    text = s.to_json()
    data = json.loads(text)
    assert data["schema"] == "meshscale.score/v2"
    assert data["queries_per_core"] == s.queries_per_core
    assert Score.from_json(text) == s


def _data() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_score().to_json())
    return result


@pytest.mark.parametrize("schema", ["meshscale.score/v3", None, "other"])
def test_other_schema_versions_are_rejected(schema: str | None) -> None:
    data = _data()
    data["schema"] = schema
    with pytest.raises(ModelError, match=r"score run.json: schema must be 'meshscale.score/v2' or "
                                         r"'meshscale.score/v1', got"):
        Score.from_json(data, "run.json")


def test_a_v1_file_reads_with_the_later_figures_unmeasured() -> None:
    """v1 Scores (before planes, kernel cores and the price) still compare: those figures read as absent."""
    data = _data()
    data["schema"] = "meshscale.score/v1"
    for key in ("planes", "unaccounted_cores_idle", "unaccounted_cores_load", "kernel_cores", "kernel_note",
                "usd_per_core_hour", "price_note", "user_cores", "total_cores", "queries_per_total_core",
                "usd_per_million_requests"):
        data.pop(key, None)
    old = Score.from_json(data, "old.json")
    assert (old.kernel_cores, old.unaccounted_cores_load, old.usd_per_core_hour, old.planes) == (None, None, None, "")
    assert old.usd_per_million_requests is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("qps", "fast", "field 'qps' must be int/float, got 'fast'"),
        ("simulated", 1, "field 'simulated' must be bool"),
        ("clients", True, "field 'clients' must be int"),
        ("latency_s", {"50": 0.1}, "latency_s lacks percentiles"),
        ("components", {"ztunnel": {"cores_load": "x"}}, "components.ztunnel: field 'cores_load'"),
        ("qsp", 1.0, "unknown field 'qsp'"),
        ("components", {"istiod": {"cpu": 1}}, "components.istiod: unknown field 'cpu'"),
        ("notes", "hi", "'notes' must be a list of strings"),
        ("started_at", "last tuesday", "'started_at' must be an ISO 8601 time"),
    ],
)
def test_bad_fields_are_named(key: str, value: object, message: str) -> None:
    data = _data()
    data[key] = value
    with pytest.raises(ModelError, match=message):
        Score.from_json(data, "s")


def test_missing_field_and_bad_json() -> None:
    data = _data()
    del data["mesh"]
    with pytest.raises(ModelError, match="field 'mesh' is required"):
        Score.from_json(data)
    with pytest.raises(ModelError, match="not JSON"):
        Score.from_json("{")


def test_planes_travel_in_the_score_and_older_files_have_none() -> None:
    s = _score(meta=dataclasses.replace(META, planes="control plane: x, data plane: SIMULATED"))
    assert Score.from_json(s.to_json()).planes == "control plane: x, data plane: SIMULATED"
    older = _data()
    del older["planes"]
    assert Score.from_json(older).planes == ""
    with pytest.raises(ModelError, match="'planes' must be str"):
        Score.from_json(_data() | {"planes": 3})
