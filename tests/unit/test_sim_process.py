"""SimProcess and its sim with real signals to real processes: a sim never outlives the process that started
it (SIGKILL included, during start-up too, whichever thread started it), an interrupted start leaves neither
the sim nor its admin kubeconfig behind, a kept sim stays until `kill PID` and then removes its own files,
and a `meshscale sim up` started by hand is not tied to its parent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_meshscale.sim.process import SimProcess

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and re-parenting")

SLOW_START = "slow-ready=60"  # the sim's components take 60 s to turn Ready: a start-up long enough to interrupt

# A parent process for the sim: starts it the way the plugin does and reports, one JSON line each, the sim's
# pid and files as soon as it is spawned, then "ready"; then it waits to be killed.
DRIVER = textwrap.dedent(
    """
    import json, sys, threading, time
    from pytest_meshscale.sim.process import SimProcess

    faults, from_thread, keep = json.loads(sys.argv[1]), sys.argv[2] == "thread", sys.argv[3] == "keep"
    sim = SimProcess(mesh="baseline", faults=faults, keep=keep)

    def report():
        while sim.proc is None:
            time.sleep(0.005)
        info = {"pid": sim.proc.pid, "tmp": str(sim.tmp_dir), "kubeconfig": str(sim.kubeconfig)}
        print(json.dumps(info), flush=True)

    threading.Thread(target=report, daemon=True).start()
    if from_thread:  # the thread that starts the sim ends at once (PR_SET_PDEATHSIG would fire here)
        starter = threading.Thread(target=sim.start, kwargs={"timeout": 120})
        starter.start()
        starter.join()
    else:
        sim.start(timeout=120)
    print("ready", flush=True)
    if keep:
        print("detached: " + sim.detach(), flush=True)
        sys.exit(0)
    time.sleep(600)
    """
)

# `meshscale sim up` as a user starts it (no --parent-pid), from a parent that then dies.
STANDALONE = textwrap.dedent(
    """
    import subprocess, sys
    argv = [sys.executable, "-m", "pytest_meshscale.cli", "sim", "up", "--mesh", "baseline",
            "--kubeconfig", sys.argv[1]]
    sim = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    print(sim.pid, flush=True)
    print(sim.stdout.readline(), end="", flush=True)
    import time; time.sleep(600)
    """
)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def wait_gone(pid: int, timeout: float) -> float:
    """Seconds until pid is gone; fails after timeout."""
    start = time.monotonic()
    while alive(pid):
        if time.monotonic() - start > timeout:
            pytest.fail(f"process {pid} still running {timeout:g} s later")
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.fixture
def spawned() -> Iterator[list[int]]:
    """Pids to kill if a test fails half-way (never left running)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def _driver(tmp_path: Path, faults: list[str], thread: bool = False, keep: bool = False) -> subprocess.Popen[str]:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    argv = [sys.executable, str(script), json.dumps(faults), "thread" if thread else "main", "keep" if keep else "-"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        assert proc.stderr is not None
        pytest.fail(f"the driver exited early ({proc.wait()}): {proc.stderr.read()[-2000:]}")
    return line.strip()


def _started(proc: subprocess.Popen[str], spawned: list[int]) -> dict[str, Any]:
    spawned.append(proc.pid)
    info: dict[str, Any] = json.loads(_line(proc))
    spawned.append(info["pid"])
    return info


def test_sigkill_of_the_parent_stops_a_ready_sim_and_removes_its_files(tmp_path: Path, spawned: list[int]) -> None:
    parent = _driver(tmp_path, [])
    info = _started(parent, spawned)
    assert _line(parent) == "ready"
    assert Path(info["kubeconfig"]).is_file()
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert wait_gone(info["pid"], timeout=10) < 10
    deadline = time.monotonic() + 5
    while Path(info["tmp"]).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(info["tmp"]).exists(), "the sim removes its directory (admin kubeconfig included) as it stops"


def test_sigkill_of_the_parent_during_start_up_stops_the_sim(tmp_path: Path, spawned: list[int]) -> None:
    parent = _driver(tmp_path, [SLOW_START])
    info = _started(parent, spawned)
    time.sleep(1.0)  # the sim is building its world, far from ready
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert wait_gone(info["pid"], timeout=10) < 10  # not the 60 s its start-up would take
    time.sleep(0.3)
    assert not Path(info["tmp"]).exists()


def test_a_sim_started_from_a_thread_that_ends_keeps_running_while_the_parent_lives(
    tmp_path: Path, spawned: list[int]
) -> None:
    parent = _driver(tmp_path, [], thread=True)
    info = _started(parent, spawned)
    assert _line(parent) == "ready"  # the starting thread has ended
    time.sleep(1.5)
    assert alive(info["pid"]), "the sim must not stop when the thread that started it ends"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    wait_gone(info["pid"], timeout=10)


def test_sigint_during_start_stops_the_sim_and_leaves_no_kubeconfig(tmp_path: Path, spawned: list[int]) -> None:
    parent = _driver(tmp_path, [SLOW_START])
    info = _started(parent, spawned)
    time.sleep(1.0)
    parent.send_signal(signal.SIGINT)  # to the parent only, as `kill -INT`: the sim hears nothing of it
    _, err = parent.communicate(timeout=30)
    assert "KeyboardInterrupt" in err
    assert not alive(info["pid"]), "SimProcess.start must stop its sim on KeyboardInterrupt"
    assert not Path(info["tmp"]).exists(), "the admin kubeconfig's directory must be removed"
    time.sleep(1.0)
    assert not Path(info["tmp"]).exists()  # and nothing re-creates it later


def test_a_kept_sim_outlives_its_parent_until_kill_and_then_removes_its_files(
    tmp_path: Path, spawned: list[int]
) -> None:
    parent = _driver(tmp_path, [], keep=True)
    info = _started(parent, spawned)
    assert _line(parent) == "ready"
    detached = _line(parent)
    assert parent.wait(timeout=30) == 0
    pid, kubeconfig = info["pid"], info["kubeconfig"]
    assert detached.startswith(f"detached: pid {pid}, kubeconfig {kubeconfig}, ")
    assert f"`kill {pid}`" in detached
    time.sleep(1.0)  # its parent is gone: a kept sim does not care
    assert alive(pid)
    assert Path(kubeconfig).is_file()
    os.kill(pid, signal.SIGTERM)
    wait_gone(pid, timeout=20)
    assert not Path(info["tmp"]).exists()


def test_a_sim_started_by_hand_is_not_tied_to_its_parent(tmp_path: Path, spawned: list[int]) -> None:
    script = tmp_path / "standalone.py"
    script.write_text(STANDALONE)
    kubeconfig = tmp_path / "kc.yaml"
    parent = subprocess.Popen([sys.executable, str(script), str(kubeconfig)], stdout=subprocess.PIPE, text=True)
    spawned.append(parent.pid)
    pid = int(_line(parent))
    spawned.append(pid)
    assert _line(parent).startswith("meshscale-sim ready: ")
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    time.sleep(1.5)
    assert alive(pid), "a `meshscale sim up` without --parent-pid runs until it is stopped"
    os.kill(pid, signal.SIGTERM)
    wait_gone(pid, timeout=20)
    assert kubeconfig.is_file()  # a kubeconfig the user named is the user's


def test_stop_and_close_are_idempotent_and_remove_the_directory(tmp_path: Path) -> None:
    sim = SimProcess(mesh="baseline", kubeconfig=tmp_path / "kc")
    sim.start()
    assert sim.stop() == 0
    assert sim.stop() == 0
    sim.close()
    sim.close()
    assert not sim.tmp_dir.exists()
    assert (tmp_path / "kc").is_file()


def test_a_failed_start_removes_the_directory_and_keeps_the_stderr_tail() -> None:
    sim = SimProcess(mesh="baseline", faults=["api-errors=2"])
    with pytest.raises(RuntimeError, match="api-errors") as err:
        sim.start(timeout=30)
    assert "exit code 2" in str(err.value)
    assert not sim.tmp_dir.exists()
    sim.close()
