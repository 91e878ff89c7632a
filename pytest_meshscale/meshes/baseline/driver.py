"""No mesh: the control. L4 policy is Kubernetes NetworkPolicy, enforced by the cluster's CNI."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...cluster.base import Cluster, Manifest
from ...model.fleet_names import proxy_access
from ...model.policy import Intent, ProxyAccess
from ...model.policy_errors import Unsupported
from ..base import Component, EncryptionFacts, InstallContext, MeshInfo, Rule
from ..install.commands import PlanError
from ..install.steps import Step
from ..install.versions import Versions
from ..lint_base import Check
from .render import render_baseline

__all__ = ["BaselineDriver"]


class BaselineDriver:
    name = "baseline"
    colour = "#009E73"
    policy_kinds: tuple[tuple[str, str], ...] = ()  # NetworkPolicy is in every run's teardown list
    permissions: tuple[Rule, ...] = ()
    install_resources: tuple[tuple[str, str], ...] = ()
    is_cni = False
    lint_checks: dict[str, Check] = {}
    chart_key = ""

    def detect(self, cluster: Cluster) -> MeshInfo:
        # Nothing to find; the version is the cluster's, so reports still say what ran.
        return MeshInfo(self.name, cluster.server_version(), frozenset({"l4-policy"}), {"mesh": "none"})

    @staticmethod
    def declares_paths(obj: Mapping[str, Any]) -> bool:
        return False  # its policies carry no L7 paths the seed's waypoint lint compares with

    def namespace_labels(self) -> Mapping[str, str]:
        return {}

    def namespace_annotations(self) -> Mapping[str, str]:
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

    def strict_mtls(self, namespaces: Sequence[str], labels: Mapping[str, str],
                    proxy: ProxyAccess) -> list[Manifest]:
        raise Unsupported("baseline", "no mesh, no mTLS")

    def encryption_peers(self, cluster: Cluster) -> Mapping[str, bool]:
        raise Unsupported("baseline", "no mesh, no node-to-node encryption")

    def install_steps(self, ctx: InstallContext) -> list[Step]:
        if ctx.fips:
            raise PlanError("fips: no plan for baseline: it has no mesh and no encryption; accepted: istio-ambient")
        return []

    def install_pins(self, versions: Versions) -> tuple[tuple[str, str], ...]:
        return ()

    def install_notes(self, fips: bool) -> tuple[str, ...]:
        return ("nothing to install: the baseline runs without a mesh",)
