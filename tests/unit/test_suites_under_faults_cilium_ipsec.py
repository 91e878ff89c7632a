"""The suites turn red on a broken cilium-ipsec: L7 rules bypassed, plaintext between nodes, and its own peer
fault, one node whose agent loaded no IPsec key (CiliumNode spec.encryption.key 0). Same method as
test_suites_under_faults.py: the real suites in a pytest subprocess against a sim with the fault injected,
after the same tests passed without it (one healthy run for all three faults: four sims, not six)."""

from __future__ import annotations

import pytest
from test_suites_under_faults import L7, REPO, WIRE, _outcomes, _run

MESH = "cilium-ipsec"
KEYS = ("encryption/test_cilium_ipsec.py", "test_every_node_reports_its_ipsec_key[{mesh}]")
L7_ESP = ("encryption/test_cilium_ipsec.py", "test_traffic_through_the_l7_proxy_is_still_esp[{mesh}]")
FAULTS = {"l7-bypass": (L7,), "plaintext": (WIRE, L7_ESP), "ipsec-key-missing": (KEYS,)}


def _suites(checks: tuple[tuple[str, str], ...]) -> list[str]:
    return sorted({str(REPO / "tests" / suite) for suite, _ in checks})


def test_each_fault_turns_its_suite_red(pytester: pytest.Pytester) -> None:
    every = tuple(c for checks in FAULTS.values() for c in checks)
    healthy = _outcomes(_run(pytester, *_suites(every), f"--mesh={MESH}"))
    for _, test in every:
        assert healthy.get(test.format(mesh=MESH)) == "PASSED", f"without a fault {test} must pass: {healthy}"
    wrong = {}
    for fault, checks in FAULTS.items():
        broken = _outcomes(_run(pytester, *_suites(checks), f"--mesh={MESH}", f"--mesh-sim-fault={fault}"))
        wrong.update({f"{fault}: {t}": broken.get(t.format(mesh=MESH)) for _, t in checks
                      if broken.get(t.format(mesh=MESH)) != "FAILED"})
    assert not wrong, f"tests that did not fail under their fault: {wrong}"
