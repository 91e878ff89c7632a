"""environment.properties under pytest-xdist: workers meet the meshes (the `mesh` fixture records them),
the controller writes the run files, so each worker's facts must travel to the controller
(workeroutput -> pytest_testnodedown -> RunState.merge) before its pytest_sessionfinish."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from pytest_meshscale import plugin, run_state
from pytest_meshscale.meshes import MeshInfo
from pytest_meshscale.report.run_files import read_properties

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

FACTS = {
    "cilium": (MeshInfo("cilium", "1.16.1", frozenset({"wireguard", "l7-policy"}), {}), "v1.31.0-sim"),
    "istio-ambient": (MeshInfo("istio-ambient", "1.24.2", frozenset({"mtls"}), {}), "v1.31.0-sim"),
}


def _state(config: pytest.Config, run_id: str) -> run_state.RunState:
    return run_state.RunState(config.stash[run_state.SETTINGS], run_id)


def _fake_config(config: pytest.Config, state: run_state.RunState, **attrs: object) -> SimpleNamespace:
    stash = {run_state.SETTINGS: config.stash[run_state.SETTINGS], run_state.STATE: state}
    return SimpleNamespace(stash=stash, option=SimpleNamespace(allure_report_dir=attrs.pop("alluredir", None)), **attrs)


def _worker_finishes(config: pytest.Config, mesh: str) -> dict[str, str]:
    """One worker that ran `mesh`: its sessionfinish fills workeroutput, as xdist's worker would send it."""
    state = _state(config, "r1")
    info, k8s = FACTS[mesh]
    state.meshes[mesh] = info
    state.cluster_facts[mesh] = {"kind": "sim", "name": f"sim-{mesh}", "k8s": k8s}
    workeroutput: dict[str, str] = {}
    plugin.record_session(_fake_config(config, state, workeroutput=workeroutput))
    return workeroutput


def test_controller_merges_every_workers_facts(pytestconfig: pytest.Config, tmp_path: Path):
    controller = _state(pytestconfig, "r1")
    config = _fake_config(pytestconfig, controller, alluredir=str(tmp_path))
    hooks = plugin.XdistHooks()
    for mesh in FACTS:  # one worker per mesh (MeshScheduling)
        node = SimpleNamespace(config=config, workeroutput=_worker_finishes(pytestconfig, mesh))
        hooks.pytest_testnodedown(node, None)
    plugin.record_session(config)
    props = read_properties(tmp_path / "environment.properties")
    assert props["mesh.cilium.version"] == "1.16.1"
    assert props["mesh.cilium.features"] == "l7-policy, wireguard"
    assert props["mesh.istio-ambient.version"] == "1.24.2"
    assert props["mesh.istio-ambient.features"] == "mtls"
    assert props["simulated"] == "true"
    assert props["kubernetes.version"] == "v1.31.0-sim"
    assert props["run.id"] == "r1"


def test_worker_export_round_trips_through_json(pytestconfig: pytest.Config):
    worker = _state(pytestconfig, "r1")
    worker.record_mesh(FACTS["cilium"][0], SimpleNamespace(kind="sim", name="sim-cilium", server_version=lambda: "v1"))
    controller = _state(pytestconfig, "r1")
    controller.merge(json.loads(worker.export()))
    assert controller.meshes == worker.meshes
    assert controller.cluster_facts == worker.cluster_facts


SUITE = """
def test_meets_the_mesh(mesh):
    assert mesh.info.version
"""


def test_real_xdist_run_writes_both_meshes(pytester: pytest.Pytester):
    """Two workers, one sim cluster per mesh: the file the controller writes names both meshes."""
    pytest.importorskip("xdist", reason="pytest-xdist not installed")
    pytester.makepyfile(test_inner=SUITE)
    alluredir = pytester.path / "allure-results"
    result = pytester.runpytest_subprocess(
        "-n",
        "2",
        "-p",
        "no:cacheprovider",
        "--mesh=cilium,istio-ambient",
        "--scale=smoke",
        f"--alluredir={alluredir}",
        f"--mesh-results-dir={pytester.path / 'results'}",
        timeout=240,
    )
    result.assert_outcomes(passed=2)
    props = read_properties(alluredir / "environment.properties")
    assert {"mesh.cilium.version", "mesh.istio-ambient.version"} <= set(props), props
    assert props["simulated"] == "true"
