"""A `meshscale ... up` command run as a child process until it prints its ready line: the part the simulated
cluster (sim/process.py) and the real control plane (sim/control_plane/launcher.py) launch the same way.

Its stderr goes to a file, not a pipe (a chatty child never blocks on it), read back through our own
descriptor: the child removes its temporary directory when it stops, and the tail must outlive that.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO, Any, Self

__all__ = ["ReadyChild", "terminate"]

POLL_S = 0.2


def terminate(proc: subprocess.Popen[Any], timeout: float) -> None:
    """SIGTERM, wait up to `timeout`, SIGKILL only if it does not exit (also when the wait is interrupted)."""
    try:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class ReadyChild:
    """Subclasses set `argv` and `ready_prefix`; `_launch()` starts the child and waits for the line."""

    ready_prefix = ""
    stop_timeout_s = 15.0

    def __init__(self, tmp_prefix: str) -> None:
        self.tmp_dir = Path(tempfile.mkdtemp(prefix=tmp_prefix))
        self.argv: list[str] = []
        self._stderr_path = self.tmp_dir / "stderr.log"
        self._stderr: IO[str] | None = None
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.ready_line = ""

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{type(self).__name__}.start() was not called"
        return self.proc.pid

    def _waiting(self) -> None:
        """Called on every poll while the child starts (the control plane passes its progress lines on)."""

    def _launch(self, timeout: float, new_session: bool = False) -> bool:
        """Start the child and wait for its ready line; False (the child stopped) if it exits or stays silent."""
        self._stderr = open(self._stderr_path, "w+")  # closed in _close_stderr()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env,
                                     start_new_session=new_session)
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                ready = sel.select(timeout=POLL_S)
                self._waiting()
                if ready:
                    line = self.proc.stdout.readline()
                    if line.startswith(self.ready_prefix):
                        self.ready_line = line.strip()
                        self.url = line[len(self.ready_prefix):].split()[0]
                        return True
                    if not line and self.proc.poll() is not None:
                        break
                elif self.proc.poll() is not None:
                    break
        self._waiting()
        self.stop()
        return False

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
            return ""

    def stop(self, timeout: float | None = None) -> int | None:
        """SIGTERM (the child stops what it started), wait, SIGKILL only if it does not exit; the exit code."""
        timeout = self.stop_timeout_s if timeout is None else timeout
        if self.proc is None:
            return None
        try:
            terminate(self.proc, timeout)
        finally:
            if self.proc.stdout:
                self.proc.stdout.close()
        return self.proc.returncode

    def _close_stderr(self) -> None:
        if self._stderr is not None:
            self._stderr.close()

    def start(self, timeout: float | None = None) -> tuple[Path, str]:
        raise NotImplementedError

    def close(self, timeout: float | None = None) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
