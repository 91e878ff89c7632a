"""The plugin's fixtures: thin wrappers that give scenario modules a cluster, a mesh and a fleet.

Scopes: one cluster (and fleet) per mesh for the whole session, created when the first test of that mesh
needs it and torn down when the next mesh starts (pytest orders session-parametrized tests by mesh).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from .cluster.base import RUN_LABEL, Cluster, ForeignObject, is_simulated
from .data.policies import load_policy_case
from .meshes import MeshDriver, MeshInfo, driver_for
from .model import PolicyCase, Unsupported
from .options import Settings
from .report import run_record
from .run_state import INTERRUPTS, SETTINGS, RunState, fleet_naming, run_state
from .scenario.churn import ChurnRunner
from .scenario.fleet import Fleet, create_fleet
from .scenario.load import LoadRun, run_profile_load
from .scenario.metrics import MeshMetrics
from .scenario.policies import AppliedPolicies, expected_matrix
from .scenario.probes import Prober, ProbeRound

EXIT_FOREIGN = 4  # the run refused to adopt an object it did not create; nothing was written

__all__ = [
    "MeshUnderTest",
    "churn",
    "cluster",
    "fleet",
    "load",
    "mesh",
    "mesh_metrics",
    "mesh_name",
    "meshscale_run",
    "meshscale_settings",
    "policy",
    "probe",
    "run_id",
]


@dataclass(frozen=True, slots=True)
class MeshUnderTest:
    name: str
    driver: MeshDriver
    info: MeshInfo
    simulated: bool


@pytest.fixture(scope="session")
def meshscale_settings(pytestconfig: pytest.Config) -> Settings:
    return pytestconfig.stash[SETTINGS]


@pytest.fixture(scope="session")
def meshscale_run(pytestconfig: pytest.Config) -> RunState:
    """The run's state: its id, results folder, what each mesh is, the scores recorded so far."""
    return run_state(pytestconfig)


@pytest.fixture(scope="session")
def run_id(meshscale_run: RunState) -> str:
    return meshscale_run.run_id


@pytest.fixture(scope="session")
def mesh_name(request: pytest.FixtureRequest) -> str:
    """Parametrized by --mesh in pytest_generate_tests."""
    return str(request.param)


@pytest.fixture(scope="session")
def cluster(pytestconfig: pytest.Config, mesh_name: str) -> Iterator[Cluster]:
    state: RunState = run_state(pytestconfig)
    with ExitStack() as stack:
        opened = stack.enter_context(state.open_cluster(mesh_name))
        try:
            yield opened
        finally:
            with pytestconfig.stash[INTERRUPTS].shielded():  # a signal must not cut the teardown short
                stack.close()


@pytest.fixture(scope="session")
def mesh(pytestconfig: pytest.Config, cluster: Cluster, mesh_name: str) -> MeshUnderTest:
    driver = driver_for(mesh_name)
    info = driver.detect(cluster)
    run_state(pytestconfig).record_mesh(info, cluster)
    return MeshUnderTest(mesh_name, driver, info, is_simulated(cluster.kind, cluster.server_version()))


@pytest.fixture(scope="session")
def fleet(meshscale_settings: Settings, cluster: Cluster, mesh: MeshUnderTest, run_id: str) -> Fleet:
    # Deleted with the cluster's run objects when the mesh's cluster closes (open_cluster's teardown).
    profile, tag = fleet_naming(meshscale_settings, run_id)
    try:
        return create_fleet(cluster, profile, mesh.driver.namespace_labels(), run_id, tag,
                            mesh.driver.namespace_annotations())
    except ForeignObject as exc:
        pytest.exit(str(exc), returncode=EXIT_FOREIGN)


@pytest.fixture
def policy(meshscale_settings: Settings, cluster: Cluster, mesh: MeshUnderTest, fleet: Fleet,
           run_id: str) -> Iterator[PolicyHandle]:
    applied = AppliedPolicies(cluster, mesh.driver, fleet.namespaces, {RUN_LABEL: run_id},
                              meshscale_settings.profile.creation.ready_timeout_s)
    yield PolicyHandle(applied, mesh, fleet)
    applied.remove()


class PolicyHandle:
    """`policy.load(name)` reads a case for this fleet; `policy.apply(case)` renders it for the mesh,
    skipping with the mesh's own reason when it cannot express the intent."""

    def __init__(self, applied: AppliedPolicies, mesh: MeshUnderTest, fleet: Fleet) -> None:
        self.applied, self.mesh, self.fleet = applied, mesh, fleet

    def load(self, name: str) -> PolicyCase:
        return load_policy_case(name, self.fleet.namespaces)

    def apply(self, case: PolicyCase) -> list[dict[str, Any]]:
        try:
            return self.applied.apply_intents(case.intents)
        except Unsupported as exc:
            pytest.skip(f"{self.mesh.name}: {exc.reason}")

    def apply_manifests(self, manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.applied.apply_manifests(manifests)


@pytest.fixture
def probe(meshscale_settings: Settings, cluster: Cluster, mesh: MeshUnderTest, fleet: Fleet) -> ProbeHandle:
    return ProbeHandle(Prober(cluster, fleet.clients(cluster)), mesh, meshscale_settings)


class ProbeHandle:
    def __init__(self, prober: Prober, mesh: MeshUnderTest, settings: Settings) -> None:
        self.prober, self.mesh, self.settings = prober, mesh, settings

    def matrix(self, case: PolicyCase, deadline_s: float | None = None) -> tuple[Any, ProbeRound]:
        """Probe every cell of the case until it matches the expected matrix or the deadline passes."""
        expected = expected_matrix(self.mesh.driver, case)
        limit = self.settings.profile.thresholds.max_policy_propagation_s or 30.0
        result = self.prober.until_match(expected, case.cells, deadline_s if deadline_s is not None else limit)
        return expected, result


@pytest.fixture
def churn(meshscale_settings: Settings, cluster: Cluster, fleet: Fleet) -> Callable[[], ChurnRunner]:
    return lambda: ChurnRunner(cluster, fleet.namespaces, meshscale_settings.profile.churn)


@pytest.fixture
def load(meshscale_settings: Settings, cluster: Cluster, fleet: Fleet, run_id: str) -> Callable[..., LoadRun]:
    def run(duration_s: float | None = None) -> LoadRun:
        load = meshscale_settings.profile.load
        return run_profile_load(cluster, fleet.clients(cluster), load, f"meshscale {run_id}", duration_s)

    return run


@pytest.fixture
def mesh_metrics(cluster: Cluster, mesh: MeshUnderTest) -> MeshMetrics:
    return MeshMetrics(cluster, mesh.driver.components())


@pytest.fixture(autouse=True)
def _meshscale_requirements_and_labels(request: pytest.FixtureRequest, meshscale_run: RunState) -> None:
    """For tests that run on a mesh: skip on a missing feature (mesh_requires), and label the result
    for Allure with mesh and scale as parameters, or two meshes would show as retries of one test."""
    if "mesh" not in request.fixturenames:
        return
    mesh: MeshUnderTest = request.getfixturevalue("mesh")
    cluster: Cluster = request.getfixturevalue("cluster")
    scenario = request.node.originalname if isinstance(request.node, pytest.Function) else request.node.name
    settings = meshscale_run.settings
    run_record.label(request.node.path, scenario, mesh, settings.scale, meshscale_run.run_id, cluster.name)
    marker = request.node.get_closest_marker("mesh_requires")
    missing = mesh.info.missing(marker.args) if marker else []
    if missing:
        pytest.skip(f"{mesh.name} {mesh.info.version} lacks {', '.join(missing)}")
