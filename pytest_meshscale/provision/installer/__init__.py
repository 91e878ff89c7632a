"""Real-cluster installs as pure plans: kind clusters per mesh, Cilium and Istio ambient via Helm at pinned
versions, readiness waits, and an uninstall that removes only what was installed. `render_dry_run` prints
a plan; `runner` (the only part that starts processes) executes one."""

from ...meshes.install.commands import PlanError
from ...meshes.install.steps import Plan, Step, Target, uninstall_steps
from ...meshes.install.versions import VERSIONS_FILE, Versions, VersionsError, load_versions, parse_versions
from .permissions import (
    OPTIONAL,
    Permission,
    access_checks,
    aggregate,
    grants,
    install_checks,
    missing_grants,
    ssar_body,
)
from .plan import CLUSTER_KINDS, MESHES, PLATFORMS, plan_for
from .render import render_dry_run

__all__ = [
    "CLUSTER_KINDS",
    "MESHES",
    "OPTIONAL",
    "PLATFORMS",
    "VERSIONS_FILE",
    "Permission",
    "Plan",
    "PlanError",
    "Step",
    "Target",
    "Versions",
    "VersionsError",
    "access_checks",
    "aggregate",
    "grants",
    "install_checks",
    "load_versions",
    "missing_grants",
    "parse_versions",
    "plan_for",
    "render_dry_run",
    "ssar_body",
    "uninstall_steps",
]
