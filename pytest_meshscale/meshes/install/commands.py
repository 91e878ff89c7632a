"""Step builders shared by the mesh plans: a Helm release, a waited-for rollout, a namespace manifest.
Every install step carries its guard (skip when present) and its undo, so uninstall mirrors install."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .steps import Step, Target

__all__ = ["HelmRelease", "PlanError", "helm_release", "namespace_step", "rollout", "wait_nodes"]

WAIT_TIMEOUT = "10m"  # a cold kind node pulls every image once; GitHub runners are slow at that


class PlanError(ValueError):
    """A plan cannot be built from these arguments (one line: what was wrong, what is accepted)."""


@dataclass(frozen=True, slots=True)
class HelmRelease:
    name: str
    chart: str
    repo: str
    version: str
    namespace: str
    values: Sequence[Path] = ()
    sets: Sequence[str] = ()  # --set key=value, shown in the dry run exactly as passed


def helm_release(target: Target, r: HelmRelease) -> Step:
    """`helm install` pinned to a version, from the repo URL (no `helm repo add`: no state left behind)."""
    values = [arg for path in r.values for arg in ("-f", str(path))]
    sets = [arg for kv in r.sets for arg in ("--set", kv)]
    argv = target.helm("install", r.name, r.chart, "--repo", r.repo, "--version", r.version,
                       "--namespace", r.namespace, *values, *sets, "--wait", "--timeout", WAIT_TIMEOUT)
    return Step(
        name=f"helm-{r.name}",
        argv=argv,
        skip_if=target.helm("status", r.name, "--namespace", r.namespace),
        undo=Step(f"uninstall-{r.name}", target.helm("uninstall", r.name, "--namespace", r.namespace, "--wait")),
    )


def rollout(target: Target, namespace: str, workload: str) -> Step:
    """Wait for a DaemonSet/Deployment rollout: status-based, not a pod-listing loop."""
    argv = target.kubectl("--namespace", namespace, "rollout", "status", workload, f"--timeout={WAIT_TIMEOUT}")
    return Step(f"wait-{workload.replace('/', '-')}", argv)


def wait_nodes(target: Target) -> Step:
    return Step("wait-nodes", target.kubectl("wait", "--for=condition=Ready", "nodes", "--all",
                                             f"--timeout={WAIT_TIMEOUT}"))


def namespace_step(target: Target, name: str) -> Step:
    manifest = (f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
                f"  labels:\n    app.kubernetes.io/managed-by: pytest-meshscale\n")
    return Step(
        name=f"namespace-{name}",
        argv=target.kubectl("apply", "-f", "-"),
        manifest=manifest,
        skip_if=target.kubectl("get", "namespace", name),
        undo=Step(f"delete-namespace-{name}", target.kubectl("delete", "namespace", name, "--wait=true")),
    )
