"""run_load says when every client runs: the mesh-usage window of the scorecard starts then, not before, so
clients that start slowly (a busy API server's pod proxy) do not put idle samples into "under load"."""

from __future__ import annotations

import json
import threading
import time

from pytest_meshscale.cluster.base import ProxyResponse
from pytest_meshscale.model import Histogram
from pytest_meshscale.model.fortio import result_document
from pytest_meshscale.scenario.load import ClientPod, run_load

DOC = result_document(Histogram.from_samples([0.001] * 10, 0.001), {"200": 10}, 10**9, "2026-01-01T00:00:00Z")


class SlowStarts:
    """A cluster whose pod proxy takes 0.3 s more for each client's start than for the previous one's."""

    def __init__(self) -> None:
        self.lock, self.started = threading.Lock(), []

    def proxy_post(self, pod: str, namespace: str, port: int, path: str, body: bytes, **_: object) -> ProxyResponse:
        time.sleep(0.3 * int(namespace[-1]))
        with self.lock:
            self.started.append(time.time())
        return ProxyResponse(200, json.dumps({"ResultID": namespace}).encode(), {})

    def proxy_get(self, pod: str, namespace: str, port: int, path: str) -> ProxyResponse:
        return ProxyResponse(200, json.dumps(DOC).encode(), {})


def test_on_started_runs_after_the_last_client_started_with_the_spread():
    cluster, seen = SlowStarts(), []
    clients = [ClientPod(f"ns-{i}", "fortio") for i in range(4)]
    run = run_load(cluster, clients, {"t": "1s"}, 0.5, on_started=lambda s: seen.append((time.time(), s)))
    (called, spread), = seen
    assert called >= max(cluster.started)
    assert 0.85 <= spread <= max(cluster.started) - run.started_at + 0.05  # the last start: 0.9 s after the first
    assert run.merged.count == 40
