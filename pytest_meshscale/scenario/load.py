"""One synchronized fortio load on every client pod, through fortio's REST API behind the pod proxy.

As the seed's commander did: POST /fortio/rest/run (async, save) to every client at once, then fetch each
saved result from /fortio/data/<ResultID>.json. Unlike the seed's aggregator, every client's RetCodes and
errors are kept and merged (model.fortio).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..cluster.base import Cluster, ClusterError
from ..model import Load, MergedLoad, merge_results, parse_result
from ..model.fortio import FortioResult
from ..progress import waiting
from .workloads import CLIENT_PORT, SERVER, SERVER_PORT

__all__ = ["ClientPod", "LoadError", "LoadRun", "rest_run_payload", "run_load", "run_profile_load"]

MAX_QPS = "999999"  # the seed's test.json spelling of "as fast as possible"


class LoadError(RuntimeError):
    """The load could not be started or its results could not be collected."""


@dataclass(frozen=True, slots=True)
class ClientPod:
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class LoadRun:
    started_at: float  # epoch seconds
    finished_at: float
    raw: dict[str, dict]  # client namespace -> fortio JSON as the client saved it
    merged: MergedLoad


def rest_run_payload(load: Load, labels: str, duration_s: float | None = None) -> dict[str, str]:
    """The seed's files/test.json, from the profile (fortio's REST API wants every value as a string)."""
    payload = {
        "url": f"http://{SERVER}:{SERVER_PORT}{load.path}",
        "qps": MAX_QPS if load.qps is None else f"{load.qps:g}",
        "c": str(load.connections),
        "t": f"{duration_s or load.duration_s:g}s",
        "timeout": f"{load.timeout_ms}ms",
        "r": f"{load.resolution_s:g}",
        "p": ",".join(f"{p:g}" for p in load.percentiles),
        "async": "on",
        "save": "on",
        "labels": labels,
    }
    payload.update({k: "on" for k, on in (("uniform", load.uniform), ("nocatchup", load.nocatchup)) if on})
    return payload


def run_load(
    cluster: Cluster,
    clients: Sequence[ClientPod],
    payload: dict[str, str],
    duration_s: float,
    percentiles: Sequence[float] = (),
    progress: Callable[[str], None] = lambda _: None,
    on_started: Callable[[float], None] = lambda _: None,
) -> LoadRun:
    """Start every client at once, wait out the run, collect and merge every client's result.
    `on_started(s)` runs once every client has accepted its run, `s` seconds after the first was asked: every
    client runs for the next duration_s - s seconds, which is when to measure the load."""
    if not clients:
        raise LoadError("no fortio client pods to run the load from")
    body = json.dumps(payload).encode()
    with ThreadPoolExecutor(max_workers=min(32, len(clients))) as pool:
        started = time.time()
        ids = list(pool.map(lambda c: _start(cluster, c, body), clients))
        progress(f"load started on {len(clients)} clients for {duration_s:g} s")
        on_started(time.time() - started)
        waiting(f"load on {len(clients)} clients", duration_s)
        raw = dict(pool.map(lambda ci: _collect(cluster, ci[0], ci[1], duration_s), zip(clients, ids, strict=True)))
    results: list[FortioResult] = [parse_result(doc, f"{ns}/fortio") for ns, doc in raw.items()]
    return LoadRun(started, time.time(), raw, merge_results(results, percentiles))


def run_profile_load(
    cluster: Cluster,
    clients: Sequence[ClientPod],
    load: Load,
    labels: str,
    duration_s: float | None = None,
    progress: Callable[[str], None] = lambda _: None,
    on_started: Callable[[float], None] = lambda _: None,
) -> LoadRun:
    """The profile's fortio load (its payload and requested percentiles) on the given clients."""
    seconds = duration_s or load.duration_s
    return run_load(cluster, clients, rest_run_payload(load, labels, seconds), seconds, load.percentiles, progress,
                    on_started)


def _start(cluster: Cluster, client: ClientPod, body: bytes) -> str:
    reply = cluster.proxy_post(client.name, client.namespace, CLIENT_PORT, "/fortio/rest/run", body)
    if reply.status != 200:
        raise LoadError(f"fortio in {client.namespace}/{client.name} refused the run: HTTP {reply.status}")
    started = reply.json()
    result_id = started.get("ResultID")
    if not result_id:
        raise LoadError(f"fortio in {client.namespace}/{client.name} gave no ResultID: {started}")
    return str(result_id)


def _collect(cluster: Cluster, client: ClientPod, result_id: str, duration_s: float) -> tuple[str, dict]:
    # The result is saved when the run ends; allow for the client's own timeouts, then give up clearly.
    deadline = time.monotonic() + max(30.0, duration_s)
    path = f"/fortio/data/{result_id}.json"
    while True:
        try:
            reply = cluster.proxy_get(client.name, client.namespace, CLIENT_PORT, path)
        except ClusterError:
            reply = None
        if reply is not None and reply.status == 200:
            return client.namespace, reply.json()
        if time.monotonic() > deadline:
            raise LoadError(f"no result {path} from {client.namespace}/{client.name} after the run")
        time.sleep(1.0)
