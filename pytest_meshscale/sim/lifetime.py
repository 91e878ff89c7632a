"""The child side of a `meshscale sim up` / `meshscale control-plane up` started by a run (sim/child.py is the
parent side): it must never outlive the process that started it, and never overwrite a kubeconfig by mistake.

The parent is watched by polling getppid(): when a process dies its children are re-parented, so the value
changes whichever thread started us and however the parent died (SIGKILL included). PR_SET_PDEATHSIG is not
used for this process, as it fires when the parent *thread* that started it exits.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

__all__ = ["OneLineParser", "Stopped", "UsageError", "kubeconfig_problem", "remove", "watch_parent"]

PARENT_POLL_S = 0.2


class UsageError(Exception):
    """Bad command line or environment: one line to stderr, exit 2 (never argparse's usage dump)."""


class OneLineParser(argparse.ArgumentParser):
    """An up command's parser: a bad argument is a UsageError naming the command (its `prog`)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


class Stopped(BaseException):
    """SIGINT/SIGTERM before the cluster was ready: unwinds the start-up (a BaseException, as KeyboardInterrupt)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def kubeconfig_problem(path: Path, force: bool) -> str | None:
    """Why --kubeconfig PATH cannot be written (the command prefixes it), or None."""
    if path.is_dir():
        return f"--kubeconfig {path} is a directory; give a file path"
    if (path.exists() or path.is_symlink()) and not force:
        return f"--kubeconfig {path} already exists (give --force to overwrite it)"
    return None


def remove(path: Path | None) -> None:
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


def watch_parent(parent_pid: int, folder: Path | None, say: Callable[[str], None], grace_s: float) -> None:
    """Once `parent_pid` is no longer our parent: SIGTERM to ourselves (the clean stop), then, if that has not
    ended us within `grace_s`, remove `folder` and exit hard."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        say(f"parent process {parent_pid} is gone; stopping")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace_s)
        say("did not stop in time after its parent was gone; exiting")
        remove(folder)
        os._exit(1)

    threading.Thread(target=watch, name="meshscale-parent-watch", daemon=True).start()
