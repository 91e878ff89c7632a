"""Fortio results: every real sample parses, fortio's own percentiles are reproduced, merging is exact."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from pytest_meshscale.model import Histogram, ModelError, merge_results, parse_document, parse_result
from pytest_meshscale.model.fortio import is_error_code, result_document

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "upstream" / "fortio-samples"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"{SAMPLES} (shared upstream data) is absent")
ALL = sorted(p.name for p in SAMPLES.glob("*.json")) if SAMPLES.is_dir() else []
# Nighthawk's percentiles come from its own HdrHistogram, not fortio's CalcPercentile (SOURCE.txt)
FORTIO_MADE = [n for n in ALL if not n.startswith("nighthawk")]
R = 0.001


def _sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return data


@needs_samples
@pytest.mark.parametrize("name", ALL)
def test_every_real_sample_parses(name: str) -> None:
    (result,) = parse_document((SAMPLES / name).read_text(), name)
    assert result.duration.count > 0
    assert sum(result.ret_codes.values()) > 0
    assert result.source == name
    assert result.start_time is not None


@needs_samples
@pytest.mark.parametrize("name", FORTIO_MADE)
def test_percentiles_reproduce_fortio_exactly(name: str) -> None:
    result = parse_result(_sample(name), name)
    assert result.reported_percentiles
    for p, value in result.reported_percentiles:
        assert result.duration.percentile(p) == value  # bit for bit, not approximately


@needs_samples
def test_resolution_read_or_inferred() -> None:
    assert parse_result(_sample("iter8-fortio-1.57.3.json"), "x").resolution == 0.001  # from the JSON
    both = "fortio-istio-tools-1.2.0-qps1000-c1-both.json"  # fortio 1.3.1 wrote no Resolution
    assert parse_result(_sample(both), both).resolution == pytest.approx(0.00005)


@needs_samples
def test_wrapped_document_yields_its_endpoint_results() -> None:
    (result,) = parse_document(
        (SAMPLES / "wrapped" / "iter8-fortioResultJSON-121940a5.json").read_text(), "w"
    )
    assert result.source == "w[http://httpbin.default/get]"
    assert result.duration.count == 100


@needs_samples
def test_nighthawk_string_counts_are_read_as_integers() -> None:
    result = parse_result(_sample("nighthawk-medium.fortio.json"), "nh")
    assert (result.duration.count, result.ret_codes, result.requested_qps) == (53, {"200": 56}, "30")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("ActualQPS",), "fast", "field 'ActualQPS' must be a number, got 'fast'"),
        (("DurationHistogram", "Count"), 1.5, "field 'DurationHistogram.Count' must be an integer"),
        (
            ("DurationHistogram", "Data", 0, "End"),
            None,
            r"'DurationHistogram.Data\[0\].End' must be a number",
        ),
        (("RetCodes", "200"), "many", "field 'RetCodes.200' must be an integer"),
        (("Uniform",), "yes", "field 'Uniform' must be true or false"),
        (("RequestedQPS",), "lots", "must be a number or 'max'"),
        (("StartTime",), "yesterday", "must be an RFC 3339 time"),
        (("DurationHistogram", "Count"), 7, r"must equal the sum of Data counts \(4\)"),
    ],
)
def test_wrong_types_name_source_field_and_value(path: tuple[Any, ...], value: Any, message: str) -> None:
    data = _client([0.001, 0.002, 0.003, 0.004])
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ModelError, match=f"^fortio client-x: .*{message}"):
        parse_result(data, "client-x")


def test_missing_optional_fields_are_tolerated_but_not_the_histogram() -> None:
    minimal = {
        "DurationHistogram": {
            "Count": 1,
            "Min": 0.1,
            "Max": 0.1,
            "Data": [{"Start": 0.1, "End": 0.1, "Count": 1}],
        }
    }
    assert parse_result(minimal, "m").duration.percentile(50) == 0.1
    with pytest.raises(ModelError, match="not a fortio result"):
        parse_result({"URL": "http://x"}, "m")
    with pytest.raises(ModelError, match="fortio m: not JSON"):
        parse_result("{nope", "m")


@needs_samples
@pytest.mark.parametrize("name", ["fortio-readme-grpc.json", "fortio-readme-http.json"])
def test_the_same_single_bucket_result_twice_merges_exactly(name: str) -> None:
    # fortio 0.9 wrote no Resolution, and one bucket has no inner edge to infer it: identical buckets
    # are still the same buckets, so the merge adds their counts
    lone = parse_result(_sample(name), "readme")
    merged = merge_results([lone, lone])
    h = lone.duration
    assert merged.count == 2 * h.count
    assert [(b.start, b.end, b.count) for b in merged.duration.buckets] == [(h.min, h.max, 2 * h.count)]
    assert (merged.duration.min, merged.duration.max) == (h.min, h.max)
    assert merged.duration.mean == pytest.approx(h.mean)
    assert merged.duration.stddev == pytest.approx(h.stddev)
    assert merged.ret_codes == {k: 2 * v for k, v in lone.ret_codes.items()}
    assert merged.errors == 0


@needs_samples
def test_single_bucket_results_with_different_edges_and_no_resolution_are_refused() -> None:
    lone = parse_result(_sample("fortio-readme-http.json"), "readme")
    other = parse_result(_sample("fortio-readme-grpc.json"), "grpc")
    with pytest.raises(ModelError, match="fortio readme, grpc: cannot merge: their buckets differ"):
        merge_results([lone, other])
    with_grid = merge_results([lone, parse_result(_sample("iter8-fortio-1.57.3.json"), "iter8")])
    assert with_grid.count == 104  # the lone bucket adopts iter8's -r 0.001 grid (it fits)


def _client(
    samples: list[float],
    codes: dict[str, int] | None = None,
    start: str = "2026-01-01T00:00:00Z",
    **fields: Any,
) -> dict[str, Any]:
    codes = codes if codes is not None else {"200": len(samples)}
    return result_document(Histogram.from_samples(samples, R), codes, 120 * 10**9, start, **fields)


def test_merging_client_json_equals_the_json_of_their_union() -> None:
    rng = random.Random(11)
    per_client = [
        [rng.lognormvariate(0, 0.6) * 0.004 for _ in range(rng.randint(100, 600))] for _ in range(8)
    ]
    docs = [json.loads(json.dumps(_client(s))) for s in per_client]  # through real JSON text
    merged = merge_results([parse_result(d, f"c{i}") for i, d in enumerate(docs)], [75])
    union = parse_result(_client([v for s in per_client for v in s]), "union")
    assert merged.duration.buckets == union.duration.buckets
    assert merged.count == union.duration.count == sum(len(s) for s in per_client)
    assert merged.percentiles == {
        k: union.duration.percentile(float(k)) for k in ("50", "75", "90", "99", "99.9")
    }


def test_ret_codes_are_summed_and_errors_counted() -> None:
    a = parse_result(_client([0.001] * 10, {"200": 7, "503": 2, "-1": 1}), "a")
    b = parse_result(_client([0.002] * 5, {"200": 4, "404": 1}), "b")
    merged = merge_results([a, b])
    assert merged.ret_codes == {"-1": 1, "200": 11, "404": 1, "503": 2}
    assert (merged.errors, merged.socket_errors, merged.error_rate) == (4, 1, 4 / 15)


def test_a_client_with_an_exception_is_kept_not_dropped() -> None:
    ok = parse_result(_client([0.001] * 10), "ok")
    failed = parse_result(
        _client([0.003] * 3, {"200": 1, "-1": 2}, Exception="context deadline exceeded"), "bad"
    )
    merged = merge_results([ok, failed])
    assert (merged.clients, merged.count, merged.errors) == (2, 13, 2)
    assert merged.failed_clients == (("bad", "context deadline exceeded"),)
    only_error = parse_result({"Exception": "connection refused"}, "dead")
    assert merge_results([ok, only_error]).failed_clients == (("dead", "connection refused"),)


def test_qps_is_the_sum_and_the_window_rate_is_reported_too() -> None:
    a = parse_result(_client([0.001] * 1200, start="2026-01-01T00:00:00Z"), "a")
    b = parse_result(_client([0.001] * 1200, start="2026-01-01T00:01:00Z"), "b")  # starts a minute late
    merged = merge_results([a, b])
    assert merged.qps == pytest.approx(20.0)
    assert (merged.window_s, merged.window_qps) == (180.0, pytest.approx(2400 / 180))
    assert merge_results([a, b]).requested_qps is None  # "max"


@pytest.mark.parametrize(
    ("code", "run_type", "error"),
    [("200", "HTTP", False), ("204", "HTTP", False), ("301", "HTTP", True), ("503", "HTTP", True),
     ("-1", "HTTP", True), ("1", "GRPC Ping", False), ("SERVING", "GRPC", False), ("2", "GRPC", True),
     ("OK", "TCP", False), ("short read", "TCP", True)],
)  # fmt: skip
def test_error_codes(code: str, run_type: str, error: bool) -> None:
    assert is_error_code(code, run_type) is error


def test_merge_needs_results_and_refuses_mixed_resolutions_naming_the_client() -> None:
    with pytest.raises(ModelError, match="no fortio results"):
        merge_results([])
    coarse = copy.deepcopy(_client([0.002, 0.004]))
    fine = result_document(Histogram.from_samples([0.002, 0.004], 0.0001), {"200": 2}, 10**9)
    with pytest.raises(ModelError, match="^fortio fine: .*different resolution"):
        merge_results([parse_result(coarse, "coarse"), parse_result(fine, "fine")])
