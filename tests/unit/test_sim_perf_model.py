"""The performance model: capacity and Little's law, the blog's ratios, parameters file, usage under load."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_sim_dataplane_istio import ambient_world
from test_sim_images_fortio import runtime

from pytest_meshscale.sim.meshes import SIM_MESHES
from pytest_meshscale.sim.perf import Mix, PerfParamsError, RunSpec, Saturation, load_params, simulate_run

FULL = Saturation(backends=100, server_cores=900 * 8, concurrent_runs=500)  # the seed's scale


def seed_run(path: str, sat: Saturation = FULL, shares: dict[str, float] | None = None) -> dict[str, float]:
    res = simulate_run(
        load_params(), RunSpec(None, 128, 120, 0.75, 0.0001), Mix(path, shares or {"ok": 1.0}), sat, seed=1
    )
    out = res.durations.to_fortio([50, 99])
    return {"qps": res.actual_qps, "p99": out["Percentiles"][1]["Value"], "avg": out["Avg"], "n": res.count}


def test_saturated_closed_loop_obeys_littles_law() -> None:
    r = seed_run("ambient-l7")
    assert r["qps"] * r["avg"] == pytest.approx(128, rel=0.1)


def test_istio_l7_vs_cilium_l7_reproduces_the_blog_ratios() -> None:
    istio, cilium = seed_run("ambient-l7"), seed_run("cilium-l7")
    assert istio["qps"] / cilium["qps"] == pytest.approx(1.56, rel=0.02)  # "56% more queries"
    assert 0.7 < istio["p99"] / cilium["p99"] < 0.9  # "20% lower tail latency"


def test_timeouts_slow_a_closed_loop_client_down() -> None:
    fast = seed_run("cilium-l4", Saturation(100, 7200, 1))
    slow = seed_run("cilium-l4", Saturation(100, 7200, 1), {"ok": 0.5, "timeout": 0.5})
    assert slow["qps"] < fast["qps"] / 10


def _perf_files() -> list[Path]:
    """The shared parameters file, then each registered mesh's."""
    meshes = [m.perf_file() for m in SIM_MESHES.values() if m.perf_file().is_file()]
    return [Path(load_params.__globals__["DEFAULT_PARAMS_FILE"]), *meshes]


def test_parameters_name_their_sources() -> None:
    for file in _perf_files():
        data = yaml.safe_load(file.read_text())
        for section in ("paths", "components", "apps"):
            assert all("source" in entry for entry in (data.get(section) or {}).values()), (file, section)


def test_each_mesh_s_paths_and_components_come_from_its_own_file() -> None:
    params = load_params()
    for mesh in SIM_MESHES.values():
        data = yaml.safe_load(mesh.perf_file().read_text()) if mesh.perf_file().is_file() else {}
        assert set(data.get("paths") or {}) == set(mesh.perf_paths), mesh.name
        assert set(data.get("components") or {}) <= {c.name for c in params.components}


def test_a_missing_path_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cilium = SIM_MESHES["cilium"]
    data = yaml.safe_load(cilium.perf_file().read_text())
    del data["paths"]["cilium-l7"]
    bad = tmp_path / "sim-perf.yaml"
    bad.write_text(yaml.safe_dump(data))
    monkeypatch.setattr(type(cilium), "perf_file", lambda self: bad)
    with pytest.raises(PerfParamsError, match="paths is missing cilium-l7"):
        load_params()


def test_a_single_file_override_of_everything_still_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MESHSCALE_SIM_PERF with the old one-file layout: it wins over the meshes' files, so it alone decides."""
    whole: dict[str, Any] = {}
    for file in _perf_files():
        data = yaml.safe_load(file.read_text())
        whole.setdefault("paths", {}).update(data.pop("paths", {}))
        whole.setdefault("components", {}).update(data.pop("components", {}) or {})
        per_core = (data.get("capacity") or {}).pop("qps_per_server_core", {})
        whole.setdefault("capacity", {}).setdefault("qps_per_server_core", {}).update(per_core)
        whole["capacity"].update(data.pop("capacity", {}))
        whole.update(data)
    whole["paths"]["cilium-l7"]["median_s"] = 0.004
    single = tmp_path / "perf.yaml"
    single.write_text(yaml.safe_dump(whole))
    monkeypatch.setenv("MESHSCALE_SIM_PERF", str(single))
    assert load_params().paths["cilium-l7"].median_s == 0.004
    assert load_params().components == load_params(Path(load_params.__globals__["DEFAULT_PARAMS_FILE"])).components


def test_ztunnel_usage_rises_under_load_and_falls_back() -> None:
    w, client, _ = ambient_world()
    w.ns("istio-system")
    zt = w.add(
        "pods",
        {
            "metadata": {"name": "ztunnel-a", "namespace": "istio-system", "labels": {"app": "ztunnel"}},
            "spec": {"nodeName": "client-1", "containers": [{"name": "istio-proxy", "image": "istio/ztunnel:1.24.0"}]},
        },
    )
    rt = runtime(w, "istio-ambient")
    idle = rt.pod_usage(zt)[0]
    reply = rt.proxy(client, 8080, "GET", "/fortio/rest/run", "url=loadservice:8080&t=400ms&async=on", b"")
    time.sleep(0.1)
    busy = rt.pod_usage(zt)[0]
    assert busy.cpu_cores > idle.cpu_cores and busy.memory_bytes > idle.memory_bytes
    assert json.loads(reply.body)["message"] == "started"
    deadline = time.time() + 5  # the run ends after its 400 ms; poll so a busy machine does not flake
    while rt.pod_usage(zt)[0].cpu_cores != idle.cpu_cores and time.time() < deadline:
        time.sleep(0.05)
    assert rt.pod_usage(zt)[0].cpu_cores == idle.cpu_cores


def test_waypoint_and_agent_usage_follow_object_counts() -> None:
    w, client, _ = ambient_world(waypoint=True)
    rt = runtime(w, "istio-ambient")
    wp = w.store.get("pods", "ns-001", "waypoint-abc")
    before = rt.pod_usage(wp)[0].memory_bytes
    w.svc("ns-001", "another", {"app": "x"})
    assert rt.pod_usage(wp)[0].memory_bytes > before


def test_queries_per_core_at_the_seeds_scale_follow_the_blog() -> None:
    """500 clients x 128 connections over 900 server + 100 client nodes: 2178 vs 1815 queries per core."""
    from pytest_meshscale.sim.perf import Counts, usage_of

    comps = {c.name: c for c in load_params().components}
    counts = Counts(pods=50_500, services=500, policies=500, writes_per_s=2)

    def cores(name: str, total_kqps: float, replicas: int, loaded: int | None = None) -> float:
        per = total_kqps / (loaded or replicas)
        busy = (loaded or replicas) * usage_of(comps[name], per, counts)[0]
        return busy + (replicas - (loaded or replicas)) * usage_of(comps[name], 0, counts)[0]

    istio_k, cilium_k = (seed_run(p)["qps"] * 500 / 1000 for p in ("ambient-l7", "cilium-l7"))
    istio = (cores("ztunnel", 2 * istio_k, 1000) + cores("waypoint", istio_k, 500) + cores("istiod", 0, 1)
             + cores("istio-cni", 0, 1000))  # fmt: skip
    cilium = (cores("cilium-envoy", cilium_k, 1000, 900) + cores("cilium-agent", 2 * cilium_k, 1000)
              + cores("cilium-operator", 0, 2))  # fmt: skip
    assert istio_k * 1000 / istio == pytest.approx(2178, rel=0.05)
    assert cilium_k * 1000 / cilium == pytest.approx(1815, rel=0.05)
