"""`meshscale sim` on the command line: help, bad input (one line, exit 2), ready line, clean SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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
        (["up", "--mesh", "nomesh", "--kubeconfig", "k"], "nomesh"),
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


def _up(*args: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "pytest_meshscale.cli", "sim", "up", "--mesh", "baseline", *args]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_an_existing_kubeconfig_is_refused_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "config"
    mine.write_text("my own kubeconfig\n")
    assert main(["up", "--mesh", "baseline", "--kubeconfig", str(mine)]) == 2
    err = capsys.readouterr().err
    assert err == f"meshscale sim: --kubeconfig {mine} already exists (give --force to overwrite it)\n"
    assert mine.read_text() == "my own kubeconfig\n"
    assert main(["up", "--mesh", "baseline", "--kubeconfig", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_force_overwrites_the_kubeconfig(tmp_path: Path) -> None:
    mine = tmp_path / "config"
    mine.write_text("stale\n")
    sim = _up("--kubeconfig", str(mine), "--force")
    try:
        assert sim.stdout is not None
        assert sim.stdout.readline().startswith("meshscale-sim ready: ")
        assert "current-context: meshscale-sim-baseline" in mine.read_text()
    finally:
        sim.send_signal(signal.SIGTERM)
        assert sim.wait(timeout=20) == 0


def _until_it_catches(pid: int, sig: int, timeout_s: float = 60) -> None:
    """Until process `pid` has a handler for `sig` (SigCgt in /proc/PID/status): a fixed 1 s sleep was too short
    for its imports on a loaded machine, and the signal then killed it before it could handle it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        fields = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                      if ":\t" in line)
        if int(fields["SigCgt"], 16) >> (sig - 1) & 1:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} did not catch signal {sig} within {timeout_s:g} s")


def test_sigterm_during_start_up_stops_at_once(tmp_path: Path) -> None:
    """Not after the start-up nobody waits for any more (here 60 s of components turning Ready)."""
    kubeconfig = tmp_path / "kc"
    sim = _up("--kubeconfig", str(kubeconfig), "--fault", "slow-ready=60")
    try:
        _until_it_catches(sim.pid, signal.SIGTERM)  # before that, the default action kills it: not the case tested
        time.sleep(0.5)
        sent = time.monotonic()
        sim.send_signal(signal.SIGTERM)
        assert sim.wait(timeout=20) == 128 + signal.SIGTERM
        assert time.monotonic() - sent < 10
        assert sim.stderr is not None
        assert sim.stderr.read() == "meshscale sim: SIGTERM before the cluster was ready; stopped\n"
        assert not kubeconfig.exists()
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()


def test_a_gone_parent_pid_stops_the_sim_at_once(tmp_path: Path) -> None:
    """--parent-pid names a process that is not our parent any more: the sim stops instead of running on."""
    (tmp_path / "own").mkdir()
    sim = _up("--kubeconfig", str(tmp_path / "kc"), "--parent-pid", str(os.getpid() + 1_000_000),
              "--remove-on-exit", str(tmp_path / "own"))
    assert sim.wait(timeout=20) in (0, 128 + signal.SIGTERM)
    assert sim.stderr is not None
    assert "parent process" in sim.stderr.read()
    assert not (tmp_path / "own").exists()
