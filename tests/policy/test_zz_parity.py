"""Parity: the same intent must allow and deny the same requests on every mesh that ran it.

Runs after the per-mesh policy tests of this run (the plugin orders it last) and compares their
recorded matrices; how a deny looks may differ (an Istio waypoint answers 403 where Cilium drops)."""

import pytest

from pytest_meshscale.scenario.policy_results import load_observations, parity_differences


@pytest.mark.meshscale_last
def test_same_intent_same_matrix_on_every_mesh(meshscale_run):
    recorded = load_observations(meshscale_run.run_dir)
    compared = {case: meshes for case, meshes in recorded.items() if len(meshes) > 1}
    if not compared:
        pytest.skip(f"parity needs one policy case recorded on two meshes in this run; recorded: {recorded.keys()}")
    problems = {case: parity_differences(meshes) for case, meshes in sorted(compared.items())}
    problems = {case: diffs for case, diffs in problems.items() if diffs}
    assert not problems, "\n".join(f"{case}:\n  " + "\n  ".join(d) for case, d in problems.items())
