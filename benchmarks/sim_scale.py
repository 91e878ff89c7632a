"""Scale benchmark of the simulated cluster (run: .venv/bin/python benchmarks/sim_scale.py [--scale full]).

Starts `meshscale sim up --mesh cilium --scale full` (with the data-plane agent, the default; `--no-agent`: the
in-process data plane) as a subprocess and creates the seed's fleet through
the API with the official client, the way the plugin will (per namespace: Deployment `loadservice`
with N replicas, its Service, and a 1-replica fortio client Deployment on the client pool), then measures:
- seconds until every Deployment is Available (watching Deployments; needs the sim's controllers),
- pods created per second (pod ADDED events seen on a watch),
- the sim process's peak RSS (VmHWM),
- `kubectl get pods -A` wall time on the full cluster,
- the in-process Store create rate.
When no controller creates pods, it says so and creates the pods itself through the API (labelled
`meshscale.io/benchmark-filler`) so the kubectl and RSS figures still describe a full-size cluster.
Targets: Available < 60 s, >= 2,000 pods/s, RSS < 3 GiB, kubectl get pods -A < 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kubernetes import client, config, watch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sim_api import connection, vm_hwm_gib  # noqa: E402

from pytest_meshscale.data.profiles import load_profile  # noqa: E402
from pytest_meshscale.sim.agent_switch import agent_on  # noqa: E402
from pytest_meshscale.sim.process import SimProcess  # noqa: E402
from pytest_meshscale.sim.store import Store  # noqa: E402

TARGETS = {"available_s": 60.0, "pods_per_s": 2000.0, "rss_gib": 3.0, "kubectl_get_pods_s": 10.0}


def deployment(name: str, replicas: int, labels: dict[str, str], client_pool: bool) -> dict:
    spec: dict = {
        "containers": [
            {
                "name": name,
                "image": "fortio/fortio:1.69.0",
                "ports": [{"containerPort": 8080}],
                "args": ["server"],
            }
        ]
    }
    if client_pool:
        spec["nodeSelector"] = {"size": "large"}
        spec["tolerations"] = [{"key": "client", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def create_namespace(api: client.ApiClient, ns: str, replicas: int) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.create_namespace({"metadata": {"name": ns, "labels": {"meshscale.io/run": "bench"}}})
    apps.create_namespaced_deployment(ns, deployment("loadservice", replicas, {"app": "loadservice"}, False))
    core.create_namespaced_service(
        ns,
        {
            "metadata": {"name": "loadservice"},
            "spec": {"selector": {"app": "loadservice"}, "ports": [{"port": 8080}]},
        },
    )
    apps.create_namespaced_deployment(ns, deployment("fortio-client-deployment", 1, {"app": "fortio-client"}, True))


class Counters:
    """Deployments Available and pod ADDED times, fed by two watches."""

    def __init__(self) -> None:
        self.available: set[tuple[str, str]] = set()
        self.pod_samples: list[tuple[float, int]] = []
        self.all_available = threading.Event()
        self.expected = 0
        self.namespaces: set[str] = set()  # only the fleet counts, not the mesh's own Deployments
        self.status_seen = False


def quietly(fn):  # noqa: ANN001, ANN201 - the watch threads die with the sim at the end: not an error
    def run(*args):  # noqa: ANN002, ANN202
        try:
            fn(*args)
        except Exception:  # noqa: BLE001
            if not args[-1].is_set():
                raise

    return run


@quietly
def watch_deployments(api: client.ApiClient, c: Counters, stop: threading.Event) -> None:
    apps = client.AppsV1Api(api)
    while not stop.is_set():
        for ev in watch.Watch().stream(apps.list_deployment_for_all_namespaces, timeout_seconds=5):
            d = ev["object"]
            if d.status and (d.status.observed_generation or d.status.replicas):
                c.status_seen = True
            conds = (d.status.conditions if d.status else None) or []
            if any(x.type == "Available" and x.status == "True" for x in conds):
                if d.metadata.namespace in c.namespaces:
                    c.available.add((d.metadata.namespace, d.metadata.name))
            if c.expected and len(c.available) >= c.expected:
                c.all_available.set()
            if stop.is_set():
                return


@quietly
def count_pods(sim: SimProcess, c: Counters, stop: threading.Event) -> None:
    """Sample the server's own pod count (/metrics apiserver_storage_objects) every 0.25 s: a client-side
    pod watch would measure the Python client's decoding speed instead of the sim's creation rate."""
    conn, headers = connection(sim.kubeconfig)
    while not stop.wait(0.25):
        conn.request("GET", "/metrics", headers=headers)
        text = conn.getresponse().read().decode()
        line = next((x for x in text.splitlines() if x.startswith('apiserver_storage_objects{resource="pods"}')), "")
        c.pod_samples.append((time.monotonic(), int(line.split()[-1]) if line else 0))


def pods_per_s(samples: list[tuple[float, int]]) -> tuple[int, float | None]:
    """(final pod count, creation rate from the first sample with pods to the first at the final count)."""
    final = max((n for _, n in samples), default=0)
    growing = [(t, n) for t, n in samples if n > 0]
    if final < 2 or not growing:
        return final, None
    t_end = next(t for t, n in growing if n == final)
    t0, n0 = growing[0]
    return final, (final - n0) / (t_end - t0) if t_end > t0 else None


def fill_pods(sim: SimProcess, namespaces: list[str], per_ns: int) -> float:
    """No controller made pods: create them directly (lean keep-alive HTTPS, not the slower official
    client) so the cluster is full size for the kubectl and RSS figures. Returns pods/s over HTTP."""

    def one_worker(chunk: list[str]) -> None:
        conn, headers = connection(sim.kubeconfig)
        for ns in chunk:
            for i in range(per_ns):
                pod = {
                    "metadata": {
                        "name": f"loadservice-filler-{i}",
                        "labels": {"app": "loadservice", "meshscale.io/benchmark-filler": "true"},
                    },
                    "spec": {"containers": [{"name": "s", "image": "fortio/fortio"}]},
                }
                conn.request("POST", f"/api/v1/namespaces/{ns}/pods", json.dumps(pod), headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 201:
                    raise RuntimeError(f"filler pod create answered {resp.status}")

    start = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one_worker, [namespaces[0::2], namespaces[1::2]]))
    return len(namespaces) * per_ns / (time.monotonic() - start)


def store_create_rate(n: int = 52_000) -> float:
    s = Store()
    s.create("namespaces", {"metadata": {"name": "a"}})
    s.subscribe(lambda *_: None)
    start = time.perf_counter()
    for i in range(n):
        s.create(
            "pods",
            {
                "metadata": {"name": f"p{i}", "namespace": "a", "labels": {"app": "loadservice"}},
                "spec": {"nodeName": f"n{i % 900}", "containers": [{"name": "c", "image": "fortio"}]},
                "status": {"phase": "Pending"},
            },
        )
    return n / (time.perf_counter() - start)


def run_fleet(sim: SimProcess, namespaces: list[str], replicas: int, timeout: float) -> dict:
    """Create the fleet through the API and wait for Available; fill pods if no controller made any."""
    api = config.new_client_from_config(config_file=str(sim.kubeconfig))
    c, stop, out = Counters(), threading.Event(), {}
    c.expected, c.namespaces = 2 * len(namespaces), set(namespaces)
    threading.Thread(target=watch_deployments, args=(api, c, stop), daemon=True).start()
    threading.Thread(target=count_pods, args=(sim, c, stop), daemon=True).start()
    time.sleep(1)
    start = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda ns: create_namespace(api, ns, replicas), namespaces))
    out["fleet_created_s"] = round(time.monotonic() - start, 2)
    c.all_available.wait(15)  # without a Deployment controller nothing ever reports status
    if not c.all_available.is_set() and c.status_seen:
        c.all_available.wait(timeout)
    out["deployments_available"] = f"{len(c.available)}/{c.expected}"
    out["available_s"] = round(time.monotonic() - start, 2) if c.all_available.is_set() else None
    time.sleep(0.5)
    stop.set()
    count, rate = pods_per_s(c.pod_samples)
    out["pods_created_by_controllers"] = count
    out["pods_per_s"] = round(rate, 1) if rate else None
    if count == 0:
        out["pods_per_s_via_api_filler"] = round(fill_pods(sim, namespaces, replicas), 1)
    return out


def kubectl_get_pods(sim: SimProcess) -> dict:
    env = {**os.environ, "KUBECONFIG": str(sim.kubeconfig)}
    kubectl = str(Path(sys.executable).parent / "kubectl")
    start = time.monotonic()
    done = subprocess.run([kubectl, "get", "pods", "-A"], env=env, capture_output=True, text=True, timeout=300)
    return {
        "kubectl_get_pods_s": round(time.monotonic() - start, 2),
        "kubectl_rows": max(0, done.stdout.count("\n") - 1),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", default="full")
    p.add_argument("--available-timeout", type=float, default=180.0)
    p.add_argument("--out", type=Path, help="write the results as JSON here too")
    p.add_argument("--agent", action=argparse.BooleanOptionalAction, default=None,
                   help="the sim's data plane: the agent (default, or env MESHSCALE_SIM_AGENT) or in-process")
    args = p.parse_args()
    profile = load_profile(args.scale)
    namespaces, replicas = profile.workload.namespace_names(), profile.workload.pods_per_service
    results: dict = {
        "profile": profile.name,
        "nodes": profile.node_count,
        "namespaces": len(namespaces),
        "store_creates_per_s": round(store_create_rate(), 1),
        "data_plane": "agent" if agent_on(args.agent) else "in-process",
    }
    sim = SimProcess(mesh="cilium", scale=args.scale, agent=args.agent)
    t0 = time.monotonic()
    sim.start(timeout=300)
    results["sim_ready_s"] = round(time.monotonic() - t0, 2)
    with sim:
        results |= run_fleet(sim, namespaces, replicas, args.available_timeout)
        results |= kubectl_get_pods(sim)
        results["sim_peak_rss_gib"] = round(vm_hwm_gib(sim.pid), 3)
    results["targets"] = TARGETS
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
