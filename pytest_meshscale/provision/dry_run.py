"""--mesh-dry-run: every step a run would take for each mesh on the chosen cluster, in order (commands
shell-quoted, manifests in full), as text. Nothing is executed, no cluster is contacted, and kind, kubectl
or helm need not be installed: the text is built from the same plans the run executes.
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

from ..cluster.base import RUN_LABEL
from .installer import Plan, Step, access_checks, install_checks, plan_for, render_dry_run
from .kind import KIND_CONFIGS, kind_paths
from .preflight import SSAR_PATH, pool_need
from .providers import kubeconfig_path
from .settings import Settings

__all__ = ["render"]


def render(settings: Settings) -> str:
    meshes = ", ".join(settings.meshes)
    lines = [f"meshscale dry run (nothing is executed): cluster {settings.cluster}, meshes {meshes}, "
             f"scale {settings.scale}, mesh install {settings.install}"]
    for mesh in settings.meshes:
        lines += ["", f"=== {mesh} on {settings.cluster} ==="]
        lines += {"sim": _sim, "kind": _kind, "existing": _existing, "kwok": _kwok}[settings.cluster](settings, mesh)
        lines.append(f"then: the tests; at the end every object labelled {RUN_LABEL}=<run id> is deleted"
                     + (" (not with --mesh-keep)" if not settings.keep else " -- not now: --mesh-keep"))
    return "\n".join(lines) + "\n"


def _sim(settings: Settings, mesh: str) -> list[str]:
    argv = ["python", "-m", "pytest_meshscale.cli", "sim", "up", "--mesh", mesh, "--scale", settings.scale,
            "--kubeconfig", "<temporary dir>/kubeconfig", *[a for f in settings.faults for a in ("--fault", f)]]
    return [f"  1. start the simulated cluster (on 127.0.0.1; it comes with {mesh}, nothing is installed)",
            f"     $ {shlex.join(argv)}"]


def _kwok(settings: Settings, mesh: str) -> list[str]:
    bins = settings.k8s_bin_dir or "<built once from the pinned Go modules, cached>"
    argv = ["python", "-m", "pytest_meshscale.cli", "control-plane", "up", "--mesh", mesh, "--scale",
            settings.scale, "--kubeconfig", "<temporary dir>/kubeconfig", "--bin-dir", bins,
            *(["--crds", settings.crds] if settings.crds else [])]
    return [f"  1. start a real control plane (etcd, kube-apiserver, controller-manager, scheduler, KWOK nodes) on "
            f"127.0.0.1 with {mesh}'s upstream CRDs and components; nothing is installed; the data plane is "
            f"SIMULATED", f"     $ {shlex.join(argv)}"]


def _kind(settings: Settings, mesh: str) -> list[str]:
    name, kubeconfig = kind_paths(mesh)
    plan = plan_for("kind", mesh, settings.versions, cluster_name=name, kubeconfig=str(kubeconfig))
    image = settings.versions.node_image(mesh)
    steps = [_kind_cluster_step(s, name, kubeconfig, image, mesh) if s.owns_cluster else s for s in plan.steps]
    if settings.install == "skip":
        steps = [s for s in steps if s.owns_cluster]
    lines = [f"kind and kubectl from {_tool_source(settings)}; never downloaded. The cluster is created through "
             f"pytest-kind-ng's KindCluster.create(config_file=...), re-used if it exists, and deleted at the end "
             f"only if this run created it" + (" -- kept now: --mesh-keep" if settings.keep else "")]
    if settings.install == "auto":
        lines.append(f"mesh install: auto (each step skipped if present; after the cluster step, {mesh} is "
                     f"installed only if its driver does not detect it)")
    return lines + render_dry_run(replace(plan, steps=tuple(steps))).splitlines()


def _kind_cluster_step(step: Step, name: str, kubeconfig: Path, image: str, mesh: str) -> Step:
    """The cluster step exactly as pytest-kind-ng's KindCluster.create() / delete() run it."""
    create = ("kind", "create", "cluster", f"--name={name}", f"--kubeconfig={kubeconfig}", f"--image={image}",
              "--config", str(KIND_CONFIGS / f"{mesh}.yaml"))
    undo = ("kind", "delete", "cluster", f"--name={name}", f"--kubeconfig={kubeconfig}")
    return replace(step, argv=create, undo=replace(step.undo, argv=undo) if step.undo else None)


def _tool_source(settings: Settings) -> str:
    given = [f"--mesh-{k}-bin={v}" for k, v in settings.tools.items()]
    return ", ".join(given) + " / PATH" if given else "PATH (or --mesh-kind-bin / --mesh-kubectl-bin)"


def _existing(settings: Settings, mesh: str) -> list[str]:
    kubeconfig = kubeconfig_path(settings.kubeconfig)
    checks = access_checks(mesh)
    lines = [
        f"preflight (reads, and SelfSubjectAccessReviews, which create nothing), kubeconfig {kubeconfig}, "
        f"context {settings.context or '(current context)'}:",
        "  1. GET /version",
        f"  2. POST {SSAR_PATH} x {len(checks)}: {', '.join(map(str, checks))}",
        "  3. GET /api/v1/nodes: " + "; ".join(pool_need(p) for p in settings.profile.pools),
        f"  4. detect {mesh} through the API (its mesh driver)",
    ]
    if settings.install == "skip":
        return [*lines, f"mesh install: skip ({mesh} must be installed already; --mesh-install=auto installs it)"]
    plan: Plan = plan_for("existing", mesh, settings.versions, kubeconfig=settings.kubeconfig or None,
                          context=settings.context or None)
    needs = ", ".join(map(str, install_checks(mesh))) or "nothing"
    lines.append(f"mesh install: auto, only if step 4 finds no {mesh}; first checked with SelfSubjectAccessReview: "
                 f"{needs}")
    return lines + render_dry_run(plan).splitlines()
