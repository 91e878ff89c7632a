"""An install plan: ordered steps, each one command line (argv) with an optional manifest on stdin,
a guard that skips it when its object already exists, and the step that undoes it.

Plans are pure data: building one runs nothing. runner.py executes them; render.py prints them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Plan", "Step", "Target", "uninstall_steps"]


@dataclass(frozen=True, slots=True)
class Step:
    name: str  # unique within a plan; the runner records the names of the steps it ran
    argv: tuple[str, ...]
    manifest: str | None = None  # YAML fed on stdin (argv then ends with `-f -`)
    skip_if: tuple[str, ...] | None = None  # exits 0 => the object exists, the step is skipped, never undone
    undo: Step | None = None
    owns_cluster: bool = False  # undoing it (deleting the cluster) removes everything after it
    secret: bool = False  # the manifest holds a key generated for this plan: a dry run never prints it


@dataclass(frozen=True, slots=True)
class Plan:
    title: str
    cluster_kind: str  # "kind" or "existing"
    mesh: str
    steps: tuple[Step, ...]
    versions: tuple[tuple[str, str], ...]  # what is pinned, for the dry run and the report
    notes: tuple[str, ...] = field(default=())

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    def binaries(self) -> tuple[str, ...]:
        """Each program the plan calls, in first-use order (the runner checks them before step 1)."""
        names = [s.argv[0] for s in self.steps] + [u.argv[0] for s in self.steps if (u := s.undo)]
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True, slots=True)
class Target:
    """Which cluster kubectl and helm talk to: a kubeconfig file and/or a context (None = their defaults)."""

    kubeconfig: str | None = None
    context: str | None = None

    def kubectl(self, *args: str) -> tuple[str, ...]:
        return ("kubectl", *self._flags("--context"), *args)

    def helm(self, *args: str) -> tuple[str, ...]:
        return ("helm", *args, *self._flags("--kube-context"))

    def _flags(self, context_flag: str) -> tuple[str, ...]:
        flags = ("--kubeconfig", self.kubeconfig) if self.kubeconfig else ()
        return flags + ((context_flag, self.context) if self.context else ())


def uninstall_steps(plan: Plan, ran: Iterable[str] | None = None) -> tuple[Step, ...]:
    """The undo steps, newest first, for the steps that actually ran (default: all of them).

    A skipped step (its object existed before) is never in `ran`, so what the run found stays. When the
    plan created the cluster, deleting it is the whole uninstall.
    """
    done = set(s.name for s in plan.steps) if ran is None else set(ran)
    undone = [s for s in plan.steps if s.name in done and s.undo is not None]
    owner = next((s for s in undone if s.owns_cluster), None)
    if owner is not None and owner.undo is not None:
        return (owner.undo,)
    return tuple(s.undo for s in reversed(undone) if s.undo is not None)
