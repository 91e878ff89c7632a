"""Full-scale run of the scale suite, one mesh after the other (issue #4): on the SIMULATED cluster, or with
`--backend kwok` on the real control plane (kube-apiserver etc.) with a SIMULATED data plane.

Run: .venv/bin/python benchmarks/full_scale.py [--backend sim|kwok] [--mesh cilium,istio-ambient] [--scale full]
     [--suites tests/scale] [--json OUT.json] [--log-dir DIR] [--timeout SECONDS] [--pytest-arg ARG ...]

--backend sim (the default): per mesh it starts `meshscale sim up --mesh M --scale S` (SimProcess), then runs
`pytest SUITES --mesh=M --scale=S --mesh-cluster=existing --mesh-kubeconfig K --mesh-context C` against it
as an existing cluster, and reports:
- the wall time of the pytest run (real seconds of the plugin against the sim; target < 15 min),
- the pytest (plugin) process's peak RSS two ways: VmHWM from /proc/<pid>/status sampled every second
  while it runs (that process alone), and ru_maxrss from wait4() when it exits (exact, but the maximum
  over the process and any child it waited for); the sim's peak RSS (VmHWM) separately,
- the API requests the run made, from the sim's /metrics (apiserver_request_total, scraped before and
  after; real HTTP counts of a simulated server): the fleet set-up per namespace (target <= 10), LIST pods
  and WATCH counts, and the whole delta by verb/resource.
The fleet set-up is counted twice: exactly, by this file loaded into the pytest run as a plugin
(`-p full_scale`) that scrapes /metrics through the run's own `cluster` fixture around the `fleet` fixture
and records the fixture's own client-side count (Fleet.requests); and by category over the whole run
(creates of namespaces, serviceaccounts, deployments, services + LIST/WATCH deployments), an upper bound
since later tests list and watch Deployments too. Resources outside the core group are named plural.group
(the sim's /metrics has a group label, as the real apiserver_request_total does): `list pods` is pod listing,
`list pods.metrics.k8s.io` the PodMetrics lists of the mesh-cost sampling.

--backend kwok: per mesh `pytest SUITES --mesh=M --scale=S --mesh-cluster=kwok`; the plugin starts the
control plane itself (binaries from ~/.cache/meshscale, built once; `--pytest-arg=--mesh-k8s-bin-dir=DIR`
to use others), so the reports say control plane real, data plane SIMULATED. Reported, labelled so:
- wall time and outcomes as above;
- the peak RSS of every process of the run, the pytest process and each descendant (kube-apiserver, etcd,
  kube-controller-manager, kube-scheduler, kwok, `meshscale control-plane up` with the data-plane agent, any
  other), VmHWM sampled from /proc every second, named by executable; a process that exits keeps its last
  value (benchmarks/proc_tree.py). Their sum is an upper bound: they need not peak together;
- the requests from the REAL kube-apiserver's /metrics, read through the `cluster` fixture since the
  control plane lives inside the pytest run: the fleet window as above, and the whole run from the `cluster`
  fixture's set-up to the start of its teardown (the fleet's deletion, part of that teardown, is not in it;
  the control plane's start-up neither). Verbs are normalised to the sim's names (POST -> create, LIST ->
  list ...). kube-apiserver counts every client: the controllers, the scheduler, kwok and the agent too, so
  the fleet window's total is all clients'; the plugin's own share per namespace is the fleet kinds' count
  (creates of the four kinds + LIST/WATCH of Deployments, the latter by any client; the serviceaccounts
  include the `default` one kube-controller-manager creates in each namespace). Requests kube-apiserver
  proxies to an aggregated API (metrics.k8s.io, served by the agent) are not in apiserver_request_total
  (kubernetes/kubernetes#96321): PodMetrics lists are not counted on kwok.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import yaml
from proc_tree import TreeSampler
from sim_api import RequestKey, metrics_text, request_counts, vm_hwm_kib

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pytest_meshscale.data.profiles import load_profile  # noqa: E402
from pytest_meshscale.model import ProfileError  # noqa: E402
from pytest_meshscale.sim.process import SimProcess, SimStartError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MESHES = ("cilium", "istio-ambient", "baseline")
TARGETS = {"wall_s": 900.0, "fleet_requests_per_namespace": 10.0, "list_pods_in_fleet_setup": 0}
FLEET_CREATES = ("namespaces", "serviceaccounts", "deployments.apps", "services")
PROBE_ENV, RUN_WINDOW_ENV = "MESHSCALE_BENCH_FLEET_OUT", "MESHSCALE_BENCH_RUN_WINDOW"
HEARTBEAT_S, INTERRUPT_GRACE_S = 60.0, 120.0
CLUSTER_LABELS = {"sim": "SIMULATED", "kwok": "control plane real (kube-apiserver), data plane SIMULATED"}
SUMMARY_TITLES = {
    "sim": "SIMULATED cluster: scale suite at --scale {scale} (real wall times against a simulated cluster)",
    "kwok": "kwok: scale suite at --scale {scale}; control plane real (kube-apiserver), data plane SIMULATED",
}
KWOK_PROCESSES = ("pytest", "meshscale control-plane up", "kube-apiserver", "etcd", "kube-controller-manager",
                  "kube-scheduler", "kwok")
AGGREGATED_NOTE = "n/a (aggregated API)"  # not in apiserver_request_total: kubernetes#96321
WINDOW_NOTE = "kube-apiserver /metrics, every client, cluster fixture set-up to teardown"
OUTCOME_TAGS = {"failure": "failed", "error": "error", "skipped": "skipped"}  # JUnit XML, first found wins


# --- loaded into the pytest run with `-p full_scale`: the fleet fixture's own window -------------------


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):  # noqa: ANN001, ANN201 - a pytest hook
    out = os.environ.get(PROBE_ENV)
    if not out or fixturedef.argname not in ("fleet", "cluster"):
        return (yield)
    if fixturedef.argname == "cluster":
        cluster = yield
        if os.environ.get(RUN_WINDOW_ENV):
            _record_run_window(cluster, request, out)
        return cluster
    cluster = request.getfixturevalue("cluster")  # the run's own client: on kwok the kubeconfig is made in here
    before = request_counts(cluster.metrics_text())
    fleet = yield
    delta = request_counts(cluster.metrics_text()) - before
    _append(out, {
        "kind": "fleet",
        "client_requests": fleet.requests,
        "ready_s": round(fleet.ready_s, 2),
        "namespaces": len(fleet.namespaces),
        "server_delta": [[*k, n] for k, n in sorted(delta.items())],
    })  # one line per fleet: a session makes one per mesh
    return fleet


def _record_run_window(cluster, request, out: str) -> None:  # noqa: ANN001 - the Cluster and a SubRequest
    """kwok: the control plane lives inside the pytest run, so the whole run's window is the cluster fixture's,
    from its set-up to the start of its teardown (a finalizer added now runs before the fixture's own)."""
    before = request_counts(cluster.metrics_text())

    def after() -> None:
        delta = request_counts(cluster.metrics_text()) - before
        _append(out, {"kind": "run", "server_delta": [[*k, n] for k, n in sorted(delta.items())]})

    request.addfinalizer(after)


def _append(out: str, record: dict) -> None:
    with open(out, "a") as f:
        f.write(json.dumps(record) + "\n")


# --- the pytest run, its RSS and its outcomes ------------------------------------------------------------


class PytestRun:
    """Runs pytest in the background; samples the VmHWM of it and of every process below it (on kwok the
    control plane); on timeout SIGINT (teardown runs), then SIGKILL."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path, label: str, timeout_s: float) -> None:
        self.argv, self.env, self.log, self.label, self.timeout_s = argv, env, log, label, timeout_s
        self.tree: TreeSampler | None = None
        self.interrupted_at: float | None = None

    def run(self) -> dict:
        with self.log.open("w") as out:
            self.start = time.monotonic()
            proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
            self.tree = TreeSampler(proc.pid)
            status, usage = self._wait(proc)
        return {
            "wall_s": round(time.monotonic() - self.start, 1),
            "exit_code": os.waitstatus_to_exitcode(status),
            "timed_out": self.interrupted_at is not None,
            "plugin_peak_rss_mib_vmhwm_sampled": _mib(self.tree.root_kib()),
            "plugin_peak_rss_mib_wait4_maxrss": _mib(usage.ru_maxrss),
            "process_peak_rss_mib_vmhwm_sampled": self.tree.by_name_mib(),
            "process_peak_rss_sum_mib": self.tree.total_mib(),
        }

    def _wait(self, proc: subprocess.Popen) -> tuple[int, os.struct_rusage]:
        try:
            return self._poll(proc)
        except KeyboardInterrupt:  # pytest got the same SIGINT (one process group): let its teardown finish
            say(self.label, f"interrupted: waiting up to {INTERRUPT_GRACE_S:g}s for pytest's teardown")
            try:
                proc.wait(INTERRUPT_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise

    def _poll(self, proc: subprocess.Popen) -> tuple[int, os.struct_rusage]:
        # wait4 on this one pid: RUSAGE_CHILDREN would mix in the sims this script started and reaped
        next_note = self.start + HEARTBEAT_S
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                return status, usage
            assert self.tree is not None
            self.tree.sample()
            self._enforce_timeout(proc)
            if time.monotonic() >= next_note:
                next_note += HEARTBEAT_S
                self._heartbeat()
            time.sleep(1.0)

    def _enforce_timeout(self, proc: subprocess.Popen) -> None:
        now = time.monotonic()
        if self.interrupted_at is None and now - self.start > self.timeout_s:
            say(self.label, f"pytest over --timeout {self.timeout_s:g}s: SIGINT (its teardown still runs)")
            self.interrupted_at = now
            proc.send_signal(signal.SIGINT)
        elif self.interrupted_at is not None and now - self.interrupted_at > INTERRUPT_GRACE_S:
            proc.kill()

    def _heartbeat(self) -> None:
        minutes, seconds = divmod(int(time.monotonic() - self.start), 60)
        peak = _mib(self.tree.root_kib()) if self.tree else None
        say(self.label, f"pytest {minutes}m{seconds:02d}s, peak RSS {peak} MiB; {last_line(self.log)}")


def last_line(log: Path) -> str:
    with log.open("rb") as f:
        f.seek(max(0, f.seek(0, os.SEEK_END) - 4000))
        lines = [x for x in f.read().decode(errors="replace").splitlines() if x.strip()]
    return lines[-1][:160] if lines else "(no output yet)"


def outcomes(junit: Path) -> dict[str, dict]:
    """Per test: outcome, seconds and the first line of the failure, error or skip message (JUnit XML)."""
    if not junit.exists():
        return {}
    tests = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.get("name") is None:  # the nameless entry pytest writes for an interrupted session
            continue
        found = next((e for e in map(case.find, OUTCOME_TAGS) if e is not None), None)
        text = "" if found is None else (found.get("message") or found.text or "")
        tests[f"{case.get('classname')}::{case.get('name')}"] = {
            "outcome": "passed" if found is None else OUTCOME_TAGS[found.tag],
            "time_s": float(case.get("time") or 0),
            "message": " ".join(text.strip().splitlines())[:300],
        }
    return tests


def summary_line(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return next((x.strip("= ") for x in reversed(lines) if re.match(r"^=+ .* in [\d.]+s", x)), "(no summary line)")


# --- API figures from /metrics ---------------------------------------------------------------------------


def count(delta: Counter[RequestKey], verb: str, resource: str, subresource: str = "") -> int:
    return sum(n for (v, r, s, _), n in delta.items() if (v, r, s) == (verb, resource, subresource))


def watches(delta: Counter[RequestKey]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for (v, r, _, _), n in delta.items():
        if v == "watch":
            out[r] += n
    return dict(out)


def fleet_by_category(delta: Counter[RequestKey], namespaces: int) -> dict:
    creates = {r: count(delta, "create", r) for r in FLEET_CREATES}
    lists, watch = count(delta, "list", "deployments.apps"), count(delta, "watch", "deployments.apps")
    total = sum(creates.values()) + lists + watch
    return {
        "creates": creates,
        "list_deployments": lists,
        "watch_deployments": watch,
        "total": total,
        "per_namespace": round(total / namespaces, 2),
    }


def fleet_window(records: list[dict], namespaces: int) -> dict | None:
    """The plugin-side probe's record: server-side delta around the fleet fixture, without its own scrapes."""
    if not records:
        return None
    rec = records[-1]
    delta = Counter({tuple(row[:4]): row[4] for row in rec["server_delta"] if row[1] != "nonresource"})
    total = sum(delta.values())
    return {
        "server_requests": total,
        "per_namespace": round(total / namespaces, 2),
        "client_requests_fleet_requests": rec["client_requests"],
        "ready_s": rec["ready_s"],
        "list_pods": count(delta, "list", "pods"),
        "watches": watches(delta),
        "by_verb_resource": table(delta),
        "fleets_recorded": len(records),
        "plugin_kinds": fleet_by_category(delta, namespaces),  # on kwok the window also holds other clients'
    }


def table(delta: Counter[RequestKey]) -> list[dict]:
    """Rows by verb/resource/subresource, codes kept apart, biggest first."""
    rows: dict[tuple[str, str, str], Counter[str]] = {}
    for (v, r, s, code), n in delta.items():
        rows.setdefault((v, r, s), Counter())[code] += n
    out = [
        {"verb": v, "resource": f"{r}/{s}" if s else r, "count": sum(c.values()), "codes": dict(sorted(c.items()))}
        for (v, r, s), c in rows.items()
    ]
    return sorted(out, key=lambda row: (-row["count"], row["verb"], row["resource"]))


def api_figures(delta: Counter[RequestKey], namespaces: int, probe: list[dict]) -> dict:
    return {
        "fleet_setup": fleet_window(probe, namespaces),
        "fleet_by_category_whole_run": fleet_by_category(delta, namespaces),
        "whole_run": {
            "requests": sum(delta.values()),
            "errors_5xx": sum(n for k, n in delta.items() if k[3].startswith("5")),
            "list_pods": count(delta, "list", "pods"),
            "list_pod_metrics": count(delta, "list", "pods.metrics.k8s.io"),
            "watches": watches(delta),
            "by_verb_resource": table(delta),
        },
    }


# --- one mesh --------------------------------------------------------------------------------------------


def say(label: str, text: str) -> None:
    print(f"[{label}] {text}", flush=True)


def _mib(kib: int | None) -> float | None:
    return None if kib is None else round(kib / 1024, 1)


def suite_argv(args: argparse.Namespace, mesh: str, files: dict[str, Path], sim: SimProcess | None) -> list[str]:
    """sim: the running sim as an existing cluster; kwok: the plugin starts the real control plane itself."""
    if sim is None:
        cluster = ["--mesh-cluster=kwok"]
    else:
        context = yaml.safe_load(sim.kubeconfig.read_text())["current-context"]
        cluster = ["--mesh-cluster=existing", "--mesh-kubeconfig", str(sim.kubeconfig), "--mesh-context", context]
    return [
        *(sys.executable, "-m", "pytest", *args.suites, f"--mesh={mesh}", f"--scale={args.scale}", *cluster),
        *("--mesh-results-dir", str(files["results"]), "--junitxml", str(files["junit"])),
        *("-p", "full_scale", "-p", "no:cacheprovider", "-rA", *args.pytest_arg),
    ]


def run_files(log_dir: Path, mesh: str, scale: str) -> dict[str, Path]:
    stem = f"{mesh}-{Path(scale).stem}"
    files = {
        "log": log_dir / f"pytest-{stem}.log",
        "junit": log_dir / f"junit-{stem}.xml",
        "probe": log_dir / f"fleet-{stem}.jsonl",
        "results": log_dir / f"results-{stem}",
    }
    for path in (files["junit"], files["probe"]):
        path.unlink(missing_ok=True)  # a stale file from an earlier run must not be read as this run's
    return files


def run_mesh(args: argparse.Namespace, mesh: str, namespaces: int) -> dict:
    files = run_files(args.log_dir, mesh, args.scale)
    out: dict = {"mesh": mesh, "cluster": CLUSTER_LABELS[args.backend], "backend": args.backend,
                 "scale": args.scale, "namespaces": namespaces}
    env = {**os.environ, PROBE_ENV: str(files["probe"])}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), env.get("PYTHONPATH")]))
    if args.backend == "kwok":
        out |= run_pytest(args, mesh, files, env | {RUN_WINDOW_ENV: "1"}, None)
    else:
        out |= run_on_sim(args, mesh, files, env)
    probe = [json.loads(x) for x in files["probe"].read_text().splitlines()] if files["probe"].exists() else []
    delta = out.pop("delta") if args.backend == "sim" else run_window(probe)
    out |= api_figures(delta, namespaces, [r for r in probe if r.get("kind", "fleet") == "fleet"])
    if args.backend == "kwok":  # proxied to the agent, they never reach kube-apiserver's own counter
        out["whole_run"]["list_pod_metrics"] = AGGREGATED_NOTE
    out["pytest_summary"], out["tests"] = summary_line(files["log"]), outcomes(files["junit"])
    out["log"] = str(files["log"])
    return out


def run_pytest(args: argparse.Namespace, mesh: str, files: dict[str, Path], env: dict[str, str],
               sim: SimProcess | None) -> dict:
    argv = suite_argv(args, mesh, files, sim)
    say(mesh, f"pytest log: {files['log']}")
    return {"pytest_command": " ".join(argv)} | PytestRun(argv, env, files["log"], mesh, args.timeout).run()


def run_on_sim(args: argparse.Namespace, mesh: str, files: dict[str, Path], env: dict[str, str]) -> dict:
    """The sim's /metrics is read from here, before and after pytest: the whole run, teardown included."""
    sim = SimProcess(mesh=mesh, scale=args.scale)
    say(mesh, f"starting the SIMULATED cluster (scale {args.scale}) ...")
    t0 = time.monotonic()
    sim.start(timeout=args.sim_timeout)
    out: dict = {"sim_ready_s": round(time.monotonic() - t0, 1)}
    try:
        before = request_counts(metrics_text(sim.kubeconfig))
        say(mesh, f"sim ready in {out['sim_ready_s']} s")
        out |= run_pytest(args, mesh, files, env, sim)
        out["delta"] = request_counts(metrics_text(sim.kubeconfig)) - before
        out["sim_peak_rss_mib_vmhwm"] = _mib(vm_hwm_kib(sim.pid))
    finally:
        sim.close()
    return out


def run_window(probe: list[dict]) -> Counter[RequestKey]:
    """kwok: the cluster fixture's window (the probe's `run` record); empty when the run never got a cluster."""
    rows = next((r["server_delta"] for r in reversed(probe) if r.get("kind") == "run"), [])
    return Counter({tuple(row[:4]): row[4] for row in rows})


# --- report ----------------------------------------------------------------------------------------------


def summary_rows(r: dict) -> list[tuple[str, object]]:
    fleet, cat, whole = r["fleet_setup"] or {}, r["fleet_by_category_whole_run"], r["whole_run"]
    head: list[tuple[str, object]] = [
        ("pytest wall time, s (target < 900)", r["wall_s"]),
        ("pytest exit code / timed out", f"{r['exit_code']} / {r['timed_out']}"),
    ]
    if r.get("backend") == "kwok":
        watch = ("whole run: WATCH, all clients (JSON by resource)", sum(whole["watches"].values()))
        return head + kwok_rows(r, fleet) + api_rows(fleet, cat, whole)[:-1] + [watch, ("tests", r["pytest_summary"])]
    return head + [
        ("plugin peak RSS MiB (VmHWM, sampled 1 s)", r["plugin_peak_rss_mib_vmhwm_sampled"]),
        ("plugin peak RSS MiB (wait4 ru_maxrss)", r["plugin_peak_rss_mib_wait4_maxrss"]),
        ("sim peak RSS MiB (VmHWM, own process)", r["sim_peak_rss_mib_vmhwm"]),
        ("sim start-up, s", r["sim_ready_s"]),
        ("fleet ready, s (Fleet.ready_s)", fleet.get("ready_s")),
        ("fleet set-up requests (server, fixture window)", fleet.get("server_requests")),
        ("  per namespace (target <= 10)", fleet.get("per_namespace")),
    ] + api_rows(fleet, cat, whole) + [("tests", r["pytest_summary"])]


def kwok_rows(r: dict, fleet: dict) -> list[tuple[str, object]]:
    """Every process of the run by name (the control plane's are pytest's descendants), then the fleet window,
    where kube-apiserver's counters hold every client's requests (controllers, scheduler, kwok, the agent)."""
    rss = dict(r["process_peak_rss_mib_vmhwm_sampled"])
    rows: list[tuple[str, object]] = [(f"peak RSS MiB: {name}", rss.pop(name, None)) for name in KWOK_PROCESSES]
    return rows + [
        ("peak RSS MiB: other processes", _counts(rss)),
        ("peak RSS MiB: sum of the peaks", r["process_peak_rss_sum_mib"]),
        ("wait4 ru_maxrss MiB (max over the tree)", r["plugin_peak_rss_mib_wait4_maxrss"]),
        ("fleet ready, s (Fleet.ready_s)", fleet.get("ready_s")),
        ("fleet set-up requests, all clients", fleet.get("server_requests")),
        ("  per namespace, all clients", fleet.get("per_namespace")),
        ("  plugin's kinds per ns (target <= 10)", (fleet.get("plugin_kinds") or {}).get("per_namespace")),
    ]


def api_rows(fleet: dict, cat: dict, whole: dict) -> list[tuple[str, object]]:
    return [
        ("fleet set-up requests (client, Fleet.requests)", fleet.get("client_requests_fleet_requests")),
        ("  LIST pods / WATCH in fleet set-up", f"{fleet.get('list_pods')} / {_counts(fleet.get('watches'))}"),
        ("fleet categories over whole run, per ns", cat["per_namespace"]),
        ("whole run: requests / 5xx", f"{whole['requests']} / {whole['errors_5xx']}"),
        ("whole run: LIST pods / LIST PodMetrics", f"{whole['list_pods']} / {whole.get('list_pod_metrics')}"),
        ("whole run: WATCH by resource", _counts(whole["watches"])),
    ]


def _counts(counts: dict[str, int] | None) -> str:
    return "-" if counts is None else (", ".join(f"{k} {n}" for k, n in counts.items()) or "none")


def print_details(r: dict) -> None:
    """One mesh, as soon as its run ends: figures, each test's outcome, every API request by verb/resource."""
    where = "SIMULATED cluster" if r.get("backend", "sim") == "sim" else r["cluster"]
    print(f"\n--- {r['mesh']} ({where}, --scale {r['scale']}, {r['namespaces']} namespaces) ---")
    for name, value in summary_rows(r):
        print(f"  {name:<48} {value}")
    for name, t in r["tests"].items():
        print(f"  {t['outcome']:<8} {t['time_s']:>7.1f} s  {name}  {t['message'][:140]}")
    source = "sim /metrics delta" if r.get("backend", "sim") == "sim" else WINDOW_NOTE
    print(f"  API requests the run made ({source}), verb resource count codes:")
    for row in r["whole_run"]["by_verb_resource"]:
        print(f"    {row['verb']:<17} {row['resource']:<40} {row['count']:>8}  {row['codes']}")


LONG_CELL = 40  # wider cells (the watches by resource) go under the table, one line per mesh


def print_summary(results: list[dict], scale: str, backend: str) -> None:
    """The meshes side by side; a row with a long cell is listed under the table instead of widening a column
    (the fleet's WATCH list, 2,500 characters at full scale on kwok, once pushed the second mesh off screen)."""
    print(f"\n=== {SUMMARY_TITLES[backend].format(scale=scale)} ===")
    names = [name for name, _ in summary_rows(results[0])]
    columns = [[str(v) for _, v in summary_rows(r)] for r in results]
    long = {i for i in range(len(names)) if any(len(col[i]) > LONG_CELL for col in columns)}
    widths = [max(len(r["mesh"]), *(len(c) for i, c in enumerate(col) if i not in long))
              for r, col in zip(results, columns, strict=True)]
    print(f"  {'figure':<48} " + "  ".join(f"{r['mesh']:>{w}}" for r, w in zip(results, widths, strict=True)))
    for i, name in enumerate(names):
        if i not in long:
            print(f"  {name:<48} " + "  ".join(f"{col[i]:>{w}}" for col, w in zip(columns, widths, strict=True)))
    for i in sorted(long):
        print(f"  {names[i]}:")
        for r, col in zip(results, columns, strict=True):
            print(f"    {r['mesh']}: {col[i]}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mesh", default="cilium,istio-ambient", help="comma list, run one after the other")
    p.add_argument("--backend", choices=sorted(CLUSTER_LABELS), default="sim",
                   help="sim: a `meshscale sim up` per mesh as an existing cluster; kwok: --mesh-cluster=kwok, the "
                        "plugin starts the real control plane (data plane SIMULATED)")
    p.add_argument("--scale", default="full", help="smoke, pr, full or a profile YAML")
    p.add_argument("--suites", nargs="+", default=["tests/scale"])
    p.add_argument("--json", type=Path, help="write the figures as JSON here")
    p.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()) / "meshscale-full-scale")
    p.add_argument("--timeout", type=float, default=3600.0, help="per pytest run, seconds (then SIGINT)")
    p.add_argument("--sim-timeout", type=float, default=600.0, help="sim start-up, seconds")
    p.add_argument("--pytest-arg", action="append", default=[], help="passed on to pytest (repeatable)")
    args = p.parse_args(argv)
    args.meshes = [m.strip() for m in args.mesh.split(",") if m.strip()]
    bad = [m for m in args.meshes if m not in MESHES]
    if bad or not args.meshes:
        p.error(f"--mesh: unknown mesh {bad or args.mesh!r}; accepted: a comma list of {', '.join(MESHES)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Started with `nohup ... &`, this process ignores SIGINT and so would pytest (ignored signals survive
    # exec): catching it here makes it default again in pytest, so --timeout's SIGINT runs its teardown.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        namespaces = len(load_profile(args.scale).workload.namespace_names())
    except ProfileError as exc:
        print(f"full_scale: --scale {args.scale}: {exc}", file=sys.stderr)
        return 2
    args.log_dir.mkdir(parents=True, exist_ok=True)
    results, sim_errors = [], {}
    for mesh in args.meshes:
        try:
            results.append(run_mesh(args, mesh, namespaces))
        except SimStartError as exc:
            say(mesh, f"the simulated cluster did not start: {exc}")
            sim_errors[mesh] = str(exc)
            continue
        print_details(results[-1])
    if results:
        print_summary(results, args.scale, args.backend)
    report = {"cluster": CLUSTER_LABELS[args.backend], "backend": args.backend, "scale": args.scale,
              "suites": args.suites, "targets": TARGETS}
    report["sim_start_errors"] = sim_errors
    if args.json:
        args.json.write_text(json.dumps(report | {"meshes": results}, indent=2))
        print(f"\nJSON: {args.json}")
    return 0 if not sim_errors and all(r["exit_code"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
