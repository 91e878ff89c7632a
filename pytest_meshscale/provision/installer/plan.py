"""plan_for(): the whole install plan of one mesh on one kind of cluster, as pure data.

kind: create a cluster from fixtures/kind/<mesh>.yaml (the pinned node image), then install the mesh into
it; uninstalling deletes the cluster (only if the plan created it). existing: install into the named
context; each release/CRD/namespace is skipped if present, and only what the plan installed is removed.
"""

from __future__ import annotations

from pathlib import Path

from ...data import data_path
from ...meshes import MESHES, InstallContext, driver_for
from ...meshes.install.commands import HelmRelease, PlanError, helm_release, rollout, wait_nodes
from ...meshes.install.steps import Plan, Step, Target
from ...meshes.install.versions import Versions

__all__ = ["CLUSTER_KINDS", "MESHES", "PLATFORMS", "PlanError", "plan_for"]

FIXTURES = data_path()
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
        argv=("kind", "create", "cluster", "--name", name, "--config", str(config), "--image", v.node_image(mesh),
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
    ctx = InstallContext(target, v, fixtures / "meshes" / mesh, platform, api_host, fips)
    return driver_for(mesh).install_steps(ctx)


def _pins(mesh: str, v: Versions, cluster_kind: str) -> tuple[tuple[str, str], ...]:
    pins = list(driver_for(mesh).install_pins(v))
    if cluster_kind == "kind":
        pins += [("kind", v.kind), ("node image", v.node_image(mesh)), ("metrics-server chart", v.metrics_server_chart)]
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
        # kindnet makes nodes Ready without a mesh; a mesh that is the CNI waits for nodes in its own steps
        head += [] if driver_for(mesh).is_cni else [wait_nodes(target)]
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
    return driver_for(mesh).install_notes(fips)
