"""The mesh install steps: Cilium (one Helm release) and Istio ambient (Gateway API CRDs, then base,
istiod, cni, ztunnel, in the order of istio.io's ambient Helm guide). Values come from fixtures/meshes."""

from __future__ import annotations

from pathlib import Path

from .commands import HelmRelease, PlanError, helm_release, namespace_step, rollout, wait_nodes
from .steps import Step, Target
from .versions import Versions

__all__ = ["cilium_steps", "istio_ambient_steps"]

ISTIO_NS = "istio-system"
GATEWAY_CRD = "crd/gateways.gateway.networking.k8s.io"
FIPS_MIN_ISTIO = (1, 28)  # ztunnel TLS12_ENABLED (istio/ztunnel PR #1711, backported to 1.28 in #1818)


def cilium_steps(target: Target, v: Versions, values: Path, *, api_host: str | None, fips: bool) -> list[Step]:
    if fips:
        raise PlanError("fips: no plan for cilium; WireGuard is never FIPS-approved and Cilium ships no FIPS "
                        "build (cilium/cilium#23919); accepted: fips only with istio-ambient")
    sets = (f"k8sServiceHost={api_host}",) if api_host else ()
    release = HelmRelease("cilium", "cilium", v.cilium_repo, v.cilium_chart, "kube-system", (values,), sets)
    return [
        helm_release(target, release),
        rollout(target, "kube-system", "daemonset/cilium"),
        rollout(target, "kube-system", "deployment/cilium-operator"),
        wait_nodes(target),  # nodes turn Ready only once a CNI runs
    ]


def _gateway_crds(target: Target, v: Versions) -> list[Step]:
    install = Step(
        name="gateway-api-crds",
        argv=target.kubectl("apply", "-f", v.gateway_api_url),
        skip_if=target.kubectl("get", GATEWAY_CRD),  # istio.io: install only if absent
        undo=Step("delete-gateway-api-crds", target.kubectl("delete", "--ignore-not-found", "-f", v.gateway_api_url)),
    )
    wait = Step("wait-gateway-api-crds", target.kubectl("wait", "--for=condition=Established", GATEWAY_CRD,
                                                        "--timeout=60s"))
    return [install, wait]


def istio_ambient_steps(target: Target, v: Versions, values_dir: Path, *, fips: bool) -> list[Step]:
    if fips and v.istio_minor() < FIPS_MIN_ISTIO:
        raise PlanError(f"fips: istio_chart {v.istio_chart} is too old; accepted: >= 1.28 (ztunnel TLS12_ENABLED), "
                        f"and a FIPS (BoringSSL) build of istiod, proxies and ztunnel")

    def release(name: str, chart: str, *, profile: bool, fips_layer: bool = False) -> HelmRelease:
        files = [values_dir / f"values-{chart}.yaml"]
        if fips and fips_layer:
            files.append(values_dir / f"values-{chart}-fips.yaml")  # layered after: only adds FIPS settings
        sets = ("profile=ambient",) if profile else ()
        return HelmRelease(name, chart, v.istio_repo, v.istio_chart, ISTIO_NS, tuple(files), sets)

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
