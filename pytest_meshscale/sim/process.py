"""Start and stop a simulated cluster as a subprocess (`python -m pytest_meshscale.cli sim up ...`), so
the sim has its own interpreter and core instead of sharing the test process's GIL.

The sim never outlives the process that started it: it is given `--parent-pid` and stops (removing its
temporary directory, kubeconfig included) as soon as that process is gone, SIGKILL included. Only a kept
sim (`keep=True`, `--mesh-keep`) is left running on purpose: it runs in its own session (a Ctrl-C at the
terminal does not reach it), does not watch its parent, and `detach()` says how to stop it.
"""

from __future__ import annotations

import os
import shutil
import sys
import weakref
from collections.abc import Sequence
from pathlib import Path

from .child import ReadyChild
from .command import READY_PREFIX

__all__ = ["SimProcess", "SimStartError"]

START_TIMEOUT_S = 60.0
KILL_AFTER_INTERRUPT_S = 5.0  # an interrupted start does not wait the full stop timeout for the sim


class SimStartError(RuntimeError):
    """The sim exited or stayed silent before it was ready; the message carries its stderr tail."""


class SimProcess(ReadyChild):
    """`with SimProcess(mesh="cilium") as sim: sim.kubeconfig, sim.url` (start() waits for readiness)."""

    ready_prefix = READY_PREFIX

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
        agent: bool | None = None,
    ) -> None:
        super().__init__("meshscale-sim-")
        # Removed by close(), by the sim itself when it stops (--remove-on-exit), or at the latest when this
        # object goes (the finalizer) -- except for a kept sim: detach() cancels the finalizer.
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.tmp_dir, ignore_errors=True)
        self.kubeconfig = Path(kubeconfig) if kubeconfig else self.tmp_dir / "kubeconfig"
        self.keep = keep
        self.argv = [sys.executable, "-m", "pytest_meshscale.cli", "sim", "up", "--mesh", mesh,
                     "--kubeconfig", str(self.kubeconfig), "--port", str(port), "--seed", str(seed),
                     "--remove-on-exit", str(self.tmp_dir)]
        self.argv += ["--nodes", str(nodes)] if nodes is not None else ["--scale", str(scale)]
        self.argv += [a for f in faults for a in ("--fault", f)]
        self.argv += ["--token-file", str(token_file)] if token_file else []
        self.argv += [] if keep else ["--parent-pid", str(os.getpid())]
        self.argv += [] if agent is None else ["--agent" if agent else "--no-agent"]  # None: MESHSCALE_SIM_AGENT

    def start(self, timeout: float | None = None) -> tuple[Path, str]:
        """Launch and wait for the ready line; returns (kubeconfig path, server URL).

        On any failure, KeyboardInterrupt included, the sim is stopped (killed if it does not stop quickly)
        and the temporary directory with its admin kubeconfig removed before the exception goes on."""
        timeout = START_TIMEOUT_S if timeout is None else timeout
        try:
            # A kept sim runs in its own session: a Ctrl-C at the terminal does not reach it.
            if self._launch(timeout, new_session=self.keep):
                return self.kubeconfig, self.url
            assert self.proc is not None
            raise SimStartError(
                f"simulated cluster did not become ready within {timeout:g}s "
                f"(exit code {self.proc.returncode}); stderr tail:\n{self.stderr_tail() or '<no stderr>'}"
            )
        except SimStartError:
            self.close()
            raise
        except BaseException:
            self.close(timeout=KILL_AFTER_INTERRUPT_S)
            raise

    def close(self, timeout: float | None = None) -> None:
        """Stop the sim, then remove the temporary directory (the sim removes it too when it stops)."""
        try:
            self.stop(timeout)
        finally:
            self._close_stderr()
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
        self._close_stderr()
        watching = "" if self.keep else "; it stops when this process exits (keep=False)"
        return (
            f"pid {self.proc.pid}, kubeconfig {self.kubeconfig}, log {self._stderr_path}; stop it with "
            f"`kill {self.proc.pid}` (it then removes {self.tmp_dir} itself){watching}"
        )
