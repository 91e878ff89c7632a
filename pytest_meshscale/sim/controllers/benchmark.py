"""Measure the controllers in-process: create a profile's whole workload at once and time how long
until every pod is Ready and every Deployment Available (no HTTP; the store is written directly).

    python -m pytest_meshscale.sim.controllers.benchmark --scale full [--mesh istio-ambient]

Prints one line of figures. The numbers describe this simulator on this machine, nothing else.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping

import yaml

from ...model import Profile, parse_profile
from ..faults import Faults
from ..server.bootstrap import seed_store
from ..store import Store
from .timing import TIMING_FILE

__all__ = ["main", "seed_workload"]


def _deployment(ns: str, name: str, app: str, replicas: int, spec_extra: Mapping[str, object]) -> dict[str, object]:
    container = {"name": "main", "image": "fortio/fortio:latest", "ports": [{"containerPort": 8080}],
                 "resources": {"requests": {"cpu": "50m"}}}
    return {"metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                     "template": {"metadata": {"labels": {"app": app}},
                                  "spec": {"containers": [container], **spec_extra}}}}


def seed_workload(store: Store, profile: Profile) -> int:
    """The seed's shape per namespace: loadservice x pods_per_service, one fortio client, a Service."""
    client = profile.pool("client")
    placement = {"nodeSelector": dict(client.labels),
                 "tolerations": [{"key": t.key, "operator": "Exists", "effect": t.effect} for t in client.taints]}
    w = profile.workload
    for ns in w.namespace_names():
        store.create("namespaces", {"metadata": {"name": ns}})
        store.create("services", {"metadata": {"name": "loadservice", "namespace": ns},
                                  "spec": {"selector": {"app": "loadservice"},
                                           "ports": [{"name": "http-web", "port": 8080}]}})
        store.create("deployments.apps", _deployment(ns, "loadservice", "loadservice", w.pods_per_service, {}))
        store.create("deployments.apps", _deployment(ns, "fortio-client-deployment", "fortio-client",
                                                      w.clients_per_namespace, placement))
    return w.namespaces * (w.pods_per_service + w.clients_per_namespace)


def _deployments_ready(store: Store) -> bool:
    """Every Deployment reports all replicas ready (cheap to poll: 1,000 objects, not 50,000 pods)."""
    return all((d.get("status") or {}).get("readyReplicas", 0) == d["spec"].get("replicas", 1)
               for d in store.list("deployments.apps")[0])


def _ready_pods(store: Store) -> tuple[int, int]:
    pods = store.list("pods")[0]
    ready = sum(any(c.get("type") == "Ready" and c.get("status") == "True"
                    for c in (p.get("status") or {}).get("conditions") or []) for p in pods)
    return ready, len(pods)


def _profile(scale: str) -> Profile:
    path = TIMING_FILE.parent.parent / "profiles" / f"{scale}.yaml"
    return parse_profile(yaml.safe_load(path.read_text()), str(path))


def main(argv: list[str] | None = None) -> int:
    from ..world import build_world

    p = argparse.ArgumentParser(prog="python -m pytest_meshscale.sim.controllers.benchmark")
    p.add_argument("--scale", default="full", choices=("smoke", "pr", "full"))
    p.add_argument("--mesh", default="baseline")
    p.add_argument("--timeout", type=float, default=300)
    args = p.parse_args(argv)
    store = Store()
    seed_store(store)
    world = build_world(store, args.mesh, _profile(args.scale), Faults())
    t0 = time.monotonic()
    world.start()
    world.settle(args.timeout)
    t1 = time.monotonic()
    wanted = seed_workload(store, world.profile)
    t2 = time.monotonic()
    while time.monotonic() - t2 < args.timeout and not _deployments_ready(store):
        time.sleep(0.2)
    t3 = time.monotonic()
    ready, total = _ready_pods(store)  # the Deployments' word, checked against the pods themselves
    world.stop()
    rate = wanted / max(t3 - t1, 1e-9)
    print(f"scale={args.scale} mesh={args.mesh} nodes+components={t1 - t0:.1f}s workload_objects={t2 - t1:.1f}s "
          f"all_ready={t3 - t2:.1f}s pods={total} ready={ready} workload_pods={wanted} "
          f"workload_pods_per_s={rate:.0f} writes={store.write_counts}")
    return 0 if ready == total >= wanted else 1


if __name__ == "__main__":
    raise SystemExit(main())
