"""fortio's REST run parameters (rapi/restHandler.go): query arguments win over the JSON body's strings."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

__all__ = ["RunParams", "RunParamsError", "format_duration", "parse_duration", "parse_run"]

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
MAX_QPS_WORDS = ("max", "-1", "0")


class RunParamsError(ValueError):
    """A REST run parameter is malformed; fortio answers 400 with {"Error": ...}."""


def parse_duration(text: str) -> float:
    """Go's time.ParseDuration for the units fortio users write ("2m", "750ms", "1m30s")."""
    s = text.strip()
    if not s or _PART.sub("", s) not in ("", "+"):
        raise RunParamsError(f"invalid duration {text!r} (examples: 2m, 3s, 750ms)")
    return sum(float(n) * _UNITS[u] for n, u in _PART.findall(s))


def format_duration(seconds: float) -> str:
    """Go's Duration.String(): 2m0s, 3s, 750ms, 1h0m0s."""
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:g}ms" if ms >= 1 else f"{seconds * 1e6:g}µs"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    out = f"{int(h)}h" if h else ""
    out += f"{int(m)}m" if (h or m) else ""
    return out + f"{s:g}s"


@dataclass(frozen=True, slots=True)
class RunParams:
    url: str
    qps: float | None  # None = max
    requested_qps: str  # as fortio reports it
    connections: int
    duration_s: float | None  # None = until stopped (t=on)
    timeout_s: float
    resolution: float
    percentiles: tuple[float, ...]
    uniform: bool
    nocatchup: bool
    jitter: bool
    asynchronous: bool
    save: bool
    labels: str
    exactly: int
    payload: str

    @property
    def host_port_path(self) -> tuple[str, int, str]:
        parts = urlsplit(self.url if "://" in self.url else "http://" + self.url)
        return parts.hostname or "", parts.port or 80, parts.path or "/"


def _values(query: str, body: bytes) -> dict[str, str]:
    values: dict[str, str] = {}
    if body.strip():
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise RunParamsError(f"body json deserialization error: {exc}") from None
        if not isinstance(data, dict):
            raise RunParamsError("body json deserialization error: not an object")
        values.update({k: v for k, v in data.items() if isinstance(v, str)})
    values.update({k: v[0] for k, v in parse_qs(query).items() if v and v[0]})
    return values


def _qps(raw: str) -> tuple[float | None, str]:
    if raw.strip().lower() in MAX_QPS_WORDS or not raw.strip():
        return None, "max"
    try:
        q = float(raw)
    except ValueError:
        raise RunParamsError(f"qps: expected a number or 'max', got {raw!r}") from None
    return (None, "max") if q <= 0 else (q, raw.strip())


def _percentiles(raw: str) -> tuple[float, ...]:
    try:
        return tuple(float(p) for p in raw.split(",") if p.strip()) or (50, 75, 90, 99, 99.9)
    except ValueError:
        raise RunParamsError(f"p: expected comma-separated percentiles, got {raw!r}") from None


def parse_run(query: str, body: bytes) -> RunParams:
    v = _values(query, body)
    if not v.get("url", "").strip():
        raise RunParamsError("URL is required")
    qps, requested = _qps(v.get("qps", ""))
    t = v.get("t", "5s")
    try:
        conns, exactly, res = int(v.get("c") or 4), int(v.get("n") or 0), float(v.get("r") or 0.001)
    except ValueError as exc:
        raise RunParamsError(f"c/n/r must be numbers: {exc}") from None
    return RunParams(
        url=v["url"].strip(),
        qps=qps,
        requested_qps=requested,
        connections=max(1, conns),
        duration_s=None if t == "on" else parse_duration(t),
        timeout_s=parse_duration(v["timeout"]) if v.get("timeout") else 3.0,
        resolution=res if res > 0 else 0.001,
        percentiles=_percentiles(v.get("p", "")),
        uniform=v.get("uniform") == "on",
        nocatchup=v.get("nocatchup") == "on",
        jitter=v.get("jitter") == "on",
        asynchronous=v.get("async") == "on",
        save=v.get("save") == "on",
        labels=v.get("labels", ""),
        exactly=exactly,
        payload=v.get("payload", ""),
    )
