"""plan_for(): the whole install plan of one mesh on one kind of cluster, as pure data.

kind: create a cluster from fixtures/kind/<mesh>.yaml (the pinned node image), then install the mesh into
it; uninstalling deletes the cluster (only if the plan created it). existing: install into the named
context; each release/CRD/namespace is skipped if present, and only what the plan installed is removed.
"""

from __future__ import annotations

from pathlib import Path

from .commands import HelmRelease, PlanError, helm_release, rollout, wait_nodes
from .mesh_plans import cilium_steps, istio_ambient_steps
from .steps import Plan, Step, Target
from .versions import Versions

__all__ = ["CLUSTER_KINDS", "MESHES", "PLATFORMS", "PlanError", "plan_for"]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MESHES = ("cilium", "istio-ambient", "baseline")
CLUSTER_KINDS = ("kind", "existing")
PLATFORMS = ("kind", "aks")  # which Cilium values file: fixtures/meshes/cilium/values-<platform>.yaml


def _accept(what: str, value: str, accepted: tuple[str, ...]) -> None:
    if value not in accepted:
        raise PlanError(f"{what}: bad value {value!r}; accepted: {', '.join(accepted)}")


def _kind_cluster(name: str, mesh: str, v: Versions, kubeconfig: str | None, fixtures: Path) -> Step:
    flags = ("--kubeconfig", kubeconfig) if kubeconfig else ()
    config = fixtures / "kind" / f"{mesh}.yaml"
    return Step(
        name="kind-cluster",
        argv=("kind", "create", "cluster", "--name", name, "--config", str(config), "--image", v.kind_node_image,
              *flags),
        skip_if=("kind", "get", "kubeconfig", "--name", name),  # an existing cluster is used, never deleted
        undo=Step("delete-kind-cluster", ("kind", "delete", "cluster", "--name", name, *flags)),
        owns_cluster=True,
    )


def _metrics_server(target: Target, v: Versions) -> list[Step]:
    """kind serves no metrics.k8s.io, which the mesh-cost tests read. Its kubelets have self-signed
    serving certificates, hence --kubelet-insecure-tls (only on the throwaway kind cluster)."""
    release = HelmRelease("metrics-server", "metrics-server", "https://kubernetes-sigs.github.io/metrics-server/",
                          v.metrics_server_chart, "kube-system", sets=("args={--kubelet-insecure-tls}",))
    return [helm_release(target, release), rollout(target, "kube-system", "deployment/metrics-server")]


def _mesh_steps(mesh: str, target: Target, v: Versions, platform: str, api_host: str | None,
                fips: bool, fixtures: Path) -> list[Step]:
    values = fixtures / "meshes" / mesh
    if mesh == "cilium":
        return cilium_steps(target, v, values / f"values-{platform}.yaml", api_host=api_host, fips=fips)
    if mesh == "istio-ambient":
        return istio_ambient_steps(target, v, values, fips=fips)
    if fips:
        raise PlanError("fips: no plan for baseline: it has no mesh and no encryption; accepted: istio-ambient")
    return []


def _pins(mesh: str, v: Versions, cluster_kind: str) -> tuple[tuple[str, str], ...]:
    pins = {"cilium": [("cilium chart", v.cilium_chart)],
            "istio-ambient": [("istio charts", v.istio_chart), ("gateway-api", v.gateway_api)]}.get(mesh, [])
    if cluster_kind == "kind":
        pins += [("kind", v.kind), ("node image", v.kind_node_image), ("metrics-server chart", v.metrics_server_chart)]
    return tuple(pins) + (("kubectl", v.kubectl), ("helm", v.helm))


def plan_for(cluster_kind: str, mesh: str, versions: Versions, *, cluster_name: str | None = None,
             kubeconfig: str | None = None, context: str | None = None, platform: str | None = None,
             fips: bool = False, fixtures: Path = FIXTURES) -> Plan:
    """The ordered install steps for `mesh` on a `kind` cluster the plan creates, or an `existing` one.

    platform picks the Cilium values (default: kind for kind, aks for existing); fips layers the FIPS
    values (istio-ambient only, Istio >= 1.28). Raises PlanError (one line) on a bad argument.
    """
    _accept("cluster", cluster_kind, CLUSTER_KINDS)
    _accept("mesh", mesh, MESHES)
    platform = platform or ("kind" if cluster_kind == "kind" else "aks")
    _accept("platform", platform, PLATFORMS if cluster_kind == "existing" else ("kind",))
    if cluster_kind == "kind":
        name = cluster_name or f"meshscale-{mesh}"
        target = Target(kubeconfig, context or f"kind-{name}")
        head = [_kind_cluster(name, mesh, versions, kubeconfig, fixtures)]
        head += [] if mesh == "cilium" else [wait_nodes(target)]  # kindnet: Ready without a mesh
        steps = head + _mesh_steps(mesh, target, versions, platform, f"{name}-control-plane", fips, fixtures)
        steps += _metrics_server(target, versions)
        title = f"{mesh} on kind (cluster {name})"
    else:
        target = Target(kubeconfig, context)
        steps = _mesh_steps(mesh, target, versions, platform, None, fips, fixtures)
        title = f"{mesh} on an existing cluster (context {context or 'current'}, platform {platform})"
    return Plan(title + (", FIPS values" if fips else ""), cluster_kind, mesh, tuple(steps),
                _pins(mesh, versions, cluster_kind), _notes(mesh, fips, steps))


def _notes(mesh: str, fips: bool, steps: list[Step]) -> tuple[str, ...]:
    notes = []
    if not steps:
        notes.append("nothing to install: the baseline runs without a mesh")
    if mesh == "cilium":
        notes.append("WireGuard needs the nodes' kernel wireguard module (kind: the host's kernel)")
    if fips:
        notes.append("FIPS values are necessary, not sufficient: point hub/tag at a FIPS (BoringSSL) Istio build")
    return tuple(notes)
