"""The plugin's own tests pass with or without `--alluredir`: an in-process pytester run (with Allure of its
own, or without) never reaches the outer run's Allure listeners (the root conftest.py gives it a fresh
allure_commons registry). Checked on a real outer pytest run in a subprocess, with and without the root
conftest (without it, the outer run breaks as it did: KeyError in allure_commons)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("allure_pytest", reason="allure-pytest not installed")

ROOT_CONFTEST = Path(__file__).resolve().parents[2] / "conftest.py"

INNER = """
import allure

@allure.label("inner", "yes")
def test_inner_one():
    allure.dynamic.label("mesh", "cilium")

def test_inner_two():
    with allure.step("inner step"):
        pass
"""

OUTER = f'''
import pytest

INNER = {INNER!r}

def test_inner_run_with_its_own_alluredir(pytester):
    pytester.makepyfile(test_inner=INNER)
    inner = pytester.path / "inner-results"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--alluredir={{inner}}")
    result.assert_outcomes(passed=2)
    assert len(list(inner.glob("*-result.json"))) == 2

def test_inner_run_without_allure(pytester):
    pytester.makepyfile(test_inner=INNER)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
'''


def _outer(pytester: pytest.Pytester, with_conftest: bool, alluredir: Path | None) -> pytest.RunResult:
    conftest = ROOT_CONFTEST.read_text() if with_conftest else 'pytest_plugins = ["pytester"]\n'
    pytester.makeconftest(conftest)
    pytester.makepyfile(test_outer=OUTER)
    args = ["-p", "no:cacheprovider", "-p", "no:meshscale", "-o", "addopts="]
    args += [f"--alluredir={alluredir}"] if alluredir else []
    return pytester.runpytest_subprocess(*args, timeout=120)


@pytest.mark.parametrize("with_alluredir", [True, False])
def test_inner_runs_are_isolated_from_the_outer_allure(pytester: pytest.Pytester, with_alluredir: bool) -> None:
    outer = pytester.path / "outer-results" if with_alluredir else None
    result = _outer(pytester, with_conftest=True, alluredir=outer)
    result.assert_outcomes(passed=2)
    if outer is not None:
        results = [json.loads(p.read_text()) for p in outer.glob("*-result.json")]
        assert sorted(r["name"] for r in results) == [
            "test_inner_run_with_its_own_alluredir",
            "test_inner_run_without_allure",
        ]
        labels = {(lb["name"], lb["value"]) for r in results for lb in r.get("labels", [])}
        assert ("inner", "yes") not in labels and ("mesh", "cilium") not in labels  # no inner label leaked
        assert not [s for r in results for s in r.get("steps", []) if s["name"] == "inner step"]


def test_without_the_root_conftest_the_outer_allure_breaks(pytester: pytest.Pytester) -> None:
    """The control: the failure the root conftest prevents is real (this test proves the check above bites)."""
    result = _outer(pytester, with_conftest=False, alluredir=pytester.path / "outer-results")
    assert result.ret != 0
    assert "allure_commons" in result.stdout.str()
