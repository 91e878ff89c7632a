"""The API-pressure window of a run: the mesh's clients (EMULATED on kwok and on the sim, the real mesh on an
existing cluster) run during the seed's churn, and the API server's own /metrics (and etcd's, where the run
reaches it) are read before and after: model/api_pressure.py turns the two scrapes into requests/s, p99
against ClusterLoader2's SLOs, open watches, CPU and RSS. In between, the API server's /metrics is read every few
seconds (scenario/api_timeline.py) for the same figures over time, with the churn's events marked. What could not
be measured is said, never guessed."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .. import progress
from ..cluster.base import Cluster, ClusterError, MetricsForbidden
from ..model.api_pressure import FAMILIES, ApiCall, ApiPressure, ServerUsage, api_pressure
from ..model.api_timeline import ApiTimeline
from ..model.prometheus import Sample, Scrape, parse_text
from .api_clients import ApiClientsEmulator, EmulationCounts, NotWarm
from .api_timeline import TimelineScraper, churn_marks, timeline_from_dict, timeline_to_dict
from .churn import ChurnRunner

__all__ = ["PressureResult", "measure_pressure", "result_from_dict", "scrape_apiserver", "scrape_etcd"]

SIM_MARK = "meshscale_sim_info"
# The sim labels verbs as RBAC names them; kube-apiserver's apiserver_request_total uses these.
REAL_VERBS = {"get": "GET", "list": "LIST", "watch": "WATCH", "create": "POST", "update": "PUT", "patch": "PATCH",
              "delete": "DELETE", "deletecollection": "DELETECOLLECTION"}
SIM_MISSING = ("latency histograms (apiserver_request_duration_seconds): no p99, no SLO verdict",
               "process CPU and RSS (process_cpu_seconds_total, process_resident_memory_bytes)")
ETCD_FAMILIES = ("process_cpu_seconds_total", "process_resident_memory_bytes")


@dataclass(frozen=True, slots=True)
class PressureResult:
    mesh: str
    cluster_kind: str
    clients: str  # the emulation statement, or that the real mesh's clients were measured
    pressure: ApiPressure | None
    reason: str = ""  # why nothing was measured
    missing: tuple[str, ...] = ()  # what this backend's /metrics lacks
    etcd_note: str = ""  # why etcd's figures are absent
    emulated: dict[str, Any] | None = None  # the emulator's own counts
    timeline: ApiTimeline | None = None  # the window over time; None in results written before it existed

    @property
    def slo_held(self) -> bool | None:
        """None when nothing was judged (no histograms, or not measured)."""
        if self.pressure is None or not any(c.judged for c in self.pressure.calls):
            return None
        return not self.pressure.violations

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in asdict(self).items() if k not in {"pressure", "timeline"}}
        p = self.pressure
        out["slo_held"] = self.slo_held
        if p is not None:
            out["pressure"] = {
                "window_s": p.window_s, "requests_per_s": p.total_per_s, "open_watches": p.open_watches,
                "by_verb_resource": {f"{v} {r}": rate for (v, r), rate in sorted(p.requests_per_s.items())},
                "calls": [{"call": c.name, "verb": c.verb, "resource": c.resource, "subresource": c.subresource,
                           "scope": c.scope, "count": c.count, "p99_s": c.p99_s, "slo_s": c.slo_s, "judged": c.judged,
                           "ok": c.ok} for c in p.calls],
                "apiserver": asdict(p.apiserver), "etcd": asdict(p.etcd) if p.etcd else None}
        if self.timeline is not None:
            out.update(timeline_to_dict(self.timeline))
        return out


def result_from_dict(doc: dict[str, Any]) -> PressureResult:
    """A PressureResult read back from its JSON (to_dict), e.g. for the side-by-side benchmark table."""
    p = doc.get("pressure")
    pressure = None
    if p is not None:
        calls = tuple(ApiCall(c["verb"], c["resource"], c["subresource"], c["scope"], c["count"], c["p99_s"],
                              c["slo_s"]) for c in p["calls"])
        rates = {tuple(k.split(" ", 1)): v for k, v in p["by_verb_resource"].items()}
        pressure = ApiPressure(p["window_s"], rates, calls, p["open_watches"],  # type: ignore[arg-type]
                               ServerUsage(**p["apiserver"]), ServerUsage(**p["etcd"]) if p["etcd"] else None)
    return PressureResult(doc["mesh"], doc["cluster_kind"], doc["clients"], pressure, doc.get("reason", ""),
                          tuple(doc.get("missing") or ()), doc.get("etcd_note", ""), doc.get("emulated"),
                          timeline_from_dict(doc))


def _real_verbs(scrape: Scrape) -> Scrape:
    def fix(s: Sample) -> Sample:
        labels = tuple((k, REAL_VERBS.get(v, v) if k == "verb" else v) for k, v in s.labels)
        return Sample(s.name, labels, s.value)

    return Scrape(tuple(fix(s) for s in scrape.samples))


def scrape_apiserver(cluster: Cluster) -> tuple[Scrape, bool]:
    """(the scrape, whether it came from the sim); MetricsForbidden passes up."""
    text = cluster.metrics_text()
    sim = SIM_MARK in text
    scrape = parse_text(text, (*FAMILIES, SIM_MARK))
    return (_real_verbs(scrape) if sim else scrape), sim


def scrape_etcd(cluster: Cluster) -> tuple[Scrape | None, str]:
    """etcd's /metrics where the run can reach it (kwok: its client URL); else why not."""
    if not cluster.etcd_metrics_url:
        where = {"sim": "the simulated API server has no etcd"}.get(cluster.kind, "")
        return None, where or f"etcd is not reachable from the run on a {cluster.kind} cluster (not measured)"
    try:
        with urllib.request.urlopen(cluster.etcd_metrics_url, timeout=30) as resp:  # noqa: S310 (127.0.0.1)
            return parse_text(resp.read().decode(), ETCD_FAMILIES), ""
    except (urllib.error.URLError, OSError) as exc:
        return None, f"etcd /metrics at {cluster.etcd_metrics_url}: {exc}"


def measure_pressure(cluster: Cluster, mesh: str, window_s: float,
                     churn: Callable[[], ChurnRunner], nodes: Sequence[str],
                     emulate: bool, say: Callable[[str], None] = progress.say, warm_timeout_s: float = 300,
                     ) -> PressureResult:
    """Start the emulated clients (if `emulate`), then scrape, churn for `window_s` while scraping every few
    seconds, scrape again."""
    try:
        scrape_apiserver(cluster)
    except MetricsForbidden as exc:
        return PressureResult(mesh, cluster.kind, "", None, f"not measured: {exc}")
    emulator = ApiClientsEmulator(cluster, mesh, nodes) if emulate else None
    clients = emulator.statement if emulator else f"the real {mesh} clients of this cluster (nothing emulated)"
    try:
        if emulator is not None:
            emulator.start(warm_timeout_s, say=say)
            say(f"meshscale: {clients}; informers synced in {emulator.synced_s:.1f} s")
        before, sim = scrape_apiserver(cluster)
        scraper = TimelineScraper(lambda: scrape_apiserver(cluster)[0], before, window_s)
        etcd_before, etcd_note = scrape_etcd(cluster)
        start = time.monotonic()
        with scraper, churn() as running:
            time.sleep(window_s)
        after, _ = scrape_apiserver(cluster)
        timeline = scraper.finish(after, churn_marks(running.log, scraper.start))
        emulated_open = emulator.counts.watches_open if emulator else 0
        etcd_after, _ = scrape_etcd(cluster) if etcd_before is not None else (None, "")
        elapsed = time.monotonic() - start
    except NotWarm:
        raise  # the emulation failed: a failure of the run, not a cluster that keeps its figures to itself
    except ClusterError as exc:
        return PressureResult(mesh, cluster.kind, clients, None, f"not measured: {exc}")
    finally:
        if emulator is not None:
            emulator.stop()
    etcd = (etcd_before, etcd_after) if etcd_before is not None and etcd_after is not None else None
    pressure = api_pressure(before, after, elapsed, etcd=etcd)
    return PressureResult(mesh, cluster.kind, clients, pressure, missing=SIM_MISSING if sim else (),
                          etcd_note=etcd_note,
                          emulated=_counts(emulator.counts, emulated_open, emulator.synced_s) if emulator else None,
                          timeline=timeline)


def _counts(c: EmulationCounts, open_in_window: int, synced_s: float | None) -> dict[str, Any]:
    return {"synced_s": None if synced_s is None else round(synced_s, 1),
            "lists": c.lists, "watches_started": c.watches_started, "watches_open": open_in_window,
            "watch_events": c.events, "writes": {f"{v} {r} {s}": n for (v, r, s), n in sorted(c.writes.items())},
            "not_served": sorted(c.not_served), "errors": c.errors}
