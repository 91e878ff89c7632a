"""Discovery documents (/version, /api, /apis, resource lists) and the CustomResourceDefinition objects
the mesh kinds are served under, built from the kinds table."""

from __future__ import annotations

from typing import Any

from ..metrics_api import GROUP as METRICS_GROUP
from ..metrics_api import RESOURCES as METRICS_RESOURCES
from ..metrics_api import resource_list as metrics_resource_list
from .kinds import Kind, builtin_kinds, group_versions

__all__ = ["EXTRA_GROUPS", "api_group_list", "api_versions", "crd_objects", "resource_list", "version_info"]

_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
# Groups served by handlers rather than the store: group -> [(plural, kind, namespaced, verbs)]
EXTRA_GROUPS: dict[str, dict[str, list[tuple[str, str, bool, list[str]]]]] = {
    METRICS_GROUP: {"v1beta1": [(p, k, ns, ["get", "list"]) for p, k, ns in METRICS_RESOURCES]},
    "authorization.k8s.io": {"v1": [("selfsubjectaccessreviews", "SelfSubjectAccessReview", False, ["create"])]},
}


def version_info() -> dict[str, str]:
    return {
        "major": "1",
        "minor": "31",
        "gitVersion": "v1.31.0-meshscale-sim",
        "gitCommit": "simulated",
        "gitTreeState": "clean",
        "buildDate": "2024-08-13T00:00:00Z",
        "goVersion": "go1.22.5",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions() -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": gvs, "preferredVersion": gvs[0]}


def api_group_list(kinds: tuple[Kind, ...]) -> dict[str, Any]:
    groups = [_group(g, vs) for g, vs in group_versions(kinds).items() if g]
    groups += [_group(g, list(vs)) for g, vs in EXTRA_GROUPS.items()]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _entries(k: Kind) -> list[dict[str, Any]]:
    main = {
        "name": k.plural,
        "singularName": k.singular,
        "namespaced": k.namespaced,
        "kind": k.kind,
        "verbs": _VERBS if k.plural != "namespaces" else [v for v in _VERBS if v != "deletecollection"],
    }
    if k.short_names:
        main["shortNames"] = list(k.short_names)
    if k.crd or k.group in ("", "apps", "batch"):
        main["categories"] = (
            ["all"] if k.kind in ("Pod", "Service", "Deployment", "DaemonSet", "Job", "ReplicaSet") else []
        )
    out = [main]
    if k.status:
        out.append(
            {
                "name": f"{k.plural}/status",
                "singularName": "",
                "namespaced": k.namespaced,
                "kind": k.kind,
                "verbs": ["get", "patch", "update"],
            }
        )
    if k.scale:
        out.append(
            {
                "name": f"{k.plural}/scale",
                "singularName": "",
                "namespaced": k.namespaced,
                "kind": "Scale",
                "group": "autoscaling",
                "version": "v1",
                "verbs": ["get", "patch", "update"],
            }
        )
    if k.kind == "Pod":
        out += [
            {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
            {
                "name": "pods/proxy",
                "singularName": "",
                "namespaced": True,
                "kind": "PodProxyOptions",
                "verbs": ["create", "delete", "get", "patch", "update"],
            },
        ]
    return out


def resource_list(group: str, version: str, all_kinds: tuple[Kind, ...]) -> dict[str, Any] | None:
    """The APIResourceList of one group/version, or None when it is not served."""
    gv = f"{group}/{version}" if group else version
    if group == METRICS_GROUP and version in EXTRA_GROUPS[group]:
        return metrics_resource_list()  # metrics-server's document, as the agent serves it on kwok
    if group in EXTRA_GROUPS:
        if version not in EXTRA_GROUPS[group]:
            return None
        resources = [
            {"name": p, "singularName": k.lower(), "namespaced": ns, "kind": k, "verbs": verbs}
            for p, k, ns, verbs in EXTRA_GROUPS[group][version]
        ]
    else:
        kinds = [k for k in all_kinds if k.group == group and version in k.versions]
        if not kinds:
            return None
        resources = [e for k in kinds for e in _entries(k)]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


def _crd(k: Kind) -> dict[str, Any]:
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    versions = [
        {
            "name": v,
            "served": True,
            "storage": i == 0,
            "schema": schema,
            **({"subresources": {"status": {}}} if k.status else {}),
        }
        for i, v in enumerate(k.versions)
    ]
    names: dict[str, Any] = {"plural": k.plural, "singular": k.singular, "kind": k.kind, "listKind": f"{k.kind}List"}
    if k.short_names:
        names["shortNames"] = list(k.short_names)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": k.resource, "labels": {"meshscale.io/simulated": "true"}},
        "spec": {
            "group": k.group,
            "names": names,
            "versions": versions,
            "scope": "Namespaced" if k.namespaced else "Cluster",
        },
        "status": {
            "acceptedNames": names,
            "storedVersions": [k.version],
            "conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted"}],
        },
    }


def crd_objects() -> list[dict[str, Any]]:
    """One CRD per built-in custom kind (the meshes' and the Gateway API's), as their charts would install them."""
    return [_crd(k) for k in builtin_kinds() if k.crd]
