"""render_dry_run(): the plan as text for `--mesh-dry-run`, every step in order with its exact command
line (shell-quoted, ready to paste), its manifest, its guard, then the uninstall in the order it runs."""

from __future__ import annotations

import shlex

from ...meshes.install.steps import Plan, Step, uninstall_steps

__all__ = ["render_dry_run"]


def _step_lines(number: int, step: Step) -> list[str]:
    lines = [f"  {number}. {step.name}", f"     $ {shlex.join(step.argv)}"]
    if step.manifest is not None and step.secret:
        lines.append("     manifest (stdin): a key generated when the plan is built, never printed")
    elif step.manifest is not None:
        lines.append("     manifest (stdin):")
        lines += [f"       {line}" for line in step.manifest.rstrip("\n").splitlines()]
    if step.skip_if is not None:
        lines.append(f"     skipped (and never uninstalled) if this succeeds: {shlex.join(step.skip_if)}")
    return lines


def render_dry_run(plan: Plan) -> str:
    """Nothing is run; the text says so on its first line."""
    lines = [f"meshscale install plan (dry run, nothing is executed): {plan.title}"]
    lines += [f"pinned: {', '.join(f'{k} {v}' for k, v in plan.versions)}"]
    lines += [f"note: {n}" for n in plan.notes]
    lines.append(f"install: {len(plan.steps)} step(s)")
    for i, step in enumerate(plan.steps, 1):
        lines += _step_lines(i, step)
    lines += _undo_lines("uninstall (only what the install ran)", uninstall_steps(plan))
    owner = [s.name for s in plan.steps if s.owns_cluster]
    if owner:  # the cluster was there before the run: its guard skipped creation, so it is kept
        kept = [s.name for s in plan.steps if s.name not in owner]
        lines += _undo_lines("uninstall if the cluster already existed", uninstall_steps(plan, kept))
    return "\n".join(lines) + "\n"


def _undo_lines(heading: str, steps: tuple[Step, ...]) -> list[str]:
    lines = [f"{heading}: {len(steps)} step(s)"]
    for i, step in enumerate(steps, 1):
        lines += _step_lines(i, step)
    return lines
