"""Progress reaches the terminal without -s, at least every 10 s on long waits; and the sim runs the
profile the plugin loaded, even a custom one that calls itself `smoke`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_meshscale import progress
from pytest_meshscale.data import data_path

REPO = Path(__file__).resolve().parents[2]


def test_a_long_wait_says_so_at_least_every_ten_seconds() -> None:
    said: list[str] = []
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    with progress.sink(said.append):
        progress.waiting("load on 500 clients", 120.0, sleep=sleep, clock=lambda: clock[0])
    assert len(said) == 13  # 0, 10, ..., 110 s, then done
    assert said[0] == "meshscale: load on 500 clients: 0/120 s" and said[-1].endswith("done (120 s)")


def test_throttled_progress_keeps_the_last_line() -> None:
    said: list[str] = []
    clock = [0.0]
    with progress.sink(said.append):
        report = progress.every(10.0, clock=lambda: clock[0])
        for second in range(25):
            clock[0] = float(second)
            report(f"{second}/25", second == 24)
    assert said == ["meshscale: 0/25", "meshscale: 10/25", "meshscale: 20/25", "meshscale: 24/25"]


def test_progress_lines_reach_the_terminal_without_dash_s(pytester: pytest.Pytester) -> None:
    """A real run: pytest captures output, yet the fleet's lines are on the terminal, timestamped."""
    pytester.chdir()
    result = pytester.runpytest_subprocess(str(REPO / "tests" / "policy" / "test_policy_l4.py"), "--mesh=cilium",
                                           "-p", "no:cacheprovider", "--rootdir", str(REPO), "-o", "addopts=")
    lines = [line for line in result.outlines if re.match(r"^\d\d:\d\d:\d\d meshscale: ", line)]
    assert any("fleet on sim-cilium: " in line and "deployments available" in line for line in lines), result.stdout
    assert any("teardown on sim-cilium: deleted" in line for line in lines), result.stdout


def test_the_sim_runs_the_profile_the_plugin_loaded(pytester: pytest.Pytester) -> None:
    custom = data_path("profiles", "smoke.yaml").read_text().replace("count: 3", "count: 6", 1)
    assert "name: smoke" in custom  # a user's copy that kept the name
    profile = pytester.path / "mine.yaml"
    profile.write_text(custom)
    pytester.makepyfile(test_nodes="def test_nodes(cluster):\n    assert len(cluster.list('v1', 'Node')) == 7\n")
    result = pytester.runpytest_subprocess("--mesh=baseline", f"--scale={profile}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
