"""Start and stop a simulated cluster as a subprocess (`python -m pytest_meshscale.cli sim up ...`), so
the sim has its own interpreter and core instead of sharing the test process's GIL.

The sim never outlives the process that started it: it is given `--parent-pid` and stops (removing its
temporary directory, kubeconfig included) as soon as that process is gone, SIGKILL included. Only a kept
sim (`keep=True`, `--mesh-keep`) is left running on purpose: it runs in its own session (a Ctrl-C at the
terminal does not reach it), does not watch its parent, and `detach()` says how to stop it.
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
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from .command import READY_PREFIX

__all__ = ["SimProcess", "SimStartError"]

KILL_AFTER_INTERRUPT_S = 5.0  # an interrupted start does not wait the full stop timeout for the sim


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
        keep: bool = False,
    ) -> None:
        # Removed by close(), by the sim itself when it stops (--remove-on-exit), or at the latest when this
        # object goes (the finalizer) -- except for a kept sim: detach() cancels the finalizer.
        self.tmp_dir = Path(tempfile.mkdtemp(prefix="meshscale-sim-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.tmp_dir, ignore_errors=True)
        self.kubeconfig = Path(kubeconfig) if kubeconfig else self.tmp_dir / "kubeconfig"
        self.keep = keep
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
            "--remove-on-exit",
            str(self.tmp_dir),
        ]
        self.argv += ["--nodes", str(nodes)] if nodes is not None else ["--scale", str(scale)]
        self.argv += [a for f in faults for a in ("--fault", f)]
        self.argv += ["--token-file", str(token_file)] if token_file else []
        self.argv += [] if keep else ["--parent-pid", str(os.getpid())]
        self._stderr_path = self.tmp_dir / "stderr.log"
        self._stderr: IO[str] | None = None
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.ready_line = ""

    @property
    def pid(self) -> int:
        assert self.proc is not None, "SimProcess.start() was not called"
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> tuple[Path, str]:
        """Launch and wait for the ready line; returns (kubeconfig path, server URL).

        On any failure, KeyboardInterrupt included, the sim is stopped (killed if it does not stop quickly)
        and the temporary directory with its admin kubeconfig removed before the exception goes on."""
        try:
            return self._start(timeout)
        except SimStartError:
            self.close()
            raise
        except BaseException:
            self.close(timeout=KILL_AFTER_INTERRUPT_S)
            raise

    def _start(self, timeout: float) -> tuple[Path, str]:
        # A file, not a pipe (a chatty sim never blocks on it), read back through our own descriptor: the
        # sim removes its directory when it stops, and the tail must outlive that.
        self._stderr = open(self._stderr_path, "w+")  # closed in close() or detach()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            self.argv, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env, start_new_session=self.keep
        )
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
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
            if self._stderr is not None and not self._stderr.closed:
                self._stderr.flush()
                self._stderr.seek(0)
                text = self._stderr.read()
            else:
                text = self._stderr_path.read_text()
            return "\n".join(text.splitlines()[-lines:])
        except (OSError, ValueError):
            return "<no stderr>"

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait, and SIGKILL only if it does not exit; returns the exit code."""
        if self.proc is None:
            return None
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            if self.proc.poll() is None:  # interrupted while waiting: never leave the sim behind
                self.proc.kill()
                self.proc.wait()
            if self.proc.stdout:
                self.proc.stdout.close()
        return self.proc.returncode

    def close(self, timeout: float = 15.0) -> None:
        """Stop the sim, then remove the temporary directory (the sim removes it too when it stops)."""
        try:
            self.stop(timeout)
        finally:
            if self._stderr is not None:
                self._stderr.close()
            self._cleanup()

    def detach(self) -> str:
        """Leave a started sim running (`keep=True`) and say, in one line, where it is and how to stop it.

        The kubeconfig and the temporary directory stay until the sim stops: SIGTERM (`kill PID`) makes it
        remove them itself."""
        assert self.proc is not None, "SimProcess.start() was not called"
        if self.proc.poll() is not None:
            code = self.proc.returncode
            self.close()
            return f"pid {self.proc.pid} had already exited (code {code}): nothing was kept"
        self._cleanup.detach()  # the directory holds the kubeconfig: it stays until the sim stops
        if self.proc.stdout:
            self.proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
        watching = "" if self.keep else "; it stops when this process exits (keep=False)"
        return (
            f"pid {self.proc.pid}, kubeconfig {self.kubeconfig}, log {self._stderr_path}; stop it with "
            f"`kill {self.proc.pid}` (it then removes {self.tmp_dir} itself){watching}"
        )

    def __enter__(self) -> SimProcess:
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
