"""Start and stop a simulated cluster as a subprocess (`python -m pytest_meshscale.cli sim up ...`), so
the sim has its own interpreter and core instead of sharing the test process's GIL."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .command import READY_PREFIX

__all__ = ["SimProcess", "SimStartError"]


class SimStartError(RuntimeError):
    """The sim exited or stayed silent before it was ready; the message carries its stderr tail."""


class SimProcess:
    """`with SimProcess(mesh="cilium") as sim: sim.kubeconfig, sim.url` (start() waits for readiness)."""

    def __init__(
        self,
        mesh: str = "baseline",
        scale: str | None = "smoke",
        nodes: int | None = None,
        kubeconfig: str | Path | None = None,
        faults: Sequence[str] = (),
        token_file: str | Path | None = None,
        seed: int = 0,
        port: int = 0,
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="meshscale-sim-")
        self.kubeconfig = Path(kubeconfig) if kubeconfig else Path(self._tmp.name) / "kubeconfig"
        self.argv = [
            sys.executable,
            "-m",
            "pytest_meshscale.cli",
            "sim",
            "up",
            "--mesh",
            mesh,
            "--kubeconfig",
            str(self.kubeconfig),
            "--port",
            str(port),
            "--seed",
            str(seed),
        ]
        self.argv += ["--nodes", str(nodes)] if nodes is not None else ["--scale", str(scale)]
        self.argv += [a for f in faults for a in ("--fault", f)]
        self.argv += ["--token-file", str(token_file)] if token_file else []
        self._stderr_path = Path(self._tmp.name) / "stderr.log"
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.ready_line = ""

    @property
    def pid(self) -> int:
        assert self.proc is not None, "SimProcess.start() was not called"
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> tuple[Path, str]:
        """Launch and wait for the ready line; returns (kubeconfig path, server URL)."""
        self._stderr = open(self._stderr_path, "w")  # a file, not a pipe: a chatty sim never blocks on it
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env)
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sel.select(timeout=0.2):
                line = self.proc.stdout.readline()
                if line.startswith(READY_PREFIX):
                    self.ready_line = line.strip()
                    self.url = line[len(READY_PREFIX) :].split()[0]
                    return self.kubeconfig, self.url
                if not line and self.proc.poll() is not None:
                    break
            elif self.proc.poll() is not None:
                break
        self.stop()
        raise SimStartError(
            f"simulated cluster did not become ready within {timeout:g}s "
            f"(exit code {self.proc.returncode}); stderr tail:\n{self.stderr_tail()}"
        )

    def stderr_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self._stderr_path.read_text().splitlines()[-lines:])
        except OSError:
            return "<no stderr>"

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait, and SIGKILL only if it does not exit; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stderr.close()
        return self.proc.returncode

    def close(self) -> None:
        self.stop()
        self._tmp.cleanup()

    def __enter__(self) -> SimProcess:
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
