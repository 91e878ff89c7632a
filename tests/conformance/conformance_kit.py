"""What the conformance checks share: the two backends' launchers, Backend, raw calls and the sim xfail.

`backend` is parametrized over "sim" (the embedded API server, started as `meshscale sim up`) and "kwok"
(a real kube-apiserver + etcd + controller-manager + scheduler + KWOK, `meshscale control-plane up`). The
checks talk to both through the plugin's own cluster layer (KubeCluster), or kubectl where the check is
about kubectl. A check the sim is known to fail is marked `sim_diverges(request, reason)`: a strict xfail
on the sim only, listed in docs/sim-limits.md.

The kwok backend is skipped (with the reason) when its launcher or its binaries are not there; wire a
different launcher by changing `start_kwok` only.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_meshscale.cluster.base import RUN_LABEL
from pytest_meshscale.cluster.errors import Target
from pytest_meshscale.cluster.kube import KubeCluster
from pytest_meshscale.cluster.ratelimit import RateLimit
from pytest_meshscale.sim.process import SimProcess

KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")
RATE = RateLimit(qps=500, burst=200, workers=8)
KWOK_READY = "meshscale-control-plane ready: "
KWOK_START_TIMEOUT_S = 240.0


class KwokUnavailable(Exception):
    """Why the kwok backend cannot start here (becomes the skip reason)."""


def _kwok_bin_dir() -> Path:
    """Binaries from MESHSCALE_K8S_BIN_DIR, else the ones `meshscale control-plane build` left in its cache.
    Never builds: a cold build takes many minutes and needs Go."""
    try:
        from pytest_meshscale.sim.control_plane import build
    except ImportError as exc:
        raise KwokUnavailable(f"pytest_meshscale.sim.control_plane.build cannot be imported ({exc})") from None
    env = os.environ.get("MESHSCALE_K8S_BIN_DIR")
    bin_dir = Path(env) if env else build.cache_base() / "control-plane" / build.pins.cache_key() / "bin"
    try:
        build.find_binaries(bin_dir)
    except build.MissingBinariesError as exc:
        raise KwokUnavailable(f"{exc}; run `meshscale control-plane build` or set MESHSCALE_K8S_BIN_DIR") from None
    return bin_dir


def _stop(proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc: subprocess.Popen[str], err: Path, timeout: float) -> None:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if sel.select(timeout=0.5) and proc.stdout.readline().startswith(KWOK_READY):
                return
    tail = "\n".join(err.read_text(errors="replace").splitlines()[-15:]) if err.exists() else ""
    _stop(proc)
    # Launcher and binaries are there but it did not start: a failure, not a skip.
    raise RuntimeError(f"`meshscale control-plane up` was not ready within {timeout:g}s "
                       f"(exit code {proc.returncode}): {tail}")


@contextlib.contextmanager
def start_kwok(tmp_path: Path) -> Iterator[Path]:
    """Start the real control plane (mesh cilium, smoke profile) and yield its kubeconfig path; stop it after.

    Raises KwokUnavailable when it cannot start here. The launcher is the `meshscale control-plane up` command
    (pytest_meshscale/sim/control_plane); when provision/kwok.py offers a process class, call it here instead."""
    try:
        from pytest_meshscale.sim.control_plane import command  # noqa: F401  (the launcher must exist)
    except ImportError as exc:
        raise KwokUnavailable(f"pytest_meshscale.sim.control_plane.command cannot be imported ({exc})") from None
    bin_dir = _kwok_bin_dir()
    from pytest_meshscale.sim.control_plane import objects
    if problem := objects.crd_problem("cilium"):
        raise KwokUnavailable(problem)
    kubeconfig, err, scratch = tmp_path / "kwok.kubeconfig", tmp_path / "kwok.stderr", tmp_path / "kwok-run"
    scratch.mkdir(exist_ok=True)
    argv = [sys.executable, "-m", "pytest_meshscale.cli", "control-plane", "up", "--mesh", "cilium",
            "--scale", "smoke", "--kubeconfig", str(kubeconfig), "--bin-dir", str(bin_dir),
            "--parent-pid", str(os.getpid()), "--remove-on-exit", str(scratch)]
    with err.open("w") as stderr:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, text=True)
        try:
            _wait_ready(proc, err, KWOK_START_TIMEOUT_S)
            yield kubeconfig
        finally:
            _stop(proc)
            if proc.stdout:
                proc.stdout.close()


@contextlib.contextmanager
def start_sim(tmp_path: Path) -> Iterator[Path]:
    with SimProcess(mesh="cilium", scale="smoke", kubeconfig=tmp_path / "sim.kubeconfig") as sim:
        yield sim.kubeconfig


@dataclass
class Backend:
    """One running API server: its kubeconfig, a KubeCluster factory and kubectl against it."""

    name: str  # "sim" or "kwok"
    kubeconfig: Path
    run_id: str = field(default_factory=lambda: f"conf-{uuid.uuid4().hex[:6]}")
    _clusters: list[KubeCluster] = field(default_factory=list)

    def cluster(self, kubeconfig: Path | str | None = None, run_id: str | None = None) -> KubeCluster:
        made = KubeCluster(str(kubeconfig or self.kubeconfig), None, run_id or self.run_id, self.name,
                           f"conformance-{self.name}", RATE)
        self._clusters.append(made)
        return made

    def kubectl(self, *args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        if KUBECTL is None:
            pytest.skip("kubectl not found next to the venv's python nor on PATH")
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}
        done = subprocess.run([KUBECTL, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({done.returncode}): {done.stderr}")
        return done

    def close(self) -> None:
        for c in self._clusters:
            c.close()


def sim_diverges(request: pytest.FixtureRequest, backend: Backend, reason: str) -> None:
    """A known difference of the sim from kube-apiserver: strict xfail on the sim only (docs/sim-limits.md)."""
    if backend.name == "sim":
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"sim differs from kube-apiserver: {reason}"))


def call(cluster: KubeCluster, method: str, path: str, *, body: Any = None, query: dict[str, Any] | None = None,
         content_type: str = "application/json", accept: tuple[int, ...] = ()) -> Any:
    """One raw request through the plugin's Api (rate limit, retries, one-line errors); (status, JSON body)."""
    resp = cluster.api.call(Target(method.lower(), path), method, path, query=query, body=body,
                            content_type=content_type, accept=accept)
    return resp.status, (resp.json() if resp.body else None)


def wait_until(what: str, check: Callable[[], bool], timeout: float = 60.0, every: float = 0.1) -> None:
    """For checks that watch nothing (kubectl-level outcomes); API waits use cluster.wait_for (a watch)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(every)


__all__ = ["RUN_LABEL", "Backend", "KwokUnavailable", "call", "sim_diverges", "start_kwok", "start_sim", "wait_until"]
