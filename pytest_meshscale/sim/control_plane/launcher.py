"""Start `meshscale control-plane up` as a child process and wait for its ready line, as SimProcess does for
the sim: it watches this process (`--parent-pid`) and its own children die with it (PR_SET_PDEATHSIG), so a
killed pytest leaves no etcd or kube-apiserver behind. Its progress lines are passed on while it starts.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .command import PREFIX, READY_PREFIX

__all__ = ["ControlPlaneProcess", "ControlPlaneStartError"]


class ControlPlaneStartError(RuntimeError):
    """`up` exited or was not ready in time; the message is its last stderr line (the one-line reason)."""


class ControlPlaneProcess:
    """`with ControlPlaneProcess("cilium", bin_dir=...) as cp: cp.kubeconfig, cp.url`."""

    def __init__(self, mesh: str, scale: str = "smoke", bin_dir: str | Path | None = None,
                 crds: str | Path | None = None, progress: Callable[[str], None] | None = None,
                 faults: tuple[str, ...] = ()) -> None:
        self.tmp_dir = Path(tempfile.mkdtemp(prefix="meshscale-kwok-"))
        self.kubeconfig = self.tmp_dir / "kubeconfig"
        self.progress = progress
        self.argv = [sys.executable, "-m", "pytest_meshscale.cli", "control-plane", "up", "--mesh", mesh,
                     "--scale", scale, "--kubeconfig", str(self.kubeconfig), "--parent-pid", str(os.getpid()),
                     "--remove-on-exit", str(self.tmp_dir)]
        self.argv += ["--bin-dir", str(bin_dir)] if bin_dir else []
        self.argv += ["--crds", str(crds)] if crds else []
        self.argv += [a for f in faults for a in ("--fault", f)]
        self._stderr_path = self.tmp_dir / "stderr.log"
        self._stderr: IO[str] | None = None
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    @property
    def pid(self) -> int:
        assert self.proc is not None, "ControlPlaneProcess.start() was not called"
        return self.proc.pid

    def start(self, timeout: float = 600.0) -> tuple[Path, str]:
        try:
            return self._start(timeout)
        except BaseException:
            self.close()
            raise

    def _forward(self, offset: int) -> int:
        """Pass on the child's new complete progress lines; returns the new read offset."""
        assert self._stderr is not None
        self._stderr.flush()
        self._stderr.seek(offset)
        text = self._stderr.read()
        done = text[: text.rfind("\n") + 1]
        for line in done.splitlines():
            if self.progress is not None and line.startswith(PREFIX):
                self.progress(line)
        return offset + len(done.encode())

    def _start(self, timeout: float) -> tuple[Path, str]:
        self._stderr = open(self._stderr_path, "w+")  # a file: a chatty child never blocks on a pipe
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env)
        assert self.proc.stdout is not None
        offset, deadline = 0, time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                ready = sel.select(timeout=0.5)
                offset = self._forward(offset)
                if ready:
                    line = self.proc.stdout.readline()
                    if line.startswith(READY_PREFIX):
                        self.url = line[len(READY_PREFIX):].split()[0]
                        return self.kubeconfig, self.url
                    if not line and self.proc.poll() is not None:
                        break
                elif self.proc.poll() is not None:
                    break
        self._forward(offset)
        self.stop()
        raise ControlPlaneStartError(self.last_error(timeout))

    def last_error(self, timeout: float) -> str:
        lines = [ln for ln in self.stderr_tail(50).splitlines() if ln.strip()]
        if self.proc is not None and self.proc.returncode not in (None, 0) and lines:
            return lines[-1]
        return f"{PREFIX}: not ready within {timeout:g} s" + (f"; last line: {lines[-1]}" if lines else "")

    def stderr_tail(self, lines: int = 20) -> str:
        try:
            if self._stderr is not None and not self._stderr.closed:  # the file may be gone: read our descriptor
                self._stderr.flush()
                self._stderr.seek(0)
                text = self._stderr.read()
            else:
                text = self._stderr_path.read_text()
            return "\n".join(text.splitlines()[-lines:])
        except (OSError, ValueError):
            return ""

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (it stops its children in order), SIGKILL if it does not exit in time."""
        if self.proc is None:
            return None
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()  # its children die with it (PR_SET_PDEATHSIG)
                    self.proc.wait()
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stdout:
                self.proc.stdout.close()
        return self.proc.returncode

    def close(self, timeout: float = 30.0) -> None:
        try:
            self.stop(timeout)
        finally:
            if self._stderr is not None:
                self._stderr.close()
            shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def __enter__(self) -> ControlPlaneProcess:
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
