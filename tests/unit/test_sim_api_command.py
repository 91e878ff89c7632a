"""`meshscale sim` on the command line: help, bad input (one line, exit 2), ready line, clean SIGTERM."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_meshscale.sim.command import main
from pytest_meshscale.sim.process import SimProcess


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_meshscale.cli", "sim", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_lists_up() -> None:
    done = _run("--help")
    assert done.returncode == 0
    assert "up" in done.stdout
    done = _run("up", "--help")
    assert done.returncode == 0
    assert "--mesh" in done.stdout
    assert "--fault" in done.stdout


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["up", "--mesh", "linkerd", "--kubeconfig", "k"], "linkerd"),
        (["up", "--mesh", "cilium", "--kubeconfig", "k", "--scale", "huge"], "huge"),
        (["up", "--mesh", "cilium", "--kubeconfig", "k", "--nodes", "0"], "--nodes"),
        (["up", "--mesh", "cilium", "--kubeconfig", "k", "--fault", "nope"], "nope"),
        (
            ["up", "--mesh", "cilium", "--kubeconfig", "k", "--token-file", "/does/not/exist"],
            "/does/not/exist",
        ),
        (["up", "--mesh", "cilium"], "--kubeconfig"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], named: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert named in err
    assert "Traceback" not in err


def test_ready_line_and_clean_sigterm(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc.yaml"
    sim = SimProcess(mesh="istio-ambient", nodes=7, kubeconfig=kubeconfig)
    path, url = sim.start()
    assert path == kubeconfig
    assert kubeconfig.is_file()
    assert url.startswith("https://127.0.0.1:")
    assert sim.ready_line == f"meshscale-sim ready: {url} mesh=istio-ambient nodes=8 kubeconfig={kubeconfig}"
    assert sim.stop() == 0
    assert kubeconfig.is_file()
    sim.close()
