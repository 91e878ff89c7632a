"""fortio load runs in wall time: a run lasts its duration (async ones in a background thread), so
churn overlaps it; /fortio/rest/stop ends it early. Results are saved per pod as fortio's data files."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..perf import RunSpec, plan_rate, simulate_run
from .base import Env, pod_name
from .fortio_json import RunMeta, result_id, result_json
from .fortio_params import RunParams
from .fortio_plan import Plan

__all__ = ["FortioRun", "FortioRuns"]

Obj = dict[str, Any]
TICK_S = 0.1  # how often a running load wakes to notice stop (500 runs at full scale)
REBOOK_S = 1.0  # at most this often a run re-books its rate while more runs start (500 runs at full scale)
# ...and sooner when few run: a smoke load lasts 3 s, so a second-long stale rate was a third of the mesh-usage
# window (seen: cilium-envoy at 2.75 cores in one run, 2.36 in the next, at the same QPS).
REBOOK_PER_RUN_S = 0.002


@dataclass
class FortioRun:
    run_id: int
    pod: Obj
    params: RunParams
    start: float
    labels: str
    stop: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    result: bytes = b""

    @property
    def result_id(self) -> str:
        return result_id(self.start, self.labels)


class FortioRuns:
    """Runs and saved results of every simulated fortio server in the cluster."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self._lock = threading.Lock()
        self._ids: dict[tuple[str, str], int] = {}
        self._running: dict[tuple[tuple[str, str], int], FortioRun] = {}
        self._saved: dict[tuple[tuple[str, str], str], bytes] = {}

    def new(self, pod: Obj, params: RunParams) -> FortioRun:
        key = pod_name(pod)
        with self._lock:
            self._ids[key] = self._ids.get(key, 0) + 1
            host = params.host_port_path[0]
            labels = f"{params.labels or host} , {key[1]} , simulated"
            run = FortioRun(self._ids[key], pod, params, time.time(), labels)
            self._running[(key, run.run_id)] = run
        return run

    def execute(self, run: FortioRun) -> bytes:
        env, p, key = self.env, run.params, pod_name(run.pod)
        plan = Plan(env, run.pod, p)
        flow_id = f"{key[0]}/{key[1]}#{run.run_id}"
        writes0, concurrent = _writes(env), env.loadbook.active() + 1

        sat0 = plan.saturation(env, concurrent, 0)  # counts objects: once per run, not per re-booking

        def book(concurrent: int) -> None:
            # The node agents' usage reads this rate; it must follow the load as more clients start,
            # or the first of 500 clients would be booked at an unsaturated rate for the whole run.
            sat = dataclasses.replace(sat0, concurrent_runs=concurrent)
            rate, _ = plan_rate(env.params, self._spec(p, 1.0), plan.mix, sat)
            env.loadbook.start(plan.flow(flow_id, run.pod, rate))

        book(concurrent)
        env.logs.add(
            run.pod,
            f"I httprunner.go> Starting http test for {p.url} with {p.connections} threads "
            f"at {p.requested_qps} qps (simulated)",
        )
        try:
            concurrent = self._wait(run, p, concurrent, book)
        finally:
            env.loadbook.stop(flow_id)
        elapsed = max(time.time() - run.start, 1e-3)
        sat = plan.saturation(env, concurrent, (_writes(env) - writes0) / elapsed)
        seed = zlib.crc32(f"{env.seed}/{flow_id}".encode())
        res = simulate_run(env.params, self._spec(p, elapsed), plan.mix, sat, seed)
        self._record(plan, run, res.count)
        meta = RunMeta(run.run_id, run.start, run.labels, plan.target, _sockets(p, res.ret_codes))
        run.result = json.dumps(result_json(p, meta, res, seed), indent=2).encode()
        self._finish(run, res.count, elapsed)
        return run.result

    def _spec(self, p: RunParams, elapsed: float) -> RunSpec:
        return RunSpec(p.qps, p.connections, elapsed, p.timeout_s, p.resolution, p.exactly)

    def _wait(self, run: FortioRun, p: RunParams, concurrent: int, book: Callable[[int], None]) -> int:
        end = run.start + (p.duration_s if p.duration_s is not None else float("inf"))
        if p.exactly:
            end = run.start + min(p.exactly / 1000.0, 5.0)  # short: exact-count runs are probes
        booked, booked_at = concurrent, time.time()
        while not run.stop.is_set() and time.time() < end:
            run.stop.wait(min(TICK_S, max(0.0, end - time.time())))
            concurrent = max(concurrent, self.env.loadbook.active())
            if concurrent > booked and time.time() - booked_at >= min(REBOOK_S, REBOOK_PER_RUN_S * concurrent):
                book(concurrent)
                booked, booked_at = concurrent, time.time()
        return concurrent

    def _record(self, plan: Plan, run: FortioRun, count: int) -> None:
        ok, port = count * plan.mix.shares.get("ok", 0.0), run.params.host_port_path[1]
        for b in plan.backends:
            self.env.traffic.record(
                pod_name(run.pod), pod_name(b), port, ok / len(plan.backends), run.start, time.time()
            )

    def _finish(self, run: FortioRun, count: int, elapsed: float) -> None:
        key = pod_name(run.pod)
        with self._lock:
            self._running.pop((key, run.run_id), None)
            if run.params.save:
                self._saved[(key, run.result_id)] = run.result
        self.env.logs.add(
            run.pod, f"I periodic.go> Ended after {elapsed:.6f}s : {count} calls. qps={count / elapsed:.4f}"
        )
        if run.params.save:
            self.env.logs.add(run.pod, f"I rapi.go> Saving {run.result_id}.json in /var/lib/fortio")
        run.done.set()

    def saved(self, pod: Obj, rid: str) -> bytes | None:
        with self._lock:
            return self._saved.get((pod_name(pod), rid))

    def running(self, pod: Obj) -> list[FortioRun]:
        with self._lock:
            return [r for (k, _), r in self._running.items() if k == pod_name(pod)]

    def stop(self, pod: Obj, run_id: int) -> int:
        runs = [r for r in self.running(pod) if run_id <= 0 or r.run_id == run_id]
        for r in runs:
            r.stop.set()
        return len(runs)


def _writes(env: Env) -> int:
    counts = getattr(env.store, "write_counts", None) or {}
    return int(sum(counts.values()))


def _sockets(p: RunParams, codes: dict[str, int]) -> tuple[int, ...]:
    """One socket per connection, plus a reconnect after every socket error (spread over threads)."""
    extra = codes.get("-1", 0)
    base, rest = divmod(extra, p.connections)
    return tuple(1 + base + (1 if i < rest else 0) for i in range(p.connections))
