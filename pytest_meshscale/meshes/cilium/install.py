"""Cilium's install: one Helm release with the values of the platform, then its rollouts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..base import InstallContext
from ..install.commands import HelmRelease, PlanError, helm_release, rollout, wait_nodes
from ..install.steps import Step

__all__ = ["cilium_release_steps", "cilium_steps"]


def cilium_steps(ctx: InstallContext) -> list[Step]:
    if ctx.fips:
        raise PlanError("fips: no plan for cilium; WireGuard is never FIPS-approved and Cilium ships no FIPS "
                        "build (cilium/cilium#23919); accepted: fips with istio-ambient, or Cilium with IPsec "
                        "(AES-GCM)")
    return cilium_release_steps(ctx, (ctx.values_dir / f"values-{ctx.platform}.yaml",), "cilium_chart")


def cilium_release_steps(ctx: InstallContext, values: Sequence[Path], chart_pin: str) -> list[Step]:
    """The release `cilium` from the chart pinned under `chart_pin`, values files layered in order (Helm: a
    later file wins), then the rollouts. Other Cilium flavours (cilium-ipsec) layer their values on these."""
    v, target = ctx.versions, ctx.target
    sets = (f"k8sServiceHost={ctx.api_host}",) if ctx.api_host else ()
    release = HelmRelease("cilium", "cilium", v.pin("cilium_repo"), v.pin(chart_pin), "kube-system", tuple(values),
                          sets)
    return [
        helm_release(target, release),
        rollout(target, "kube-system", "daemonset/cilium"),
        rollout(target, "kube-system", "deployment/cilium-operator"),
        wait_nodes(target),  # nodes turn Ready only once a CNI runs
    ]
