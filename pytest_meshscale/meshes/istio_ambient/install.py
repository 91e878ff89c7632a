"""Istio ambient's install: Gateway API CRDs, then base, istiod, cni, ztunnel, in the order of
istio.io's ambient Helm guide. Values come from fixtures/meshes/istio-ambient."""

from __future__ import annotations

from ..base import InstallContext
from ..install.commands import HelmRelease, PlanError, helm_release, namespace_step, rollout
from ..install.steps import Step, Target
from ..install.versions import Versions

__all__ = ["gateway_api_url", "istio_ambient_steps", "istio_minor"]

ISTIO_NS = "istio-system"
GATEWAY_CRD = "crd/gateways.gateway.networking.k8s.io"
FIPS_MIN_ISTIO = (1, 28)  # ztunnel TLS12_ENABLED (istio/ztunnel PR #1711, backported to 1.28 in #1818)


def gateway_api_url(v: Versions) -> str:
    return (f"https://github.com/kubernetes-sigs/gateway-api/releases/download/"
            f"{v.pin('gateway_api')}/standard-install.yaml")


def istio_minor(v: Versions) -> tuple[int, int]:
    major, minor, _ = v.pin("istio_chart").split(".")
    return int(major), int(minor)


def _gateway_crds(target: Target, v: Versions) -> list[Step]:
    url = gateway_api_url(v)
    install = Step(
        name="gateway-api-crds",
        argv=target.kubectl("apply", "-f", url),
        skip_if=target.kubectl("get", GATEWAY_CRD),  # istio.io: install only if absent
        undo=Step("delete-gateway-api-crds", target.kubectl("delete", "--ignore-not-found", "-f", url)),
    )
    wait = Step("wait-gateway-api-crds", target.kubectl("wait", "--for=condition=Established", GATEWAY_CRD,
                                                        "--timeout=60s"))
    return [install, wait]


def istio_ambient_steps(ctx: InstallContext) -> list[Step]:
    v, target, fips = ctx.versions, ctx.target, ctx.fips
    if fips and istio_minor(v) < FIPS_MIN_ISTIO:
        raise PlanError(f"fips: istio_chart {v.pin('istio_chart')} is too old; accepted: >= 1.28 (ztunnel "
                        f"TLS12_ENABLED), and a FIPS (BoringSSL) build of istiod, proxies and ztunnel")

    def release(name: str, chart: str, *, profile: bool, fips_layer: bool = False) -> HelmRelease:
        files = [ctx.values_dir / f"values-{chart}.yaml"]
        if fips and fips_layer:
            files.append(ctx.values_dir / f"values-{chart}-fips.yaml")  # layered after: only adds FIPS settings
        sets = ("profile=ambient",) if profile else ()
        return HelmRelease(name, chart, v.pin("istio_repo"), v.pin("istio_chart"), ISTIO_NS, tuple(files), sets)

    return [
        *_gateway_crds(target, v),
        namespace_step(target, ISTIO_NS),
        helm_release(target, release("istio-base", "base", profile=False)),
        helm_release(target, release("istiod", "istiod", profile=True, fips_layer=True)),
        helm_release(target, release("istio-cni", "cni", profile=True)),
        helm_release(target, release("ztunnel", "ztunnel", profile=False, fips_layer=True)),
        rollout(target, ISTIO_NS, "daemonset/istio-cni-node"),
        rollout(target, ISTIO_NS, "daemonset/ztunnel"),
    ]
