"""Around a kind or existing cluster (settings.mesh_setup, entered by the providers): the preflight, then
the mesh install.

Existing clusters get the preflight before the run creates anything: the context and API version, every
permission the run needs (SelfSubjectAccessReview), the nodes against the profile's pools. Then, on both,
the mesh is detected with its driver; if absent, --mesh-install=auto installs it with the pinned plan
(readiness waited by the plan's own steps) and uninstalls exactly what it installed at the end, unless
--mesh-keep or the run deletes the whole kind cluster anyway. Every refusal is one ClusterError line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .. import progress
from ..cluster.base import ClusterError
from ..cluster.ratelimit import RateLimit
from ..meshes import MeshNotFound, driver_for
from .installer import OPTIONAL, Plan, access_checks, install_checks, plan_for, ssar_body
from .installer.runner import StepFailed, run_plan, run_uninstall
from .preflight import access_allowed, denied_line, kubeconfig_context, pool_shortfalls, run_access_denied
from .settings import Settings
from .target import ClusterTarget
from .tools import Tools, resolve_tools

if TYPE_CHECKING:
    from ..cluster.kube import KubeCluster

__all__ = ["check_cluster", "install_plan", "mesh_setup", "preflight", "prepare_early"]

Say = Callable[[str], None]


def prepare_early(settings: Settings, items: Sequence[Any], collect_only: bool) -> bool:
    """Whether to open the real clusters right after collection: some collected test needs one."""
    needs = any("cluster" in getattr(item, "fixturenames", ()) for item in items)
    return settings.cluster != "sim" and needs and not collect_only


def install_plan(settings: Settings, target: ClusterTarget, mesh: str) -> Plan:
    """The plan that installs `mesh` into this cluster; on kind without the cluster step (KindCluster made it)."""
    if target.kind == "kind":
        plan = plan_for("kind", mesh, settings.versions, cluster_name=target.name.removeprefix("kind-"),
                        kubeconfig=target.kubeconfig)
        return replace(plan, steps=tuple(s for s in plan.steps if not s.owns_cluster))
    return plan_for("existing", mesh, settings.versions, kubeconfig=target.kubeconfig, context=target.context)


def _denied(cluster: KubeCluster, checks: tuple[Any, ...]) -> list[Any]:
    allowed = access_allowed(cluster.api, [ssar_body(p) for p in checks])
    return [p for p, ok in zip(checks, allowed, strict=True) if not ok]


def preflight(cluster: KubeCluster, settings: Settings, target: ClusterTarget, mesh: str, say: Say) -> None:
    """The existing-cluster checks that need no mesh knowledge; ClusterError (one line) on the first failure."""
    context, server = kubeconfig_context(target.kubeconfig, target.context)
    say(f"meshscale preflight: context {context}, server {server}, Kubernetes {cluster.server_version()}")
    checks = access_checks(mesh)
    denied = run_access_denied(cluster.api, checks, mesh)
    required = [d for d in denied if d.permission not in OPTIONAL]
    if required:
        # baseline adds no rules, so it has no role file of its own
        raise ClusterError(denied_line(required, mesh if driver_for(mesh).permissions else ""))
    say(f"meshscale preflight: {len(checks) - len(denied)} permissions allowed (SelfSubjectAccessReview)")
    for d in denied:  # only optional ones are left: the run goes on without what they serve
        p = d.permission
        grant = f"nonResourceURLs [{p.path}] verbs [{p.verb}]" if p.path else "it"
        say(f"meshscale preflight: {p} denied: {OPTIONAL[p]} (grant {grant}, fixtures/rbac/meshscale-clusterrole.yaml)")
    nodes = cluster.list("v1", "Node")
    short = pool_shortfalls(nodes, settings.profile.pools)
    if short:
        raise ClusterError(f"meshscale preflight: nodes do not fit profile {settings.profile.name}: "
                           f"{'; '.join(short)} (label the nodes, or pick a smaller --scale)")
    say(f"meshscale preflight: {len(nodes)} nodes fit the pools of profile {settings.profile.name}")


def _tools(plan: Plan, settings: Settings) -> Tools:
    """Every program the plan calls, from --mesh-<tool>-bin or PATH, checked before the first step runs."""
    return resolve_tools(plan.binaries(), settings.tools)


def _installable(cluster: KubeCluster, settings: Settings, target: ClusterTarget, mesh: str, absent: str) -> Plan:
    """The plan to run for an absent mesh, once installing is allowed, possible and permitted."""
    if settings.install != "auto":
        raise ClusterError(f"meshscale preflight: {absent}; install it first, or pass --mesh-install=auto "
                           f"to install it (uninstalled after the run)")
    plan = install_plan(settings, target, mesh)
    _tools(plan, settings)
    denied = _denied(cluster, install_checks(mesh)) if target.kind == "existing" else []
    if denied:
        raise ClusterError(f"meshscale preflight: {mesh} is absent and installing it needs: "
                           f"{', '.join(map(str, denied))} (cluster-admin); install it first or ask an admin")
    return plan


def _probe(target: ClusterTarget, settings: Settings) -> KubeCluster:
    from ..cluster.kube import KubeCluster  # lazy: the kubernetes client costs ~0.5 s to import

    rate = RateLimit.from_creation(settings.profile.creation)
    return KubeCluster(target.kubeconfig, target.context, "preflight", target.kind, target.name, rate)


def check_cluster(settings: Settings, target: ClusterTarget, mesh: str, say: Say) -> Plan | None:
    """Preflight (existing clusters) and detection; the install plan to run, or None when the mesh is there."""
    start = time.monotonic()
    cluster = _probe(target, settings)
    try:
        if target.kind == "existing":
            preflight(cluster, settings, target, mesh, say)
        try:
            info = driver_for(mesh).detect(cluster)
            plan, found = None, f"{mesh} {info.version} found"
        except MeshNotFound as exc:
            plan, found = _installable(cluster, settings, target, mesh, str(exc)), f"{mesh} absent: will install"
        requests = sum(cluster.stats.requests.values())
    finally:
        cluster.close()
    say(f"meshscale preflight: {found} ({requests} API requests, {time.monotonic() - start:.2f} s)")
    return plan


def _install(plan: Plan, tools: Tools, say: Say) -> list[str]:
    try:
        return run_plan(plan, tools, say)
    except StepFailed as exc:
        run_uninstall(plan, exc.ran, tools, say)  # leave the cluster as it was found
        raise ClusterError(f"meshscale install of {plan.mesh}: {exc}; what it had installed was removed") from None


@contextmanager
def mesh_setup(settings: Settings, target: ClusterTarget, mesh: str, say: Say = progress.say) -> Iterator[None]:
    plan = check_cluster(settings, target, mesh, say)
    if plan is None or not plan.steps:
        yield
        return
    tools = _tools(plan, settings)
    ran = _install(plan, tools, say)
    try:
        yield
    finally:
        if settings.keep:
            say(f"meshscale: kept {mesh} installed (--mesh-keep)")
        elif not target.owned:  # a cluster the run created is deleted whole
            _uninstall(plan, ran, tools, say)


def _uninstall(plan: Plan, ran: list[str], tools: Tools, say: Say) -> None:
    # Runs while pytest shuts down, where an exception would only add a traceback: say what is left instead.
    try:
        run_uninstall(plan, ran, tools, say)
    except StepFailed as exc:
        say(f"meshscale: uninstall of {plan.mesh} incomplete: {exc}; remove the rest by hand "
            f"(`--mesh-install=auto --mesh-dry-run` lists the uninstall steps)")
