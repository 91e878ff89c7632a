"""No mesh: the control. L4 policy is Kubernetes NetworkPolicy, enforced by the cluster's CNI."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..cluster.base import Cluster, Manifest
from ..model.policy import Intent
from ..policy_files import proxy_access
from .base import Component, EncryptionFacts, MeshInfo
from .render_baseline import render_baseline

__all__ = ["BaselineDriver"]


class BaselineDriver:
    name = "baseline"

    def detect(self, cluster: Cluster) -> MeshInfo:
        # Nothing to find; the version is the cluster's, so reports still say what ran.
        return MeshInfo(self.name, cluster.server_version(), frozenset({"l4-policy"}), {"mesh": "none"})

    def namespace_labels(self) -> Mapping[str, str]:
        return {}

    def render(self, intents: Sequence[Intent], namespaces: Sequence[str], labels: Mapping[str, str]) -> list[Manifest]:
        return render_baseline(intents, labels, proxy_access=proxy_access())

    def l7_enforced(self, intents: Sequence[Intent]) -> frozenset[str]:
        """Namespaces where L7 is enforced in front of L4, so a refused source sees a 403 (Istio waypoints)."""
        return frozenset()

    def components(self) -> list[Component]:
        return []  # no mesh: its cost is zero by definition, which is what makes it the control

    def encryption(self, info: MeshInfo) -> EncryptionFacts:
        return EncryptionFacts("none", None, "", False, "no mesh: traffic between pods is not encrypted")
