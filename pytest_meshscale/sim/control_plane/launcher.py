"""Start `meshscale control-plane up` as a child process and wait for its ready line, as SimProcess does for
the sim: it watches this process (`--parent-pid`) and its own children die with it (PR_SET_PDEATHSIG), so a
killed pytest leaves no etcd or kube-apiserver behind. Its progress lines are passed on while it starts.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from ..child import ReadyChild
from .command import PREFIX, READY_PREFIX

__all__ = ["ControlPlaneProcess", "ControlPlaneStartError"]

START_TIMEOUT_S = 600.0  # 1,000 nodes Ready, and the first start after a build
STOP_TIMEOUT_S = 30.0  # `up` stops five processes in order


class ControlPlaneStartError(RuntimeError):
    """`up` exited or was not ready in time; the message is its last stderr line (the one-line reason)."""


class ControlPlaneProcess(ReadyChild):
    """`with ControlPlaneProcess("cilium", bin_dir=...) as cp: cp.kubeconfig, cp.url`."""

    ready_prefix = READY_PREFIX
    stop_timeout_s = STOP_TIMEOUT_S

    def __init__(self, mesh: str, scale: str = "smoke", bin_dir: str | Path | None = None,
                 crds: str | Path | None = None, progress: Callable[[str], None] | None = None,
                 faults: tuple[str, ...] = ()) -> None:
        super().__init__("meshscale-kwok-")
        self.kubeconfig = self.tmp_dir / "kubeconfig"
        self.progress = progress
        self.argv = [sys.executable, "-m", "pytest_meshscale.cli", "control-plane", "up", "--mesh", mesh,
                     "--scale", scale, "--kubeconfig", str(self.kubeconfig), "--parent-pid", str(os.getpid()),
                     "--remove-on-exit", str(self.tmp_dir)]
        self.argv += ["--bin-dir", str(bin_dir)] if bin_dir else []
        self.argv += ["--crds", str(crds)] if crds else []
        self._offset = 0
        self.argv += [a for f in faults for a in ("--fault", f)]

    @property
    def etcd_metrics_url(self) -> str:
        """etcd's /metrics, from the ready line's `etcd-metrics=URL` (etcd serves it on its client URL)."""
        found = [w.partition("=")[2] for w in self.ready_line.split() if w.startswith("etcd-metrics=")]
        return found[0] if found else ""

    def start(self, timeout: float | None = None) -> tuple[Path, str]:
        timeout = START_TIMEOUT_S if timeout is None else timeout
        try:
            if self._launch(timeout):
                return self.kubeconfig, self.url
            raise ControlPlaneStartError(self.last_error(timeout))
        except BaseException:
            self.close()
            raise

    def _waiting(self) -> None:
        """Pass on the child's new complete progress lines while it starts."""
        assert self._stderr is not None
        self._stderr.flush()
        self._stderr.seek(self._offset)
        text = self._stderr.read()
        done = text[: text.rfind("\n") + 1]
        for line in done.splitlines():
            if self.progress is not None and line.startswith(PREFIX):
                self.progress(line)
        self._offset += len(done.encode())

    def last_error(self, timeout: float) -> str:
        lines = [ln for ln in self.stderr_tail(50).splitlines() if ln.strip()]
        if self.proc is not None and self.proc.returncode not in (None, 0) and lines:
            return lines[-1]
        return f"{PREFIX}: not ready within {timeout:g} s" + (f"; last line: {lines[-1]}" if lines else "")

    def close(self, timeout: float | None = None) -> None:
        try:
            self.stop(timeout)
        finally:
            self._close_stderr()
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
