"""Istio in sidecar mode: base, then istiod (control plane, CA and sidecar injector), in the order of istio.io's
Helm install guide (docs/setup/install/helm), then a wait for istiod's rollout. No Gateway API CRDs, no ztunnel,
no istio-cni: the sidecars' traffic redirection is set up by each pod's istio-init container. Values come from
fixtures/meshes/istio-sidecar; charts are pinned there (istio_sidecar_chart, istio_sidecar_repo)."""

from __future__ import annotations

from ..base import InstallContext
from ..install.commands import HelmRelease, helm_release, namespace_step, rollout
from ..install.steps import Step

__all__ = ["CHART_KEY", "ISTIO_NS", "istio_sidecar_steps"]

ISTIO_NS = "istio-system"
CHART_KEY, REPO_KEY = "istio_sidecar_chart", "istio_sidecar_repo"


def istio_sidecar_steps(ctx: InstallContext) -> list[Step]:
    v = ctx.versions

    def release(name: str, chart: str, fips_layer: bool) -> HelmRelease:
        files = [ctx.values_dir / f"values-{chart}.yaml"]
        if ctx.fips and fips_layer:
            files.append(ctx.values_dir / f"values-{chart}-fips.yaml")  # layered after: only adds FIPS settings
        return HelmRelease(name, chart, v.pin(REPO_KEY), v.pin(CHART_KEY), ISTIO_NS, tuple(files))

    return [
        namespace_step(ctx.target, ISTIO_NS),
        helm_release(ctx.target, release("istio-base", "base", fips_layer=False)),
        helm_release(ctx.target, release("istiod", "istiod", fips_layer=True)),
        rollout(ctx.target, ISTIO_NS, "deployment/istiod"),
    ]
