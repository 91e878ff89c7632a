"""Cluster-side checks of the preflight, run before the run creates anything on an existing cluster:
which context and server, the API version, SelfSubjectAccessReviews, and the nodes against the profile.

Pure reads plus SelfSubjectAccessReview POSTs (which create nothing); mesh_setup.py puts them together
with the mesh detection and words the one-line refusals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from ..cluster.api import Api
from ..cluster.base import ClusterError, Manifest
from ..cluster.errors import Target
from ..model import NodePool

__all__ = ["SSAR_PATH", "access_allowed", "kubeconfig_context", "pool_need", "pool_shortfalls"]

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
