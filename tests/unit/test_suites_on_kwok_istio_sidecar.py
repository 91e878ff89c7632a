"""istio-sidecar on a real control plane (`--mesh-cluster=kwok`): the agent serves the sidecar injector as a mutating
webhook, so the fleet's pods get their sidecars from the real kube-apiserver; the mesh's faults must turn its suites
red there too (test_suites_on_kwok.py runs every registered mesh, this one included, healthy). Slow; skipped without
the control plane binaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_suites_on_kwok import bin_dir  # noqa: F401  (the fixture: binaries, else skip)
from tests.unit.test_suites_under_faults import L7, REPO, WIRE, _outcomes, _run
from tests.unit.test_suites_under_faults_istio_sidecar import HANDSHAKE, MESH, STRICT


@pytest.mark.parametrize(("fault", "checks"), [
    ("l7-bypass", [L7]),
    ("plaintext", [WIRE]),
    ("sidecar-missing", [WIRE, HANDSHAKE, STRICT]),
])
def test_istio_sidecar_faults_fail_its_suites_on_kwok(pytester: pytest.Pytester, bin_dir: Path,  # noqa: F811
                                                      fault: str, checks: list[tuple[str, str]]) -> None:
    suites = sorted({str(REPO / "tests" / suite) for suite, _ in checks})
    """Without the fault these checks pass on kwok: test_suites_on_kwok.py runs the policy and encryption suites
    there for every mesh, this one included, and requires each test to end as on the sim, where none fails."""
    args = [*suites, f"--mesh={MESH}", "--mesh-cluster=kwok", f"--mesh-k8s-bin-dir={bin_dir}"]
    broken = _outcomes(_run(pytester, *args, f"--mesh-sim-fault={fault}"))
    for _, test in checks:
        must_fail = test.format(mesh=MESH)
        assert broken.get(must_fail) == "FAILED", f"with {fault}, {must_fail} must fail on kwok: {broken}"
