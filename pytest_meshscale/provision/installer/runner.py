"""run_plan(): execute a plan step by step with progress lines. The only module here that starts
processes. It never downloads a tool: kind, kubectl and helm come from PATH or explicit paths, and a
missing one is one line saying what to install."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence

from ...meshes.install.steps import Plan, Step, uninstall_steps
from ..tools import Tools

__all__ = ["StepFailed", "run_plan", "run_uninstall"]

class StepFailed(RuntimeError):
    def __init__(self, step: Step, code: int, tail: str, ran: Sequence[str]) -> None:
        super().__init__(f"step {step.name} failed (exit {code}): {tail}")
        self.ran = tuple(ran)  # what did run, so the caller can uninstall exactly that


def _run(tools: Tools, argv: Sequence[str], stdin: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(tools.argv(argv), input=stdin, capture_output=True, text=True, check=False)


def _execute(steps: Sequence[Step], tools: Tools, say: Callable[[str], None], label: str) -> list[str]:
    ran: list[str] = []
    for i, step in enumerate(steps, 1):
        head = f"meshscale {label} [{i}/{len(steps)}] {step.name}"
        if step.skip_if is not None and _run(tools, step.skip_if, None).returncode == 0:
            say(f"{head}: present, skipped (will not be uninstalled)")
            continue
        start = time.monotonic()
        done = _run(tools, step.argv, step.manifest)
        if done.returncode != 0:
            tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
            raise StepFailed(step, done.returncode, tail[0], ran)
        ran.append(step.name)
        say(f"{head}: ok ({time.monotonic() - start:.1f} s)")
    return ran


def run_plan(plan: Plan, tools: Tools, say: Callable[[str], None] = print) -> list[str]:
    """Run the install; returns the names of the steps that ran (pass them to run_uninstall)."""
    return _execute(plan.steps, tools, say, "install")


def run_uninstall(plan: Plan, ran: Sequence[str], tools: Tools, say: Callable[[str], None] = print) -> None:
    _execute(uninstall_steps(plan, ran), tools, say, "uninstall")
