"""The fault `watch-drop` really exercised: the sim closes every watch after 1 s while pods take 3 s to
become ready, so the fleet's readiness wait must resume its watch (from the last resourceVersion) several
times, and again while churn rescales services; the run still converges and says how often it resumed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_meshscale.cluster.kube import KubeCluster
from pytest_meshscale.cluster.ratelimit import RateLimit
from pytest_meshscale.data.profiles import load_profile
from pytest_meshscale.meshes import driver_for
from pytest_meshscale.scenario.churn import ChurnRunner
from pytest_meshscale.scenario.fleet import create_fleet
from pytest_meshscale.sim.process import SimProcess


@pytest.fixture
def dropping(tmp_path: Path) -> Iterator[KubeCluster]:
    faults = ("watch-drop=1", "slow-ready=3")
    with SimProcess(mesh="cilium", scale="smoke", faults=faults, kubeconfig=tmp_path / "kc") as sim:
        cluster = KubeCluster(str(sim.kubeconfig), None, "watchdrop", "sim", "sim-cilium", RateLimit(50, 100))
        try:
            yield cluster
        finally:
            cluster.close()


def test_fleet_and_churn_converge_while_every_watch_is_dropped(dropping: KubeCluster) -> None:
    profile = load_profile("smoke")
    fleet = create_fleet(dropping, profile, driver_for("cilium").namespace_labels(), "watchdrop", "wd")
    resumed_during_setup = dropping.stats.watch_resumes
    assert fleet.ready_s >= 3.0, "slow-ready should have held the pods back"
    assert resumed_during_setup >= 2, f"the readiness watch was dropped but resumed only {resumed_during_setup}x"

    with ChurnRunner(dropping, fleet.namespaces, profile.churn) as churn:
        time.sleep(3 * profile.churn.rescale_interval_s)
    assert churn.log.events and all(e.ok for e in churn.log.events), churn.log.events[:3]
    # One more rescale up, as churn does: its new pods take 3 s, so this wait outlives a dropped watch.
    dropping.scale("Deployment", "loadservice", fleet.namespaces[0], profile.workload.pods_per_service + 2)
    dropping.wait_deployments_available(fleet.namespaces, profile.creation.ready_timeout_s)
    assert dropping.stats.watch_resumes > resumed_during_setup, "churn's readiness wait never lost its watch"
