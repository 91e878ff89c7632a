"""A simulated run's result in fortio's own JSON layout (fortio 1.57-style HTTPRunnerResults; compare
/work/shared/upstream/fortio-samples/iter8-fortio-1.57.3.json). `Labels` always says "simulated"."""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass
from typing import Any

from ..perf import Latency, RunResult
from ..perf.sampling import from_cdf
from .fortio_params import RunParams, format_duration

__all__ = ["FORTIO_VERSION", "RunMeta", "result_id", "result_json"]

FORTIO_VERSION = "1.69.3"  # the fortio release whose JSON layout this mirrors (reported as-is)


@dataclass(frozen=True, slots=True)
class RunMeta:
    run_id: int
    start: float  # epoch seconds
    labels: str
    target: str  # "ip:port" fortio resolved the URL to
    sockets: tuple[int, ...]


def start_time(epoch: float) -> str:
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{base}.{int(epoch % 1 * 1e9):09d}Z"


def result_id(epoch: float, labels: str) -> str:
    """fortio's ID: the start time, then the labels made file-name safe."""
    stamp = time.strftime("%Y-%m-%d-%H%M%S", time.gmtime(epoch))
    clean = re.sub(r"[^A-Za-z0-9]+", "_", labels).strip("_")
    return f"{stamp}_{clean}" if clean else stamp


def _connection_stats(p: RunParams, meta: RunMeta, seed: int) -> dict[str, Any]:
    import random

    lat = Latency(0.0012, 0.3)
    n = sum(meta.sockets)
    h = from_cdf(random.Random(seed), n, p.resolution, lat.cdf, lat.quantile, p.timeout_s)
    return h.to_fortio(p.percentiles)


def result_json(p: RunParams, meta: RunMeta, res: RunResult, seed: int) -> dict[str, Any]:
    hist = res.durations.to_fortio(p.percentiles)
    errors = res.errors.to_fortio(p.percentiles if res.errors.count else None)
    duration = f"exactly {p.exactly} calls" if p.exactly else format_duration(p.duration_s or res.elapsed_s)
    return {
        "RunType": "HTTP",
        "Labels": meta.labels,
        "StartTime": start_time(meta.start),
        "RequestedQPS": p.requested_qps,
        "RequestedDuration": duration,
        "ActualQPS": res.actual_qps,
        "ActualDuration": int(res.elapsed_s * 1e9),
        "NumThreads": p.connections,
        "Version": FORTIO_VERSION,
        "DurationHistogram": hist,
        "ErrorsDurationHistogram": errors,
        "Exactly": p.exactly,
        "Jitter": p.jitter,
        "Uniform": p.uniform,
        "NoCatchUp": p.nocatchup,
        "RunID": meta.run_id,
        "AccessLoggerInfo": "",
        "ID": result_id(meta.start, meta.labels),
        "RetCodes": res.ret_codes,
        "IPCountMap": {meta.target: len(meta.sockets)} if meta.target else {},
        "Insecure": False,
        "MTLS": False,
        "CACert": "",
        "Cert": "",
        "Key": "",
        "UnixDomainSocket": "",
        "URL": p.url,
        "NumConnections": p.connections,
        "Compression": False,
        "DisableFastClient": False,
        "HTTP10": False,
        "H2": False,
        "DisableKeepAlive": False,
        "AllowHalfClose": False,
        "FollowRedirects": False,
        "Resolve": "",
        "HTTPReqTimeOut": int(p.timeout_s * 1e9),
        "UserCredentials": "",
        "ContentType": "",
        "Payload": base64.b64encode(p.payload.encode()).decode() if p.payload else None,
        "MethodOverride": "",
        "LogErrors": False,
        "SequentialWarmup": False,
        "ConnReuseRange": [0, 0],
        "NoResolveEachConn": False,
        "Offset": 0,
        "Resolution": p.resolution,
        "Sizes": res.sizes.to_fortio(None),
        "HeaderSizes": res.header_sizes.to_fortio(None),
        "Sockets": list(meta.sockets),
        "SocketCount": sum(meta.sockets),
        "ConnectionStats": _connection_stats(p, meta, seed),
        "AbortOn": 0,
    }
