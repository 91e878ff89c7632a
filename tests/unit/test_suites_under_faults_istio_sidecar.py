"""istio-sidecar's suites must FAIL against a broken mesh (as test_suites_under_faults.py does for the others):
l7-bypass turns the L7 policy matrix red, plaintext the wire check, and the mesh's own identity fault,
sidecar-missing (one namespace's pods started without a sidecar: no mTLS to or from them, nothing to enforce
STRICT), turns the wire, the mTLS handshake and the STRICT check red."""

from __future__ import annotations

import pytest

from tests.unit.test_suites_under_faults import L7, REPO, WIRE, _outcomes, _run, healthy_outcomes

MESH = "istio-sidecar"
HANDSHAKE = ("encryption/test_mesh_encryption.py", "test_encrypted_port_speaks_mtls[{mesh}]")
STRICT = ("encryption/test_mesh_encryption.py", "test_strict_mtls_rejects_plaintext[{mesh}]")


@pytest.mark.parametrize(("fault", "checks"), [
    ("l7-bypass", [L7]),
    ("plaintext", [WIRE]),
    ("sidecar-missing", [WIRE, HANDSHAKE, STRICT]),
])
def test_istio_sidecar_suite_fails_against_fault(pytester: pytest.Pytester, fault: str,
                                                 checks: list[tuple[str, str]]) -> None:
    suites = sorted({str(REPO / "tests" / suite) for suite, _ in checks})
    healthy = healthy_outcomes(pytester, *suites, f"--mesh={MESH}")
    broken = _outcomes(_run(pytester, *suites, f"--mesh={MESH}", f"--mesh-sim-fault={fault}"))
    for _, test in checks:
        must_fail = test.format(mesh=MESH)
        assert healthy.get(must_fail) == "PASSED", f"without the fault {must_fail} must pass: {healthy}"
        assert broken.get(must_fail) == "FAILED", f"with {fault}, {must_fail} must fail: {broken}"
