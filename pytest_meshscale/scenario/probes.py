"""The policy probe: every cell is one request made *from* a client pod, via that pod's fortio.

Each probe is a one-call fortio REST run (`n=1`) through the API server's pod proxy: fortio reports the
HTTP status in RetCodes (403 = an L7 deny), and a socket error as RetCode -1, whose duration tells a
timeout (a drop) from a reset or refusal. GET and POST (fortio sends POST when given a payload) are
what every fortio version supports, so those are the methods probed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..cluster.base import Cluster, ClusterError
from ..model import Matrix, Observation, ProbeCell, classify_status
from ..model.policy import Endpoint
from .load import ClientPod
from .workloads import CLIENT_PORT

__all__ = ["PROBE_TIMEOUT_S", "ProbeError", "Prober", "ProbeRound", "observation_from_fortio", "probe_payload"]

PROBE_TIMEOUT_S = 2.0
SUPPORTED_METHODS = ("GET", "POST")


class ProbeError(RuntimeError):
    """The probe itself could not run (client pod unreachable, fortio refused): infrastructure, not a verdict."""


@dataclass(frozen=True, slots=True)
class ProbeRound:
    observed: dict[str, Observation]
    rounds: int
    elapsed_s: float  # from the first probe until the matrix matched (or the deadline)


def target_url(destination: Endpoint, port: int, path: str) -> str:
    host = f"{destination.service}.{destination.namespace}" if destination.service else destination.workload
    return f"http://{host}:{port}{path}"


def probe_payload(url: str, method: str, timeout_s: float = PROBE_TIMEOUT_S) -> dict[str, str]:
    if method not in SUPPORTED_METHODS:
        raise ProbeError(f"probe method {method!r} cannot be sent by fortio; accepted: {', '.join(SUPPORTED_METHODS)}")
    payload = {"url": url, "n": "1", "c": "1", "qps": "-1", "timeout": f"{timeout_s:g}s", "labels": "meshscale-probe"}
    if method == "POST":
        payload["payload"] = "meshscale-probe"
    return payload


def observation_from_fortio(result: Mapping, timeout_s: float = PROBE_TIMEOUT_S) -> Observation:
    """One fortio result of n=1 -> the verdict and how the request ended."""
    codes = {str(k): int(v) for k, v in (result.get("RetCodes") or {}).items() if int(v) > 0}
    if not codes:
        raise ProbeError(f"fortio result without any return code: {json.dumps(result)[:200]}")
    code = max(codes, key=lambda c: codes[c])
    if code != "-1":
        return classify_status(int(code))
    errors = result.get("ErrorsDurationHistogram") or {}
    took = float(errors.get("Max") or errors.get("Avg") or 0.0)
    how = "timed out" if took >= 0.9 * timeout_s else "reset or refused"
    return classify_status(None, f"connection {how} after {took:.3f} s")


class Prober:
    """Probes cells from the fleet's client pods; retries differing cells while policy propagates."""

    def __init__(self, cluster: Cluster, clients: Sequence[ClientPod], workers: int = 8) -> None:
        self.cluster = cluster
        self.by_namespace = {c.namespace: c for c in clients}
        self.workers = workers

    def probe(self, cell: ProbeCell) -> Observation:
        source = cell.request.source
        client = self.by_namespace.get(source.namespace)
        if client is None:
            raise ProbeError(f"no running fortio client in namespace {source.namespace} to probe from")
        url = target_url(cell.request.destination, cell.request.port, cell.request.path)
        body = json.dumps(probe_payload(url, cell.request.method)).encode()
        try:
            # repeatable: a probe is one synchronous request, so an API-server 429/5xx or a dropped
            # connection is retried; only the answer fortio relays from the target is the verdict.
            reply = self.cluster.proxy_post(client.name, client.namespace, CLIENT_PORT, "/fortio/rest/run", body,
                                            repeatable=True)
        except ClusterError as exc:
            raise ProbeError(f"probe from {client.namespace}/{client.name}: {exc}") from None
        if reply.status != 200:
            text = reply.body[:200].decode(errors="replace")
            raise ProbeError(f"probe from {client.namespace}/{client.name}: HTTP {reply.status}: {text}")
        return observation_from_fortio(reply.json())

    def probe_all(self, cells: Sequence[ProbeCell]) -> dict[str, Observation]:
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return dict(zip((c.key for c in cells), pool.map(self.probe, cells), strict=True))

    def until_match(self, matrix: Matrix, cells: Sequence[ProbeCell], deadline_s: float) -> ProbeRound:
        """Probe every cell, then re-probe only the differing ones until they match or the deadline
        passes: policy takes time to reach every node, and a first mismatch is not yet a finding."""
        start = time.monotonic()
        observed = self.probe_all(cells)
        rounds = 1
        while (diffs := matrix.compare(observed)) and time.monotonic() - start < deadline_s:
            time.sleep(0.2)
            wrong = [c for c in cells if c.key in {d.cell for d in diffs}]
            observed.update(self.probe_all(wrong))
            rounds += 1
        return ProbeRound(observed, rounds, time.monotonic() - start)

