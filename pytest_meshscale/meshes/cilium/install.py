"""Cilium's install: one Helm release with the values of the platform, then its rollouts."""

from __future__ import annotations

from ..base import InstallContext
from ..install.commands import HelmRelease, PlanError, helm_release, rollout, wait_nodes
from ..install.steps import Step

__all__ = ["cilium_steps"]


def cilium_steps(ctx: InstallContext) -> list[Step]:
    if ctx.fips:
        raise PlanError("fips: no plan for cilium; WireGuard is never FIPS-approved and Cilium ships no FIPS "
                        "build (cilium/cilium#23919); accepted: fips only with istio-ambient")
    v, target = ctx.versions, ctx.target
    sets = (f"k8sServiceHost={ctx.api_host}",) if ctx.api_host else ()
    values = ctx.values_dir / f"values-{ctx.platform}.yaml"
    release = HelmRelease("cilium", "cilium", v.pin("cilium_repo"), v.pin("cilium_chart"), "kube-system", (values,),
                          sets)
    return [
        helm_release(target, release),
        rollout(target, "kube-system", "daemonset/cilium"),
        rollout(target, "kube-system", "deployment/cilium-operator"),
        wait_nodes(target),  # nodes turn Ready only once a CNI runs
    ]
