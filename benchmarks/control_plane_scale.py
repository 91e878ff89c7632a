"""The seed's fleet on the real control plane (`--mesh-cluster=kwok`) and on the embedded sim, side by side.

Run: .venv/bin/python benchmarks/control_plane_scale.py [--scale full] [--mesh cilium] [--backend kwok,sim]

For each backend it starts the cluster with the profile's nodes and the mesh's components (as a run does),
then creates the profile's fleet with the plugin's own code (scenario.fleet.create_fleet: waves, client-side
rate limit, a watch for Deployments Available) and reports:
- the binaries: `build()` time now (a no-op when cached; `--cold-cache DIR` builds into an empty cache and
  times the cold build, ~10 minutes and ~6 GB on 2 cores);
- start: from launch to every node Ready (the launcher's ready line);
- fleet: from the first create to every Deployment Available, the pods that took, pods per second;
- peak RSS (VmHWM) of each process of the backend (kube-apiserver, etcd, kube-controller-manager,
  kube-scheduler, kwok and the `up` supervisor, named `meshscale control-plane up`; or the sim), and their sum
  (benchmarks/proc_tree.py, shared with full_scale.py);
- the plugin's requests: client side (the cluster layer's own counter) and server side (the API server's
  /metrics, apiserver_request_total before and after the fleet): creates of the fleet's kinds and LIST/WATCH
  of Deployments, per namespace. The real API server's counters do not say which client asked; the creates
  of Namespaces, Deployments, Services and ServiceAccounts are the plugin's alone (controllers create
  ReplicaSets, Pods, EndpointSlices and Events), and the Deployment LIST/WATCH are said as "any client".
Goal (issue 11) for kwok at full scale on 2 cores: everything Available within 10 minutes, all control-plane
processes together at most 8 GiB. Numbers of the sim are the sim's; only the kwok column is a real
kube-apiserver's behaviour (with a simulated data plane: the pods run nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from proc_tree import peak_rss_mib  # noqa: E402
from sim_api import request_counts  # noqa: E402

from pytest_meshscale.cluster.kube import KubeCluster  # noqa: E402
from pytest_meshscale.cluster.ratelimit import RateLimit  # noqa: E402
from pytest_meshscale.data.profiles import load_profile  # noqa: E402
from pytest_meshscale.meshes import driver_for  # noqa: E402
from pytest_meshscale.scenario.api_pressure import REAL_VERBS  # noqa: E402
from pytest_meshscale.scenario.fleet import create_fleet  # noqa: E402
from pytest_meshscale.sim.control_plane import build  # noqa: E402
from pytest_meshscale.sim.control_plane.launcher import ControlPlaneProcess  # noqa: E402
from pytest_meshscale.sim.process import SimProcess  # noqa: E402

GOAL_AVAILABLE_S = 600.0
GOAL_RSS_GIB = 8.0
FLEET_KINDS = {"namespaces", "deployments", "services", "serviceaccounts"}  # resource plural names


def say(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


def request_totals(cluster: KubeCluster) -> Counter[tuple[str, str, str]]:
    """apiserver_request_total by (VERB, resource, subresource) from the server's /metrics, verbs as
    kube-apiserver names them (POST, LIST ...) on both backends, the resource without its group."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for (verb, resource, sub, _), n in request_counts(cluster.metrics_text()).items():
        counts[(REAL_VERBS.get(verb, verb.upper()), resource.split(".")[0], sub)] += n
    return counts


@contextmanager
def started(backend: str, mesh: str, scale: str, bin_dir: Path) -> Iterator[tuple[Path, int]]:
    if backend == "kwok":
        plane = ControlPlaneProcess(mesh, scale, bin_dir, progress=say)
        try:
            plane.start(timeout=1200)
            yield plane.kubeconfig, plane.pid
        finally:
            plane.close()
    else:
        with SimProcess(mesh=mesh, scale=scale, kubeconfig=Path(f"/tmp/cp-bench-{uuid.uuid4().hex[:6]}.kc")) as sim:
            assert sim.proc is not None
            yield sim.kubeconfig, sim.proc.pid


def fleet_requests(delta: Counter[tuple[str, str, str]], namespaces: int) -> dict:
    creates = {r: n for (v, r, s), n in delta.items() if v == "POST" and r in FLEET_KINDS and not s}
    writes_other = {f"{v} {r}": n for (v, r, s), n in delta.items()
                    if v in ("PATCH", "APPLY") and r in FLEET_KINDS and not s}
    lists = sum(n for (v, r, _), n in delta.items() if v == "LIST" and r == "deployments")
    watches = sum(n for (v, r, _), n in delta.items() if v == "WATCH" and r == "deployments")
    total = sum(creates.values()) + sum(writes_other.values()) + lists + watches
    return {"creates": creates, "patches": writes_other, "list_deployments_any_client": lists,
            "watch_deployments_any_client": watches, "per_namespace": round(total / namespaces, 2)}


def run_backend(backend: str, mesh: str, scale: str, bin_dir: Path) -> dict:
    profile = load_profile(scale)
    say(f"{backend}: starting with {profile.node_count} nodes ({mesh}, {scale})")
    t0 = time.monotonic()
    with started(backend, mesh, scale, bin_dir) as (kubeconfig, pid):
        start_s = time.monotonic() - t0
        say(f"{backend}: every node Ready after {start_s:.1f} s")
        run_id = f"cpbench-{uuid.uuid4().hex[:6]}"
        rate = RateLimit.from_creation(profile.creation)
        cluster = KubeCluster(str(kubeconfig), None, run_id, "existing", f"bench-{backend}", rate)
        try:
            before = request_totals(cluster)
            fleet = create_fleet(cluster, profile, driver_for(mesh).namespace_labels(), run_id, run_id[-6:])
            delta = request_totals(cluster) - before
            pods = [p for p in cluster.list("v1", "Pod") if p["metadata"]["namespace"] in set(fleet.namespaces)]
            running = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Running")
            rss = peak_rss_mib(pid)
        finally:
            cluster.close()
    namespaces = len(fleet.namespaces)
    result = {
        "backend": backend, "mesh": mesh, "scale": scale, "nodes": profile.node_count,
        "start_to_nodes_ready_s": round(start_s, 1), "namespaces": namespaces,
        "fleet_available_s": round(fleet.ready_s, 1), "fleet_pods": len(pods), "fleet_pods_running": running,
        "pods_per_s": round(len(pods) / fleet.ready_s, 1) if fleet.ready_s else None,
        "peak_rss_mib": rss, "peak_rss_total_gib": round(sum(rss.values()) / 1024, 2),
        "client_requests_per_namespace": round(fleet.requests / namespaces, 2),
        "server_requests": fleet_requests(delta, namespaces),
    }
    say(f"{backend}: fleet of {len(pods)} pods Available in {fleet.ready_s:.1f} s; peak RSS "
        f"{result['peak_rss_total_gib']} GiB")
    return result


def timed_build(cold_cache: Path | None) -> dict:
    start = time.monotonic()
    bin_dir = build.build(cold_cache, progress=say)
    took = time.monotonic() - start
    size = sum(p.stat().st_size for p in bin_dir.iterdir()) / 2**20
    return {"bin_dir": str(bin_dir), "build_s": round(took, 1), "cold": cold_cache is not None,
            "binaries_mib": round(size, 1)}


def print_table(builds: dict, results: list[dict]) -> None:
    rows: list[tuple[str, Callable[[dict], object]]] = [
        ("nodes", lambda r: r["nodes"]),
        ("start to every node Ready (s)", lambda r: r["start_to_nodes_ready_s"]),
        ("fleet: namespaces / pods", lambda r: f"{r['namespaces']} / {r['fleet_pods']}"),
        ("fleet: first create to all Available (s)", lambda r: r["fleet_available_s"]),
        ("pods per second", lambda r: r["pods_per_s"]),
        ("peak RSS total (GiB)", lambda r: r["peak_rss_total_gib"]),
        ("peak RSS per process (MiB)", lambda r: ", ".join(f"{k} {v:.0f}" for k, v in r["peak_rss_mib"].items())),
        ("plugin requests / namespace (client)", lambda r: r["client_requests_per_namespace"]),
        ("fleet requests / namespace (server /metrics)", lambda r: r["server_requests"]["per_namespace"]),
    ]
    print(f"\nbinaries: {builds['bin_dir']} ({builds['binaries_mib']} MiB); build() took {builds['build_s']} s "
          f"({'cold' if builds['cold'] else 'cached'})")
    print("| figure | " + " | ".join(r["backend"] for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for name, get in rows:
        print(f"| {name} | " + " | ".join(str(get(r)) for r in results) + " |")
    for r in results:
        if r["backend"] == "kwok":
            ok_t, ok_m = r["fleet_available_s"] <= GOAL_AVAILABLE_S, r["peak_rss_total_gib"] <= GOAL_RSS_GIB
            print(f"kwok goal: Available <= {GOAL_AVAILABLE_S:.0f} s: {'met' if ok_t else 'MISSED'}; "
                  f"all processes <= {GOAL_RSS_GIB:g} GiB: {'met' if ok_m else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="full")
    ap.add_argument("--mesh", default="cilium")
    ap.add_argument("--backend", default="kwok,sim", help="comma list of kwok, sim")
    ap.add_argument("--cold-cache", type=Path, help="build into this (empty) cache root and time the cold build")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    builds = timed_build(args.cold_cache)
    results = [run_backend(b.strip(), args.mesh, args.scale, Path(builds["bin_dir"]))
               for b in args.backend.split(",") if b.strip()]
    print_table(builds, results)
    if args.json:
        args.json.write_text(json.dumps({"build": builds, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
