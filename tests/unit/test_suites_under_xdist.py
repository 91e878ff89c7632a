"""`pytest -n 2` on the real suites: each mesh stays on one worker, so policies applied for one test never
meet another test of the same mesh, and the cross-mesh parity check sees every mesh's matrices."""

from __future__ import annotations

import re

import pytest
from test_suites_under_faults import REPO, _outcomes, _run  # the suites' pytest-subprocess helpers


def test_policy_suite_passes_on_two_workers(pytester: pytest.Pytester) -> None:
    result = _run(pytester, str(REPO / "tests" / "policy"), "--mesh=cilium,istio-ambient", "-n", "2", "-v")
    outcomes = _outcomes(result)
    assert outcomes.get("test_same_intent_same_matrix_on_every_mesh") == "PASSED", outcomes
    assert "FAILED" not in outcomes.values() and "ERROR" not in outcomes.values(), outcomes
    workers: dict[str, set[str]] = {}
    for line in result.outlines:  # "[gw0] [ 10%] PASSED tests/...::test_x[cilium-...]"
        found = re.match(r"\[(gw\d+)\] .*?(PASSED|FAILED|SKIPPED) \S+\[(cilium|istio-ambient)\b", line)
        if found:
            workers.setdefault(found.group(3), set()).add(found.group(1))
    assert set(workers) == {"cilium", "istio-ambient"}, result.outlines[-20:]
    assert all(len(w) == 1 for w in workers.values()), f"a mesh was split across workers: {workers}"
