"""The policy suite's one step: apply a case through the mesh's driver, probe it, compare, record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from pytest_meshscale.model import CellDiff, Matrix, PolicyCase
from pytest_meshscale.report.run_record import attach_policy_result
from pytest_meshscale.scenario.policy_results import save_observations
from pytest_meshscale.scenario.probes import ProbeRound


@dataclass(frozen=True)
class CaseResult:
    case: PolicyCase
    expected: Matrix
    round: ProbeRound
    diffs: list[CellDiff]

    def message(self) -> str:
        lines = [f"{len(self.diffs)} of {len(self.case.cells)} cells differ from the intent '{self.case.name}':"]
        return "\n".join(lines + [f"  {d}" for d in self.diffs] + ["", self.expected.table(self.round.observed)])


@pytest.fixture
def run_case(policy, probe, mesh, meshscale_run) -> Callable[..., CaseResult]:
    def run(name: str, manifests: list[dict] | None = None, deadline_s: float | None = None) -> CaseResult:
        # Only the driver's own rendering is recorded for parity: a deliberately broken manifest is not the intent.
        case = policy.load(name)
        applied = policy.apply_manifests(manifests) if manifests is not None else policy.apply(case)
        expected, result = probe.matrix(case, deadline_s)
        attach_policy_result(mesh, case, expected, result.observed, applied)
        if manifests is None:
            save_observations(meshscale_run.run_dir, mesh.name, name, result.observed)
        return CaseResult(case, expected, result, expected.compare(result.observed))

    return run
