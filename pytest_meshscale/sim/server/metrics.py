"""Request and watch counters, exposed at /metrics in Prometheus text so a run's API load is measurable.
These count the sim's real HTTP traffic (they are not simulated numbers)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping

__all__ = ["Metrics"]


def _labels(names: tuple[str, ...], values: tuple[str, ...]) -> str:
    return ",".join(f'{n}="{v}"' for n, v in zip(names, values, strict=True))


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str, str, str, str]] = Counter()  # verb, group, resource, subresource, code
        self.watches_started: Counter[str] = Counter()
        self.watches_open = 0
        self.watch_events = 0

    def request(self, verb: str, group: str, resource: str, subresource: str, code: int) -> None:
        # group as in the real apiserver_request_total: core pods and metrics.k8s.io pods are different loads
        with self._lock:
            self.requests[(verb, group, resource, subresource, str(code))] += 1

    def watch(self, resource: str, delta: int) -> None:
        with self._lock:
            self.watches_open += delta
            if delta > 0:
                self.watches_started[resource] += 1

    def events_sent(self, n: int) -> None:
        with self._lock:
            self.watch_events += n

    def total(self, verb: str | None = None, code: str | None = None) -> int:
        with self._lock:
            return sum(n for (v, _, _, _, c), n in self.requests.items() if verb in (None, v) and code in (None, c))

    def render(self, objects: Mapping[str, int], store_writes: Mapping[str, int]) -> str:
        """`store_writes`: every write to the sim's Store by verb (create/update/delete), its controllers' included,
        which go to the Store directly and are not in apiserver_request_total (on kube-apiserver the
        controllers' writes are requests like any other). The data-plane agent reads its churn from it."""
        names = ("verb", "group", "resource", "subresource", "code")
        out = [
            "# HELP apiserver_request_total Requests served by the meshscale simulated API server.",
            "# TYPE apiserver_request_total counter",
        ]
        with self._lock:
            out += [f"apiserver_request_total{{{_labels(names, k)}}} {n}" for k, n in sorted(self.requests.items())]
            out += [
                "# TYPE apiserver_longrunning_requests gauge",
                f'apiserver_longrunning_requests{{verb="WATCH"}} {self.watches_open}',
                "# TYPE meshscale_sim_watches_started_total counter",
            ]
            out += [
                f'meshscale_sim_watches_started_total{{resource="{r}"}} {n}'
                for r, n in sorted(self.watches_started.items())
            ]
            out += [
                "# TYPE meshscale_sim_watch_events_sent_total counter",
                f"meshscale_sim_watch_events_sent_total {self.watch_events}",
            ]
        out += ["# TYPE apiserver_storage_objects gauge"]
        out += [f'apiserver_storage_objects{{resource="{r}"}} {n}' for r, n in sorted(objects.items())]
        out += ["# TYPE meshscale_sim_store_writes_total counter"]
        out += [f'meshscale_sim_store_writes_total{{verb="{v}"}} {n}' for v, n in sorted(store_writes.items())]
        out += ["# TYPE meshscale_sim_info gauge", 'meshscale_sim_info{simulated="true"} 1']
        return "\n".join(out) + "\n"
