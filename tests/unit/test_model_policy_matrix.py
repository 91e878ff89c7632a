"""The expected matrix and its per-cell diff against observations (what the policy tests assert)."""

from __future__ import annotations

from pytest_meshscale.data.policies import load_policy_case
from pytest_meshscale.model import Matrix, Observation, Verdict, classify_status


def _matrix() -> Matrix:
    case = load_policy_case("seed-l7", ["ns-001", "ns-002"])
    return Matrix.build(case.intents, [c.request for c in case.cells])


def test_classify_status() -> None:
    assert classify_status(403).verdict is Verdict.DENY_L7
    assert classify_status(None, "connection reset").verdict is Verdict.DENY_L4
    assert classify_status(None, "connection reset").detail == "connection reset"
    assert classify_status(200).verdict is Verdict.ALLOW
    assert classify_status(404).detail == "HTTP 404"


def test_matching_observations_give_no_diff() -> None:
    m = _matrix()
    details = {Verdict.ALLOW: "HTTP 200", Verdict.DENY_L7: "HTTP 403", Verdict.DENY_L4: "timeout"}
    observed = {k: Observation(v, details[v]) for k, v in m.cells().items()}
    assert m.compare(observed) == []
    assert "!=" not in m.table(observed)


def test_a_wrong_and_a_missing_cell_are_reported_with_how_they_ended() -> None:
    m = _matrix()
    keys = list(m.cells())
    observed = {k: Observation(v, "x") for k, v in m.cells().items()}
    wrong = "ns-001/fortio-client -> ns-001/loadservice:8080 GET /other"
    observed[wrong] = Observation(Verdict.ALLOW, "HTTP 200")  # L7 rule bypassed
    del observed[keys[0]]
    diffs = m.compare(observed)
    assert [str(d) for d in diffs] == [
        f"{keys[0]}: expected allow, got nothing (not probed)",
        f"{wrong}: expected deny-l7, got allow (HTTP 200)",
    ]
    table = m.table(observed)
    assert f"{wrong}  deny-l7   allow (HTTP 200)  !=" in table
