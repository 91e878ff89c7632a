"""API writes per second, an input of the performance model (istiod's and the Cilium agents' CPU grow with churn,
latency too), read from the API server's `/metrics`: on a real control plane kube-apiserver's counter
`apiserver_request_total`, successful writes only, without what no mesh control plane reacts to (Leases renewed by
KWOK for every node, Events, access and token reviews); on the embedded sim its `meshscale_sim_store_writes_total`,
the Store's own count of creates, updates and deletes (its controllers write to the Store directly, so its
apiserver_request_total lacks them). Read lazily, at most every TTL_S: only while the model asks (a fortio run, a
metrics read).
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Callable

__all__ = ["ApiWrites", "parse_writes"]

TTL_S = 5.0
VERBS = {"POST": "create", "PUT": "update", "PATCH": "update", "APPLY": "update", "DELETE": "delete",
         "DELETECOLLECTION": "delete"}
NOT_CHURN = frozenset({"leases", "events", "tokenreviews", "subjectaccessreviews", "selfsubjectaccessreviews",
                       "selfsubjectrulesreviews", "localsubjectaccessreviews"})
_SIM_STORE = re.compile(r'^meshscale_sim_store_writes_total\{verb="(?P<verb>\w+)"\}\s+(?P<value>\S+)', re.M)
_SAMPLE = re.compile(r"^apiserver_request_total\{(?P<labels>[^}]*)\}\s+(?P<value>\S+)", re.M)
_LABEL = re.compile(r'(\w+)="([^"]*)"')


def parse_writes(text: str) -> dict[str, int]:
    """create/update/delete totals from the Prometheus text of kube-apiserver's /metrics (or the embedded sim's)."""
    counts = {"create": 0, "update": 0, "delete": 0}
    store = {m.group("verb"): int(float(m.group("value"))) for m in _SIM_STORE.finditer(text)}
    if store:
        return {**counts, **{k: v for k, v in store.items() if k in counts}}
    for sample in _SAMPLE.finditer(text):
        labels = dict(_LABEL.findall(sample.group("labels")))
        kind = VERBS.get(labels.get("verb", ""))
        if (kind is None or not labels.get("code", "").startswith("2") or labels.get("dry_run")
                or labels.get("resource") in NOT_CHURN or labels.get("subresource") == "token"):
            continue
        counts[kind] += int(float(sample.group("value")))
    return counts


class ApiWrites:
    """`counts()`: the API server's write totals, fetched again when older than TTL_S (the last known on error)."""

    def __init__(self, fetch: Callable[[], str], clock: Callable[[], float] = time.monotonic) -> None:
        self.fetch, self.clock = fetch, clock
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._at = float("-inf")

    def counts(self) -> dict[str, int]:
        with self._lock:
            if self.clock() - self._at >= TTL_S:
                self._at = self.clock()
                try:
                    self._counts = parse_writes(self.fetch())
                except (OSError, RuntimeError, ValueError, http.client.HTTPException):
                    pass  # the API server is stopping, or busy: the model keeps the last totals
            return dict(self._counts)
