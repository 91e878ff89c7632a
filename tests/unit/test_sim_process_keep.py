"""`--mesh-keep` on the simulated cluster: the sim is left running with its kubeconfig in place after pytest
exits, one line says its pid, the kubeconfig and how to stop it, and `kill PID` stops it and removes its
files. Run in a real child process that exits, as pytest does (the kubeconfig used to be deleted at exit)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_sim_process import alive, wait_gone

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

RUN = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pytest_meshscale import progress
    from pytest_meshscale.data.profiles import load_profile
    from pytest_meshscale.provision.providers import PROVIDERS
    from pytest_meshscale.provision.settings import Settings

    keep = sys.argv[1] == "keep"
    settings = Settings(meshes=("baseline",), scale="smoke", profile=load_profile("smoke"), cluster="sim",
                        context="", kubeconfig="", keep=keep, results_dir=Path("results"), faults=(), sources={})
    with progress.sink(lambda line: print("SAID " + line, flush=True)):
        with PROVIDERS["sim"](settings, "baseline") as target:
            print("KUBECONFIG " + target.kubeconfig, flush=True)
    """
)


def _run(tmp_path: Path, keep: bool) -> tuple[str, list[str]]:
    script = tmp_path / "run.py"
    script.write_text(RUN)
    done = subprocess.run([sys.executable, str(script), "keep" if keep else "-"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    kubeconfig = next(line.split(" ", 1)[1] for line in lines if line.startswith("KUBECONFIG "))
    return kubeconfig, [line.removeprefix("SAID ") for line in lines if line.startswith("SAID ")]


def _answers(kubeconfig: str) -> str:
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=kubeconfig)
    try:
        return str(client.VersionApi(api).get_code().git_version)
    finally:
        api.close()


def test_keep_leaves_the_sim_and_its_kubeconfig_and_says_how_to_stop_it(tmp_path: Path) -> None:
    kubeconfig, said = _run(tmp_path, keep=True)
    kept = [line for line in said if "kept the sim" in line]
    assert len(kept) == 1, said
    found = re.search(r"pid (\d+), kubeconfig (\S+), .*`kill (\d+)`", kept[0])
    assert found, kept[0]
    pid = int(found.group(1))
    try:
        assert found.group(2) == kubeconfig and int(found.group(3)) == pid
        assert kept[0].startswith("meshscale: kept the sim for baseline: ")
        assert Path(kubeconfig).is_file(), "the printed kubeconfig must still be there after pytest exits"
        assert alive(pid)
        assert "meshscale-sim" in _answers(kubeconfig)
        os.kill(pid, signal.SIGTERM)  # what the line says to do
        wait_gone(pid, timeout=20)
        assert not Path(kubeconfig).exists()
        assert not Path(kubeconfig).parent.exists(), "SIGTERM: the sim removes its own temporary directory"
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_without_keep_nothing_is_left(tmp_path: Path) -> None:
    kubeconfig, said = _run(tmp_path, keep=False)
    assert not [line for line in said if "kept" in line]
    assert not Path(kubeconfig).parent.exists()
