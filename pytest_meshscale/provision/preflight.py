"""Cluster-side checks of the preflight, run before the run creates anything on an existing cluster:
which context and server, the API version, SelfSubjectAccessReviews, and the nodes against the profile.

Pure reads plus SelfSubjectAccessReview POSTs (which create nothing); mesh_setup.py puts them together
with the mesh detection and words the one-line refusals.

Where a permission must be granted (RBAC_RULE, said in the refusal): the run creates its own namespaces,
and a RoleBinding cannot exist in a namespace before the namespace does, so every namespaced permission the
run uses in its namespaces must come from a ClusterRoleBinding: it is asked cluster-wide (a review without
a namespace). The reads it makes only in the mesh's own namespace, which exists before the run (the mesh
agent's DaemonSet, its ConfigMap: HOME_READS), are asked in that namespace, so a Role + RoleBinding there
counts. A namespaced permission granted only in the mesh's namespace but needed in the run's namespaces
is named as such, so the admin knows a ClusterRoleBinding is what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from ..cluster.api import Api
from ..cluster.base import ClusterError, Manifest
from ..cluster.errors import Target
from ..model import NodePool

__all__ = ["HOME_READS", "RBAC_RULE", "SSAR_PATH", "Denied", "access_allowed", "access_denied", "denied_line",
           "kubeconfig_context", "mesh_namespaces", "namespaced_resources", "pool_need", "pool_shortfalls",
           "review", "run_access_denied"]

SSAR_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
SSAR_WORKERS = 8  # the reviews are independent; the client-side rate limit still paces them


def kubeconfig_context(kubeconfig: str, context: str | None) -> tuple[str, str]:
    """(context name, server URL) as the client will pick them, for the preflight's first line."""
    try:
        doc: Any = yaml.safe_load(Path(kubeconfig).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return context or "current-context", "?"
    name = context or str(doc.get("current-context") or "?")
    contexts = {c.get("name"): c.get("context") or {} for c in doc.get("contexts") or []}
    clusters = {c.get("name"): c.get("cluster") or {} for c in doc.get("clusters") or []}
    cluster = clusters.get(contexts.get(name, {}).get("cluster"), {})
    return name, str(cluster.get("server", "?"))


def _allowed(api: Api, body: Manifest) -> bool:
    resp = api.call(Target("create", "SelfSubjectAccessReview"), "POST", SSAR_PATH, body=body, accept=(403,))
    if resp.status == 403:
        raise ClusterError(
            "meshscale preflight: missing permissions: create selfsubjectaccessreviews.authorization.k8s.io "
            "(needed to check every other permission); grant fixtures/rbac/meshscale-clusterrole.yaml"
        )
    status = resp.json().get("status") or {}
    return bool(status.get("allowed"))


def access_allowed(api: Api, reviews: Sequence[Manifest]) -> list[bool]:
    """The API server's answer to each SelfSubjectAccessReview body, in order (POSTed concurrently)."""
    with ThreadPoolExecutor(SSAR_WORKERS) as pool:
        return list(pool.map(lambda body: _allowed(api, body), reviews))


class Check(Protocol):
    """A permission the run needs (provision.installer.Permission)."""

    @property
    def verb(self) -> str: ...
    @property
    def group(self) -> str: ...
    @property
    def resource(self) -> str: ...
    @property
    def subresource(self) -> str: ...
    @property
    def path(self) -> str: ...  # a non-resource URL, else ""


# (verb, group, resource, subresource) the run uses only in the mesh's namespace (mesh detection); the
# teardown's cluster-wide list of these kinds is optional (skipped when not allowed).
HOME_READS = frozenset({("get", "apps", "daemonsets", ""), ("list", "apps", "daemonsets", ""),
                        ("get", "", "configmaps", ""), ("list", "", "configmaps", "")})
RBAC_RULE = ("namespaced permissions count only when granted cluster-wide (ClusterRole + ClusterRoleBinding): "
             "the run creates its namespaces, and a RoleBinding cannot exist before its namespace does; only "
             "the mesh detection's reads ({reads}) may come from a RoleBinding in the mesh's namespace")


@dataclass(frozen=True, slots=True)
class Denied:
    """A permission the run lacks; `only_in`: namespaces where a RoleBinding grants it, too narrow for the run."""

    permission: Check
    only_in: tuple[str, ...] = ()


def review(permission: Check, namespace: str | None = None) -> Manifest:
    """The SelfSubjectAccessReview for a permission, cluster-wide or in one namespace. A non-resource URL goes
    in spec.nonResourceAttributes {path, verb}, which has no namespace: kube-apiserver refuses a review with
    both attribute sets, or neither ("exactly one of nonResourceAttributes or resourceAttributes")."""
    if permission.path:
        return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"nonResourceAttributes": {"path": permission.path, "verb": permission.verb}}}
    attrs = {"verb": permission.verb, "group": permission.group, "resource": permission.resource}
    if permission.subresource:
        attrs["subresource"] = permission.subresource
    if namespace:
        attrs["namespace"] = namespace
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attrs}}


def _key(p: Check) -> tuple[str, str, str, str]:
    return (p.verb, p.group, p.resource or p.path, p.subresource)


def access_denied(
    api: Api, checks: Sequence[Check], home: Sequence[str], namespaced: Callable[[str, str], bool]
) -> list[Denied]:
    """The permissions the run lacks, by the rule above (RBAC_RULE). `home`: the mesh's namespaces, which
    exist before the run; `namespaced(group, resource)`: whether the resource lives in namespaces."""
    allowed = access_allowed(api, [review(p) for p in checks])
    denied = [p for p, ok in zip(checks, allowed, strict=True) if not ok]
    again = [(p, ns) for p in denied if not p.path and namespaced(p.group, p.resource) for ns in home]
    granted = access_allowed(api, [review(p, ns) for p, ns in again])
    where: dict[tuple[str, str, str, str], list[str]] = {}
    for (p, ns), ok in zip(again, granted, strict=True):
        if ok:
            where.setdefault(_key(p), []).append(ns)
    out = []
    for p in denied:
        only_in = tuple(where.get(_key(p), ()))
        if not (_key(p) in HOME_READS and home and len(only_in) == len(home)):
            out.append(Denied(p, only_in))
    return out


def denied_line(denied: Sequence[Denied], mesh: str = "") -> str:
    """The preflight's one line for the denied permissions, with the rule a grant must follow."""
    missing = [str(d.permission) for d in denied if not d.only_in]
    narrow = [f"{d.permission} (only in {', '.join(d.only_in)})" for d in denied if d.only_in]
    parts = ([f"missing permissions: {', '.join(missing)}"] if missing else []) + (
        [f"granted only by a namespaced RoleBinding, but needed in the namespaces the run creates: "
         f"{', '.join(narrow)}"] if narrow else [])
    reads = ", ".join(f"{v} {r}" for v, _, r, _ in sorted(HOME_READS))
    roles = "fixtures/rbac/meshscale-clusterrole.yaml" + (f" and fixtures/meshes/{mesh}/clusterrole.yaml"
                                                          if mesh else "")
    return (f"meshscale: {'; '.join(parts)}; {RBAC_RULE.format(reads=reads)}; a cluster admin can apply "
            f"{roles} and bind meshscale-runner with a ClusterRoleBinding (docs/real-clusters.md)")


def mesh_namespaces(mesh: str) -> tuple[str, ...]:
    """The namespaces the mesh's components live in (they exist before the run)."""
    from ..meshes import driver_for

    return tuple(dict.fromkeys(c.namespace for c in driver_for(mesh).components() if c.namespace))


def namespaced_resources(api: Api, groups: Sequence[str]) -> Callable[[str, str], bool]:
    """namespaced(group, resource) from discovery (the core group and each of `groups`, preferred version)."""
    scoped: set[tuple[str, str]] = set()
    found: Any = api.get_json(Target("discover", "/apis"), "/apis") or {}
    preferred = {g["name"]: g["preferredVersion"]["groupVersion"] for g in found.get("groups") or []}
    paths = {"": "/api/v1", **{g: f"/apis/{preferred[g]}" for g in groups if g and g in preferred}}
    for group, path in paths.items():
        doc: Any = api.get_json(Target("discover", path), path) or {}
        scoped |= {(group, r["name"]) for r in doc.get("resources") or [] if r.get("namespaced")}
    return lambda group, resource: (group, resource) in scoped


def _matches(node: Manifest, labels: Mapping[str, str]) -> bool:
    have = (node.get("metadata") or {}).get("labels") or {}
    return all(have.get(k) == v for k, v in labels.items())


def pool_need(pool: NodePool) -> str:
    """What a profile pool asks of the nodes, in the words of the preflight and the dry run."""
    labels = ",".join(f"{k}={v}" for k, v in pool.labels.items()) or "(any)"
    return f"pool {pool.name} needs {pool.count} node(s) labelled {labels}"


def pool_shortfalls(nodes: Sequence[Manifest], pools: Sequence[NodePool]) -> list[str]:
    """One phrase per profile pool with fewer nodes carrying its labels than the profile counts."""
    short = []
    for pool in pools:
        found = sum(1 for node in nodes if _matches(node, pool.labels))
        if found < pool.count:
            short.append(f"{pool_need(pool)}, found {found}")
    return short


def run_access_denied(api: Api, checks: Sequence[Check], mesh: str) -> list[Denied]:
    """What mesh_setup's preflight asks: access_denied for `mesh`'s namespaces, scopes from discovery."""
    groups = sorted({p.group for p in checks if p.group})
    return access_denied(api, checks, mesh_namespaces(mesh), namespaced_resources(api, groups))
