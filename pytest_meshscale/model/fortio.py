"""Fortio load results: parse one client's JSON strictly, and merge many clients correctly.

Unlike the seed's aggregator (fortio-commander `aggregate`), RetCodes are summed and a client whose run
raised an Exception is kept: its data counts and it is listed in `failed_clients`, never silently dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .errors import ModelError
from .histogram import Bucket, Histogram, infer_resolution, merge, same_edges

__all__ = [
    "DEFAULT_PERCENTILES", "FortioResult", "MergedLoad", "is_error_code", "merge_results",
    "parse_document", "parse_result", "percentile_label", "result_document",
]  # fmt: skip

DEFAULT_PERCENTILES = (50.0, 90.0, 99.0, 99.9)
SOCKET_ERROR = "-1"  # fortio fhttp: "-1 is returned for socket errors"
_GRPC_OK = frozenset({"1", "SERVING"})  # grpc health: SERVING (1 in fortio <= 1.x JSON)


def percentile_label(p: float) -> str:
    """50.0 -> "50", 99.9 -> "99.9": the keys used in Score and --json output."""
    return f"{p:g}"


def is_error_code(code: str, run_type: str = "HTTP") -> bool:
    """Non-2xx HTTP codes, socket errors (-1) and, for gRPC runs, anything but SERVING are errors."""
    if run_type.upper().startswith("GRPC"):
        return code not in _GRPC_OK
    return not (code.isdigit() and 200 <= int(code) <= 299) and code != "OK"


class _Reader:
    """Typed access to one JSON object; every error names the source, the field and the value."""

    def __init__(self, data: object, source: str, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ModelError(f"fortio {source}: {path or 'document'} must be a JSON object, got {data!r:.80}")
        self.data: Mapping[str, Any] = data
        self.source, self.path = source, path

    def fail(self, key: str, value: object, expected: str) -> ModelError:
        where = f"{self.path}.{key}" if self.path else key
        return ModelError(f"fortio {self.source}: field '{where}' {expected}, got {value!r:.80}")

    def integer(self, key: str, default: int = 0) -> int:
        value = self.data.get(key, default)
        if isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)  # protobuf JSON (Nighthawk's fortio output) writes int64 as strings
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, value, "must be an integer")
        return value

    def number(self, key: str, default: float | None = 0.0) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(key, value, "must be a number")
        return float(value)

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str):
            raise self.fail(key, value, "must be a string")
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(key, value, "must be true or false")
        return value

    def sub(self, key: str) -> _Reader | None:
        value = self.data.get(key)
        return None if value is None else _Reader(value, self.source, f"{self.path}.{key}".lstrip("."))

    def items(self, key: str) -> list[_Reader]:
        value = self.data.get(key) or []
        if not isinstance(value, list):
            raise self.fail(key, value, "must be a list")
        return [_Reader(v, self.source, f"{self.path}.{key}[{i}]") for i, v in enumerate(value)]


def _histogram(r: _Reader, resolution: float | None, offset: float) -> Histogram:
    buckets = tuple(Bucket(b.number("Start"), b.number("End"), b.integer("Count")) for b in r.items("Data"))
    count, lo, hi = r.integer("Count"), r.number("Min"), r.number("Max")
    if sum(b.count for b in buckets) != count:
        raise r.fail("Count", count, f"must equal the sum of Data counts ({sum(b.count for b in buckets)})")
    if resolution is None and buckets:
        resolution = infer_resolution(buckets, lo, hi, offset)
    m2 = count * r.number("StdDev") ** 2
    return Histogram(count, lo, hi, r.number("Sum"), m2, buckets, resolution, offset)


def _requested_qps(r: _Reader) -> str:
    value = r.data.get("RequestedQPS", "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"  # Nighthawk writes a number
    text = r.text("RequestedQPS")
    try:
        float(text) if text not in ("", "max") else None
    except ValueError:
        raise r.fail("RequestedQPS", text, "must be a number or 'max'") from None
    return text


def _start_time(r: _Reader) -> datetime | None:
    text = r.text("StartTime")
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        raise r.fail("StartTime", text, "must be an RFC 3339 time") from None


def _ret_codes(r: _Reader) -> dict[str, int]:
    codes = r.sub("RetCodes")
    return {} if codes is None else {str(k): codes.integer(str(k)) for k in codes.data}


@dataclass(frozen=True, slots=True)
class FortioResult:
    """One fortio client's run. Times in seconds except `actual_duration_ns` (fortio's unit)."""

    source: str
    duration: Histogram
    ret_codes: Mapping[str, int] = field(default_factory=dict)
    errors_duration: Histogram | None = None
    sizes: Histogram | None = None
    run_type: str = ""
    labels: str = ""
    start_time: datetime | None = None
    requested_qps: str = ""
    requested_duration: str = ""
    actual_qps: float = 0.0
    actual_duration_ns: int = 0
    num_threads: int = 0
    url: str = ""
    exactly: int = 0
    uniform: bool = False
    no_catch_up: bool = False
    jitter: bool = False
    resolution: float | None = None
    version: str = ""
    exception: str = ""
    reported_percentiles: tuple[tuple[float, float], ...] = ()

    @property
    def errors(self) -> int:
        return sum(n for code, n in self.ret_codes.items() if is_error_code(code, self.run_type))

    @property
    def socket_errors(self) -> int:
        return self.ret_codes.get(SOCKET_ERROR, 0)

    @property
    def end_time(self) -> datetime | None:
        if self.start_time is None:
            return None
        return self.start_time + timedelta(microseconds=self.actual_duration_ns / 1000)


def result_document(
    duration: Histogram,
    ret_codes: Mapping[str, int],
    actual_duration_ns: int,
    start_time: str = "",
    percentiles: Iterable[float] = DEFAULT_PERCENTILES,
    **fields: Any,
) -> dict[str, Any]:
    """A fortio-format result (as `fortio load -json` writes it), for the simulator and tests.
    `fields` adds or overrides top-level keys (RunType, RequestedQPS, NumThreads, Exception, ...)."""
    seconds = actual_duration_ns / 1e9
    doc: dict[str, Any] = {
        "RunType": "HTTP", "Labels": "", "StartTime": start_time, "RequestedQPS": "max",
        "ActualQPS": duration.count / seconds if seconds else 0.0, "ActualDuration": actual_duration_ns,
        "NumThreads": 1, "Version": "meshscale", "DurationHistogram": duration.to_fortio(percentiles),
        "RetCodes": dict(ret_codes), "Resolution": duration.resolution, "Offset": duration.offset,
    }  # fmt: skip
    doc.update(fields)
    return doc


def parse_result(data: Mapping[str, Any] | str, source: str) -> FortioResult:
    """One fortio result (`fortio load -json`, REST `/fortio/rest/run`), as a dict or JSON text."""
    r = _Reader(_decode(data, source), source, "")
    exception = r.text("Exception") or r.text("Error")
    hist = r.sub("DurationHistogram")
    if hist is None and not exception:
        raise ModelError(f"fortio {source}: not a fortio result (no DurationHistogram and no Exception)")
    resolution = r.number("Resolution", None) if r.data.get("Resolution") is not None else None
    offset = r.number("Offset")
    duration = Histogram.empty(resolution, offset) if hist is None else _histogram(hist, resolution, offset)
    optional = {k: r.sub(k) for k in ("ErrorsDurationHistogram", "Sizes")}
    return FortioResult(
        source=source, duration=duration, ret_codes=_ret_codes(r),
        errors_duration=_maybe(optional["ErrorsDurationHistogram"], duration.resolution, offset),
        sizes=_maybe(optional["Sizes"], None, 0.0),
        run_type=r.text("RunType"), labels=r.text("Labels"), start_time=_start_time(r),
        requested_qps=_requested_qps(r), requested_duration=r.text("RequestedDuration"),
        actual_qps=r.number("ActualQPS"), actual_duration_ns=r.integer("ActualDuration"),
        num_threads=r.integer("NumThreads"), url=r.text("URL") or r.text("Destination"),
        exactly=r.integer("Exactly"), uniform=r.flag("Uniform"), no_catch_up=r.flag("NoCatchUp"),
        jitter=r.flag("Jitter"), resolution=duration.resolution, version=r.text("Version"),
        exception=exception, reported_percentiles=_reported(hist),
    )  # fmt: skip


def _maybe(r: _Reader | None, resolution: float | None, offset: float) -> Histogram | None:
    return None if r is None else _histogram(r, resolution, offset)


def _reported(hist: _Reader | None) -> tuple[tuple[float, float], ...]:
    points = [] if hist is None else hist.items("Percentiles")
    return tuple((p.number("Percentile"), p.number("Value")) for p in points)


def _decode(data: Mapping[str, Any] | str, source: str) -> object:
    if not isinstance(data, str):
        return data
    try:
        return json.loads(data)
    except ValueError as e:
        raise ModelError(f"fortio {source}: not JSON ({e})") from None


def parse_document(data: Mapping[str, Any] | str, source: str) -> tuple[FortioResult, ...]:
    """A fortio result, or a wrapper holding several under "EndpointResults" (iter8's shape)."""
    decoded = _decode(data, source)
    if isinstance(decoded, Mapping) and isinstance(decoded.get("EndpointResults"), Mapping):
        wrapped = decoded["EndpointResults"]
        if not wrapped:
            raise ModelError(f"fortio {source}: EndpointResults is empty")
        return tuple(parse_result(v, f"{source}[{k}]") for k, v in wrapped.items())
    if not isinstance(decoded, Mapping):
        raise ModelError(f"fortio {source}: must be a JSON object, got {type(decoded).__name__}")
    return (parse_result(decoded, source),)


@dataclass(frozen=True, slots=True)
class MergedLoad:
    """All clients of one load run, merged. `qps` is the sum of each client's ActualQPS (what the
    seed and the Istio blog report: each client's achieved rate while it ran); `window_qps` is
    count / union of the client windows, None when a StartTime is missing."""

    clients: int
    count: int
    qps: float
    window_qps: float | None
    window_s: float | None
    requested_qps: float | None  # None when a client asked for "max"
    duration: Histogram
    errors_duration: Histogram
    ret_codes: Mapping[str, int]
    errors: int
    socket_errors: int
    error_rate: float
    percentiles: Mapping[str, float]
    failed_clients: tuple[tuple[str, str], ...] = ()

    def summary(self) -> dict[str, Any]:
        """The JSON shape of `meshscale fortio merge --json`."""
        h = self.duration
        return {
            "count": self.count, "qps": self.qps, "window_qps": self.window_qps,
            "percentiles": dict(self.percentiles), "ret_codes": dict(self.ret_codes),
            "errors": self.errors, "socket_errors": self.socket_errors, "error_rate": self.error_rate,
            "clients": self.clients, "failed_clients": [list(f) for f in self.failed_clients],
            "min": h.min, "max": h.max, "mean": h.mean, "stddev": h.stddev,
        }  # fmt: skip


def _window(results: Sequence[FortioResult]) -> float | None:
    starts = [r.start_time for r in results]
    ends = [r.end_time for r in results]
    if not results or any(s is None for s in starts) or any(e is None for e in ends):
        return None
    try:
        return (max(e for e in ends if e) - min(s for s in starts if s)).total_seconds()
    except TypeError:  # naive and aware StartTimes cannot be compared
        return None


def _requested(results: Sequence[FortioResult]) -> float | None:
    values = [r.requested_qps for r in results]
    return None if any(v in ("", "max") for v in values) else sum(float(v) for v in values)


def _summed_codes(results: Sequence[FortioResult]) -> dict[str, int]:
    codes: dict[str, int] = {}
    for r in results:
        for code, n in r.ret_codes.items():
            codes[code] = codes.get(code, 0) + n
    return dict(sorted(codes.items(), key=lambda kv: (not kv[0].lstrip("-").isdigit(), kv[0])))


def _aligned(rs: Sequence[FortioResult], errors_hist: bool) -> list[Histogram]:
    """Each client's histogram on the common grid; a misfit is reported with its source."""
    hs = [(r.source, r.errors_duration if errors_hist else r.duration) for r in rs]
    present = [(src, h) for src, h in hs if h is not None and h.count]
    grid = next(((h.resolution, h.offset) for _, h in present if h.resolution is not None), None)
    if grid is None or grid[0] is None:
        # no grid known: identical buckets still merge exactly (e.g. one client's result given twice)
        if len(present) > 1 and not same_edges([h for _, h in present]):
            names = ", ".join(src for src, _ in present[:3])
            raise ModelError(
                f"fortio {names}: cannot merge: their buckets differ, and no Resolution field nor inner "
                "bucket edge tells whether they are on the same grid"
            )
        return [h for _, h in present]
    out = []
    for src, h in present:
        try:
            out.append(h.with_grid(grid[0], grid[1]))
        except ModelError as e:
            raise ModelError(f"fortio {src}: {e} (grid of {present[0][0]})") from None
    return out


def merge_results(results: Iterable[FortioResult], percentiles: Iterable[float] = ()) -> MergedLoad:
    """Merge clients exactly: histograms bucket by bucket, RetCodes summed, percentiles recomputed."""
    rs = tuple(results)
    if not rs:
        raise ModelError("no fortio results to merge")
    duration = merge(_aligned(rs, errors_hist=False))
    errors_hist = merge(_aligned(rs, errors_hist=True))
    codes = _summed_codes(rs)
    errors = sum(r.errors for r in rs)
    answered = sum(codes.values()) or duration.count
    window = _window(rs)
    wanted = sorted(set(DEFAULT_PERCENTILES) | set(percentiles))
    return MergedLoad(
        clients=len(rs), count=duration.count, qps=math.fsum(r.actual_qps for r in rs),
        window_qps=duration.count / window if window else None, window_s=window,
        requested_qps=_requested(rs), duration=duration, errors_duration=errors_hist, ret_codes=codes,
        errors=errors, socket_errors=sum(r.socket_errors for r in rs),
        error_rate=errors / answered if answered else 0.0,
        percentiles={percentile_label(p): duration.percentile(p) for p in wanted} if duration.count else {},
        failed_clients=tuple((r.source, r.exception) for r in rs if r.exception),
    )  # fmt: skip
