"""L4 policy: default deny, allow/deny by port and by source namespace, cross-namespace allows.

Every cell is a request made from a client pod; a mismatch names the cell and how the request ended.
"""

import pytest

L4_CASES = ["default-deny", "l4-port", "l4-namespace", "cross-namespace"]


@pytest.mark.mesh_requires("l4-policy")
@pytest.mark.parametrize("case", L4_CASES)
def test_l4_matrix_matches_intent(run_case, case):
    result = run_case(case)
    assert not result.diffs, result.message()
