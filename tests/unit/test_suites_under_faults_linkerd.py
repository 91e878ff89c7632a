"""Linkerd's suites must FAIL against a broken mesh, as tests/unit/test_suites_under_faults.py shows for the
others: l7-bypass (the proxy's HTTP authorization not enforced), plaintext, and Linkerd's own identity fault
(identity-missing: one workload's proxies get no certificate, so the identity check and mTLS to it fail)."""

from __future__ import annotations

import pytest

from tests.unit.test_suites_under_faults import L7, REPO, WIRE, _outcomes, _run, healthy_outcomes

IDENTITY = ("encryption/test_linkerd_identity.py", "test_every_meshed_workload_holds_its_linkerd_identity[{mesh}]")
MTLS = ("encryption/test_mesh_encryption.py", "test_encrypted_port_speaks_mtls[{mesh}]")


@pytest.mark.parametrize(("fault", "checks"), [
    ("l7-bypass", (L7,)),
    ("plaintext", (WIRE,)),
    ("identity-missing", (IDENTITY, MTLS)),
])
def test_linkerd_suite_fails_against_fault(pytester: pytest.Pytester, fault: str,
                                           checks: tuple[tuple[str, str], ...]) -> None:
    suites = sorted({str(REPO / "tests" / suite) for suite, _ in checks})  # only the files the checks are in
    healthy = healthy_outcomes(pytester, *suites, "--mesh=linkerd")
    broken = _outcomes(_run(pytester, *suites, "--mesh=linkerd", f"--mesh-sim-fault={fault}"))
    for _, test in checks:
        must_fail = test.format(mesh="linkerd")
        assert healthy.get(must_fail) == "PASSED", f"without the fault {must_fail} must pass: {healthy}"
        assert broken.get(must_fail) == "FAILED", f"with {fault}, {must_fail} must fail: {broken}"
