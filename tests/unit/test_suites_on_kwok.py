"""The suites on a real control plane (`--mesh-cluster=kwok`, the data plane played by the agent): the policy suite
must reach the very verdicts it reaches on the embedded sim, cell by cell and case by case, and must still FAIL
when the mesh is broken (`--mesh-sim-fault l7-bypass`, handed to the agent through `up --fault`); the encryption
and scale suites must end test by test as on the sim, and the encryption faults turn it red there too.

Slow (a control plane per mesh), so smoke profile only. Skipped without the binaries.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_meshscale.meshes import MESHES as REGISTERED
from pytest_meshscale.sim.control_plane.objects import crd_problem
from pytest_meshscale.sim.meshes import SIM_MESHES, SimMesh
from tests.conformance.conformance_kit import KwokUnavailable, _kwok_bin_dir
from tests.unit.test_suites_under_faults import L7, PEERS, REPO, WIRE, _outcomes, _run
from tests.unit.test_suites_under_faults_linkerd import IDENTITY

# Every registered mesh (istio-sidecar and linkerd, whose injectors are the agent's webhook on kwok, included), but a
# mesh with an admission the agent would not serve (no `admitted` resources): its pods would never be meshed there
# (docs/sim-limits.md, Admission).
MESHES = tuple(m for m in REGISTERED if type(SIM_MESHES[m]).admit is SimMesh.admit or SIM_MESHES[m].admitted)
ON_KWOK = "--mesh=" + ",".join(MESHES)


@pytest.fixture(scope="module")
def bin_dir() -> Path:
    try:
        found = _kwok_bin_dir()
    except KwokUnavailable as exc:
        pytest.skip(f"no control plane binaries: {exc}")
    # A user's clone has no ../shared: kwok refuses to start without the mesh's upstream CRDs, so skip (one line).
    problem = next((p for p in map(crd_problem, MESHES) if p), "")
    if problem:
        pytest.skip(problem)
    return found


def _verdicts(results: Path) -> dict[str, dict[str, str]]:
    """'mesh--case' -> cell -> verdict, from the matrices the run saved (scenario/policy_results.py)."""
    return {p.stem: {cell: v[0] for cell, v in json.loads(p.read_text()).items()}
            for p in sorted(results.glob("*/policy/*--*.json"))}


def test_the_policy_verdicts_on_kwok_equal_the_sims_for_every_case(pytester: pytest.Pytester, bin_dir: Path):
    found = {}
    for backend in ("sim", "kwok"):
        results = pytester.path / f"results-{backend}"
        result = _run(pytester, str(REPO / "tests" / "policy"), ON_KWOK, "--scale=smoke",
                      f"--mesh-cluster={backend}", f"--mesh-k8s-bin-dir={bin_dir}", f"--mesh-results-dir={results}",
                      "--mesh-namespace-prefix=parity")  # cells name namespaces: the same in both runs
        outcomes = _outcomes(result)
        assert "FAILED" not in outcomes.values() and "ERROR" not in outcomes.values(), outcomes
        found[backend] = (outcomes, _verdicts(results))
    (sim_outcomes, sim), (kwok_outcomes, kwok) = found["sim"], found["kwok"]
    assert kwok_outcomes == sim_outcomes
    assert {k.split("--")[0] for k in sim} == set(MESHES) and len(sim) >= 9  # every mesh, several cases each
    assert sorted(kwok) == sorted(sim)
    differing = [f"{case} {cell}: sim={v} kwok={kwok[case].get(cell)}"
                 for case, cells in sim.items() for cell, v in cells.items() if kwok[case].get(cell) != v]
    assert differing == [] and all(kwok[case].keys() == sim[case].keys() for case in sim)


@pytest.mark.parametrize("mesh_under_test", ["cilium", "istio-ambient"])
def test_l7_bypass_fails_the_l7_matrix_on_kwok(pytester: pytest.Pytester, bin_dir: Path, mesh_under_test: str):
    """Without the fault the same test passes on kwok: the parity test above runs it there for every mesh."""
    mesh = mesh_under_test
    suite, must_fail = L7[0], L7[1].format(mesh=mesh)
    args = [str(REPO / "tests" / suite), f"--mesh={mesh}", "--mesh-cluster=kwok", f"--mesh-k8s-bin-dir={bin_dir}"]
    broken = _outcomes(_run(pytester, *args, "--mesh-sim-fault=l7-bypass"))
    assert broken.get(must_fail) == "FAILED", f"with l7-bypass, {must_fail} must fail on kwok: {broken}"


def test_a_fault_the_agent_cannot_inject_stops_a_kwok_run_in_one_line(pytester: pytest.Pytester, bin_dir: Path):
    result = _run(pytester, str(REPO / "tests" / "policy"), "--mesh=cilium", "--mesh-cluster=kwok",
                  f"--mesh-k8s-bin-dir={bin_dir}", "--mesh-sim-fault=watch-drop=1")
    text = result.stdout.str() + result.stderr.str()
    assert result.ret != 0 and "fault 'watch-drop=1' cannot act on a real control plane yet" in text
    assert "Traceback" not in text


def _ends_as_on_the_sim(pytester: pytest.Pytester, bin_dir: Path, suite: str, passed: int, *extra: str) -> None:
    """`suite` (every mesh, smoke) on the sim then on kwok: no test fails on the sim, each ends alike on both."""
    found = {}
    for backend in ("sim", "kwok"):
        found[backend] = _outcomes(_run(pytester, str(REPO / "tests" / suite), ON_KWOK, "--scale=smoke",
                                        f"--mesh-cluster={backend}", f"--mesh-k8s-bin-dir={bin_dir}", *extra))
    assert "FAILED" not in found["sim"].values() and "ERROR" not in found["sim"].values(), found["sim"]
    assert found["kwok"] == found["sim"] and list(found["sim"].values()).count("PASSED") >= passed


def test_the_encryption_suite_on_kwok_ends_as_on_the_sim(pytester: pytest.Pytester, bin_dir: Path):
    """Capture and TLS-probe Jobs end when the agent says (their logs served as the node's kubelet would), and
    object state (CiliumNode keys) is the same: every test ends as on the sim, none fails."""
    _ends_as_on_the_sim(pytester, bin_dir, "encryption", passed=8)


@pytest.mark.parametrize(("mesh_under_test", "fault", "check"), [
    ("cilium", "plaintext", WIRE), ("istio-ambient", "plaintext", WIRE), ("cilium", "wg-peer-missing", PEERS),
    ("linkerd", "identity-missing", IDENTITY)])
def test_encryption_faults_fail_the_suite_on_kwok(pytester: pytest.Pytester, bin_dir: Path, mesh_under_test: str,
                                                  fault: str, check: tuple[str, str]):
    """The same check passes on kwok without the fault (test above); with it, it must fail. Linkerd's identity
    check reads the Events the agent posts as its identity controller, which withholds the faulted account's."""
    must_fail = check[1].format(mesh=mesh_under_test)
    broken = _outcomes(_run(pytester, str(REPO / "tests" / check[0]), f"--mesh={mesh_under_test}",
                            "--mesh-cluster=kwok", f"--mesh-k8s-bin-dir={bin_dir}", f"--mesh-sim-fault={fault}"))
    assert broken.get(must_fail) == "FAILED", f"with {fault}, {must_fail} must fail on kwok: {broken}"


def test_the_scale_suite_on_kwok_ends_as_on_the_sim(pytester: pytest.Pytester, bin_dir: Path):
    """Mesh CPU and memory come from metrics.k8s.io, which the agent serves as an aggregated API of the real
    kube-apiserver: every scale test ends as on the sim (the baseline's idle cost skips on both). No fault the agent
    takes turns the scale suite red on the sim (l7-bypass, plaintext and wg-peer-missing only make a mesh cheaper
    against the profile's upper bounds), so there is no red case to mirror here. The API-pressure test (a fixed
    20 s window per mesh) is left to test_api_pressure_on_kwok.py, which runs it on kwok healthy and slowed."""
    pressure = str(REPO / "tests" / "scale" / "test_api_pressure.py")
    _ends_as_on_the_sim(pytester, bin_dir, "scale", 9, "--ignore", pressure)  # 14 before, 5 of them the API's
