"""What a run may do on a shared cluster: the (verb, group, resource) checks the preflight asks with a
SelfSubjectAccessReview, and a pure evaluator of a ClusterRole's rules against them.

fixtures/rbac/meshscale-clusterrole.yaml (what every run needs, and the aggregating role) with each mesh's
fixtures/meshes/<mesh>/clusterrole.yaml grant exactly these; the unit tests keep them in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...meshes import DRIVERS, MESHES
from ...meshes.base import EDIT, Rule
from ..preflight import review

__all__ = [
    "OPTIONAL",
    "Permission",
    "access_checks",
    "aggregate",
    "grants",
    "install_checks",
    "missing_grants",
    "ssar_body",
]

_READ = ("get", "list")

# What every run needs, whatever the mesh; each mesh's driver adds its own rows (meshes/<mesh>/driver.py).
_COMMON: tuple[Rule, ...] = (
    ("", "namespaces", "", EDIT),
    ("apps", "deployments", "", EDIT),
    ("apps", "deployments", "scale", ("get", "patch", "update")),
    ("apps", "daemonsets", "", _READ),
    ("", "services", "", EDIT),
    ("", "serviceaccounts", "", EDIT),
    ("", "pods", "", ("get", "list", "watch")),
    ("", "pods", "log", ("get",)),
    ("", "pods", "proxy", ("get", "create")),
    ("", "configmaps", "", _READ),
    ("", "nodes", "", _READ),
    ("batch", "jobs", "", ("create", "delete", "get", "list", "watch")),
    ("networking.k8s.io", "networkpolicies", "", EDIT),
    ("metrics.k8s.io", "pods", "", _READ),
    ("metrics.k8s.io", "nodes", "", _READ),  # node CPU - its pods' CPU: the kernel-inclusive mesh cost
    ("authorization.k8s.io", "selfsubjectaccessreviews", "", ("create",)),
)

# Non-resource URLs (RBAC `nonResourceURLs`): the API server's own /metrics, which the API-pressure figures
# are read from (kube-apiserver authorizes it as `get` on the path; no default role grants it).
_PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (("/metrics", ("get",)),)


@dataclass(frozen=True, slots=True)
class Permission:
    verb: str
    group: str  # "" = the core group
    resource: str
    subresource: str = ""
    path: str = ""  # a non-resource URL ("/metrics"): then group, resource and subresource are empty

    def __str__(self) -> str:
        if self.path:
            return f"{self.verb} {self.path}"
        res = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return f"{self.verb} {res}" + (f".{self.group}" if self.group else "")


def access_checks(mesh: str | None = None) -> tuple[Permission, ...]:
    """Every permission a run of `mesh` needs (None: any mesh, i.e. the union the ClusterRole grants)."""
    meshes = MESHES if mesh is None else (mesh,)
    rows = [*_COMMON, *(row for m in meshes for row in DRIVERS[m].permissions)]
    paths = (Permission(verb, "", "", path=path) for path, verbs in _PATHS for verb in verbs)
    return tuple(dict.fromkeys([*(Permission(verb, group, res, sub) for group, res, sub, verbs in rows
                                  for verb in verbs), *paths]))


# What a run does without, saying so instead of refusing: denied /metrics leaves the API pressure "not
# measured" (with the reason) while every suite still runs.
OPTIONAL: Mapping[Permission, str] = {
    Permission("get", "", "", path="/metrics"): "the API pressure will not be measured",
    **dict.fromkeys((Permission(v, "metrics.k8s.io", "nodes") for v in _READ),
                    "node CPU is not read, so the kernel-inclusive mesh cost will not be measured"),
}


def install_checks(mesh: str) -> tuple[Permission, ...]:
    """The create permissions installing `mesh` needs (none for the baseline: nothing to install). Its
    charts create CRDs, cluster-wide RBAC, DaemonSets and webhooks: asked only when auto-install would
    run; not in the minimal ClusterRole (installing is cluster-admin work)."""
    return tuple(Permission("create", group, res) for group, res in DRIVERS[mesh].install_resources)


def ssar_body(permission: Permission) -> dict[str, Any]:
    """The SelfSubjectAccessReview the preflight POSTs; cluster-wide, as the run uses every namespace."""
    return review(permission)


def _matches(values: Sequence[str], wanted: str) -> bool:
    return "*" in values or wanted in values


def _rule_grants(rule: Mapping[str, Any], p: Permission) -> bool:
    if p.path:  # nonResourceURLs: exact, or a prefix ending in "*" (RBAC's only wildcard there)
        urls = list(rule.get("nonResourceURLs") or [])
        named = any(u == p.path or (u.endswith("*") and p.path.startswith(u[:-1])) for u in urls)
        return named and _matches(list(rule.get("verbs") or []), p.verb)
    # RBAC names a subresource as "resource/sub"; "*" in resources does not cover subresources.
    name = f"{p.resource}/{p.subresource}" if p.subresource else p.resource
    resources = list(rule.get("resources") or [])
    named = name in resources or (not p.subresource and "*" in resources) or f"{p.resource}/*" in resources
    groups = list(rule.get("apiGroups") or [])
    return named and _matches(groups, p.group) and _matches(list(rule.get("verbs") or []), p.verb)


def grants(cluster_role: Mapping[str, Any], permission: Permission) -> bool:
    """Whether some rule of the ClusterRole (parsed YAML) allows the permission cluster-wide."""
    return any(_rule_grants(rule, permission) for rule in cluster_role.get("rules") or [])


def aggregate(roles: Iterable[Mapping[str, Any]], name: str) -> dict[str, Any]:
    """ClusterRole `name` with the rules the controller manager's aggregation controller gives it: those of
    every ClusterRole whose labels match one of its aggregationRule's matchLabels selectors (the only
    selector form the role files use); tests/conformance/test_rbac.py compares it with kube-controller-manager."""
    roles = list(roles)
    target = next(r for r in roles if r["metadata"]["name"] == name)
    aggregation = target.get("aggregationRule") or {}
    selectors = [s.get("matchLabels") or {} for s in aggregation.get("clusterRoleSelectors") or []]

    def selected(role: Mapping[str, Any]) -> bool:
        labels = role["metadata"].get("labels") or {}
        return role is not target and any(all(labels.get(k) == v for k, v in s.items()) for s in selectors)

    rules: list[Any] = []
    # as the controller does: roles in name order, a rule equal to one already taken is left out
    for role in sorted(filter(selected, roles), key=lambda r: str(r["metadata"]["name"])):
        rules += [rule for rule in role.get("rules") or [] if rule not in rules]
    return {**target, "rules": rules}


def missing_grants(cluster_role: Mapping[str, Any], checks: Iterable[Permission]) -> list[Permission]:
    return [p for p in checks if not grants(cluster_role, p)]

