"""Per-run state shared by the hooks and fixtures: the run id, the clusters, and what the run learned.

Under pytest-xdist the controller owns every cluster (it starts each mesh's sim, or resolves the existing
one) and hands the kubeconfigs and the run id to the workers through `workerinput`; workers then use the
cluster like an existing one, so no worker ever starts or stops a cluster.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from .cluster.base import RUN_LABEL, Cluster
from .interrupts import Interrupts
from .meshes import MeshInfo
from .model import Profile, Score
from .model.score import BASELINE_MESH
from .provision.providers import PROVIDERS, open_cluster
from .provision.settings import Settings
from .provision.target import ClusterTarget, new_run_id
from .report.score_source import read_score

__all__ = ["CONSOLE", "INTERRUPTS", "SETTINGS", "STATE", "RunState", "fleet_naming", "run_state"]

SETTINGS = pytest.StashKey[Settings]()
STATE = pytest.StashKey["RunState"]()
CONSOLE = pytest.StashKey[Any]()  # the progress sink entered at configure, left at unconfigure
INTERRUPTS = pytest.StashKey[Interrupts]()
WORKER_KEY = "meshscale"


@dataclass
class RunState:
    settings: Settings
    run_id: str
    handed: dict[str, dict[str, Any]] = field(default_factory=dict)  # mesh -> ClusterTarget fields (xdist)
    groups_file: Path | None = None  # xdist: where workers write each test's scheduling group
    meshes: dict[str, MeshInfo] = field(default_factory=dict)
    cluster_facts: dict[str, dict[str, str]] = field(default_factory=dict)
    opened: dict[str, tuple[str, str]] = field(default_factory=dict)  # mesh -> (cluster kind, kubeconfig)
    _stack: ExitStack = field(default_factory=ExitStack)

    @contextmanager
    def open_cluster(self, mesh: str) -> Iterator[Cluster]:
        target = ClusterTarget(**self.handed[mesh]) if mesh in self.handed else None
        # Forgotten only after open_cluster's exit: its teardown is when a second signal may leave objects.
        try:
            with open_cluster(self.settings, mesh, self.run_id, target=target) as cluster:
                self.opened[mesh] = (cluster.kind, getattr(cluster, "kubeconfig", ""))
                yield cluster
        finally:
            self.opened.pop(mesh, None)

    def left_behind(self) -> str:
        """What an abandoned teardown may leave, and how to remove it (the second-signal message)."""
        real = {mesh: cfg for mesh, (kind, cfg) in self.opened.items() if kind != "sim"}
        if not real:
            return f"run {self.run_id}: nothing on a real cluster; its sims stop once pytest is gone"
        where = "; ".join(f"`meshscale cleanup --kubeconfig {cfg} --run-id {self.run_id}` ({mesh})"
                          for mesh, cfg in real.items())
        return f"objects labelled {RUN_LABEL}={self.run_id} may be left: remove them with {where}"

    def record_mesh(self, info: MeshInfo, cluster: Cluster) -> None:
        self.meshes[info.name] = info
        self.cluster_facts[info.name] = {"kind": cluster.kind, "name": cluster.name, "k8s": cluster.server_version()}

    @property
    def run_dir(self) -> Path:
        """This run's own results folder, so a scorecard never mixes runs."""
        return self.settings.results_dir / self.run_id

    def record_score(self, score: Score) -> Path:
        """Written as measured; with --mesh-baseline-score, its kernel cores attributed against that file (the
        scorecard prefers the same run's baseline when the run has one)."""
        named = self.settings.baseline_score
        if named and score.mesh != BASELINE_MESH:
            score = score.with_baseline(read_score(Path(named)).score, named)
        out = self.run_dir / f"score-{score.mesh}-{score.scale}-{score.run_id}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(score.to_json())
        return out

    # -- xdist: the controller side
    def start_clusters_for_workers(self) -> dict[str, dict[str, Any]]:
        """Start (or resolve) every mesh's cluster once, in the controller, for all workers to share."""
        if not self.handed:
            for mesh in self.settings.meshes:
                target = self._stack.enter_context(PROVIDERS[self.settings.cluster](self.settings, mesh))
                # Workers delete the run's objects; stopping the cluster stays the controller's job.
                self.handed[mesh] = asdict(replace(target, teardown=True))
        return self.handed

    def xdist_groups_file(self) -> Path:
        if self.groups_file is None:
            folder = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="meshscale-xdist-"))
            self.groups_file = Path(folder) / "groups.json"
        return self.groups_file

    def worker_input(self) -> str:
        clusters = self.start_clusters_for_workers()
        return json.dumps({"run_id": self.run_id, "clusters": clusters, "groups": str(self.xdist_groups_file())})

    # -- xdist: what workers learned, sent back to the controller for the run-level report files
    def export(self) -> str:
        meshes = {n: {"version": i.version, "features": sorted(i.features), "details": dict(i.details)}
                  for n, i in self.meshes.items()}
        return json.dumps({"meshes": meshes, "clusters": self.cluster_facts})

    def merge(self, exported: dict[str, Any]) -> None:
        for name, info in exported["meshes"].items():
            self.meshes[name] = MeshInfo(name, info["version"], frozenset(info["features"]), info["details"])
        self.cluster_facts.update(exported["clusters"])

    def link_latest(self) -> None:
        """results/latest -> this run's folder, so `meshscale compare meshscale-results/latest` is this run."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        latest = self.settings.results_dir / "latest"
        if latest.is_symlink() or not latest.exists():
            latest.unlink(missing_ok=True)
            latest.symlink_to(self.run_id, target_is_directory=True)

    def close(self) -> None:
        self._stack.close()


def new_state(config: pytest.Config, settings: Settings) -> RunState:
    workerinput = getattr(config, "workerinput", None)
    if workerinput and WORKER_KEY in workerinput:
        handed = json.loads(workerinput[WORKER_KEY])
        return RunState(settings, handed["run_id"], handed["clusters"], Path(handed["groups"]))
    state = RunState(settings, new_run_id())
    state.link_latest()
    return state


def run_state(config: pytest.Config) -> RunState:
    return config.stash[STATE]


def fleet_naming(settings: Settings, run_id: str) -> tuple[Profile, str]:
    """The profile whose namespace_prefix names the fleet, and the run tag in the names: by default
    ns-<tag>-001... (the tag is the run id's random part, so runs sharing a cluster never meet); with
    --mesh-namespace-prefix P, a fixed P001... for dashboards (a second run with the same prefix is
    refused before it writes anything, never merged)."""
    profile = settings.profile
    if settings.namespace_prefix:
        workload = replace(profile.workload, namespace_prefix=settings.namespace_prefix)
        return replace(profile, workload=workload), ""
    return profile, run_id.rsplit("-", 1)[-1]
