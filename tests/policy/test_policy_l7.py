"""L7 policy by method and path: allowed requests pass, others are answered 403 by the mesh's proxy."""

import pytest

from pytest_meshscale.model import Verdict


@pytest.mark.mesh_requires("l7-policy")
@pytest.mark.parametrize("case", ["l7-method-path", "seed-l7"])
def test_l7_matrix_matches_intent(run_case, case):
    result = run_case(case)
    assert not result.diffs, result.message()


@pytest.mark.mesh_requires("l7-policy")
def test_l7_denies_are_http_403_not_drops(run_case):
    """An L7 deny must come from the proxy (HTTP 403), or the policy only worked by accident at L4."""
    result = run_case("l7-method-path")
    l7 = [c for c in result.case.cells if result.expected.cells()[c.key] == Verdict.DENY_L7]
    assert l7, "the case has no L7-denied cell to check"
    seen = {c.key: result.round.observed[c.key] for c in l7}
    not_403 = {k: o.detail for k, o in seen.items() if not o.detail.startswith("HTTP 403")}
    assert not not_403, f"L7 denies that were not HTTP 403: {not_403}"
