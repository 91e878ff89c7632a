"""What a provider hands over (a kubeconfig and how to treat the cluster behind it), and run ids."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

__all__ = ["ClusterTarget", "new_run_id"]


@dataclass(frozen=True, slots=True)
class ClusterTarget:
    kind: str  # "sim", "kind" or "existing"
    name: str  # for reports: "sim-cilium", the context name...
    kubeconfig: str
    context: str | None
    teardown: bool  # delete the run's objects at the end (a sim that is stopped anyway need not)
    owned: bool = False  # the run created this cluster and deletes it at the end (kind): no uninstall needed
    etcd_metrics_url: str = ""  # etcd's /metrics where the run can reach it: kwok's own etcd; elsewhere none


def new_run_id() -> str:
    """A label-safe run id: UTC time plus randomness, e.g. 20261127-001500-3fa2c1."""
    return f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"
