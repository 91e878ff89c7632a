"""Glue between what the scenarios learned and the report layer (Allure labels, attachments, scorecard)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..cluster.base import is_simulated
from ..model import Matrix, Observation, PolicyCase
from . import (
    MeshFacts,
    ResultIdentity,
    RunFacts,
    attach_manifests,
    attach_policy_matrix,
    label_test,
    write_run_files,
    write_scorecard,
)
from .html_policy import policy_cells

__all__ = ["attach_policy_result", "label", "run_facts", "scorecard_text", "suite_of"]

SUITES = ("policy", "encryption", "scale")


def suite_of(path: Path) -> str | None:
    parts = path.parts
    return next((s for s in SUITES if s in parts), None)


def label(path: Path, scenario: str, mesh: Any, scale: str, run_id: str, cluster: str) -> None:
    suite = suite_of(path)
    if suite is not None:
        label_test(ResultIdentity(mesh.name, scale, suite, scenario, mesh.simulated, run_id, cluster))


def attach_policy_result(
    mesh: Any, case: PolicyCase, expected: Matrix, observed: Mapping[str, Observation], applied: Sequence[dict]
) -> None:
    attach_policy_matrix(policy_cells(expected, observed), mesh.name, mesh.simulated)
    attach_manifests({f"{mesh.name}-{case.name}": list(applied)})


def run_facts(state: Any) -> RunFacts:
    settings = state.settings
    meshes = tuple(MeshFacts(i.name, i.version, tuple(sorted(i.features))) for i in state.meshes.values())
    facts = next(iter(state.cluster_facts.values()), {"kind": settings.cluster, "k8s": "unknown"})
    simulated = is_simulated(facts["kind"], facts["k8s"])
    return RunFacts(
        meshes, facts["k8s"], settings.profile.pools, settings.profile.name, facts["kind"], simulated,
        {"run.id": state.run_id},
    )


def write_allure_run_files(alluredir: str, state: Any) -> list[Path]:
    return write_run_files(Path(alluredir), run_facts(state))


def scorecard_text(run_dir: Path) -> str | None:
    if not run_dir.is_dir() or not any(run_dir.glob("score-*.json")):
        return None
    return write_scorecard([run_dir], run_dir).text
