"""Providers: a sim per mesh (stopped after), an existing kubeconfig (run objects deleted after), kind not yet."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from pytest_meshscale.cluster import RUN_LABEL, ClusterError, new_run_id, open_cluster
from pytest_meshscale.model import Profile
from pytest_meshscale.profile_files import load_profile


@dataclass(frozen=True)
class Settings:
    cluster: str = "sim"
    context: str = ""
    kubeconfig: str = ""
    keep: bool = False
    faults: tuple[str, ...] = ()
    profile: Profile = field(default_factory=lambda: load_profile("smoke"))


NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prov-001"}}


def test_run_id_is_a_valid_label_value() -> None:
    run_id = new_run_id()
    assert len(run_id) <= 63
    assert run_id.replace("-", "").isalnum()
    assert new_run_id() != run_id


def test_kind_is_not_built_yet_one_line() -> None:
    with (
        pytest.raises(ClusterError, match="^--mesh-cluster=kind: kind support is not built yet; use "),
        open_cluster(Settings(cluster="kind"), "cilium", "r1"),
    ):
        pass


def test_existing_without_a_kubeconfig_file_is_one_line(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    with (
        pytest.raises(ClusterError, match=f"^--mesh-kubeconfig: no kubeconfig file at '{missing}'"),
        open_cluster(Settings(cluster="existing", kubeconfig=missing), "cilium", "r1"),
    ):
        pass


def test_existing_with_an_unknown_context_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("pytest_meshscale.sim.process", reason="sim/process.py not built yet")
    from pytest_meshscale.sim.process import SimProcess

    with SimProcess(mesh="baseline", scale="smoke") as sim:
        settings = Settings(cluster="existing", kubeconfig=str(sim.kubeconfig), context="no-such-context")
        with (
            pytest.raises(ClusterError, match=r"context no-such-context\): .*no-such-context"),
            open_cluster(settings, "baseline", "r1"),
        ):
            pass


def test_sim_provider_starts_a_sim_per_mesh_and_stops_it() -> None:
    pytest.importorskip("pytest_meshscale.sim.process", reason="sim/process.py not built yet")
    settings = Settings(profile=replace(load_profile("smoke"), name="smoke"))
    with open_cluster(settings, "baseline", "r-sim") as cluster:
        assert (cluster.kind, cluster.name) == ("sim", "sim-baseline")
        assert cluster.rate.qps == settings.profile.creation.qps
        cluster.apply([NS])
        kubeconfig = cluster.kubeconfig
    assert not Path(kubeconfig).exists()  # the sim and its directory are gone



def test_existing_provider_deletes_the_run_objects_on_exit() -> None:
    pytest.importorskip("pytest_meshscale.sim.process", reason="sim/process.py not built yet")
    from pytest_meshscale.sim.process import SimProcess

    with SimProcess(mesh="baseline", scale="smoke") as sim:
        settings = Settings(cluster="existing", kubeconfig=str(sim.kubeconfig))
        with open_cluster(settings, "baseline", "r-existing") as cluster:
            cluster.apply([NS])
            assert cluster.kind == "existing"
        with open_cluster(settings, "baseline", "r-check") as check:
            assert check.list("v1", "Namespace", labels=f"{RUN_LABEL}=r-existing") == []
            assert check.get("v1", "Namespace", "default") is not None
