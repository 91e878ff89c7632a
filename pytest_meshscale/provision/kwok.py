"""`--mesh-cluster=kwok`: a real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)
with KWOK's fake nodes, one per mesh, started as a child process of the run (`meshscale control-plane up`)
and stopped with it. The mesh's CRDs are the real upstream ones and its components are pre-created, so no
mesh install runs; the data plane behind the pods is the agent's (sim/agent, SIMULATED), which `up` starts and
registers as the metrics.k8s.io APIService (the scale suite reads mesh CPU and memory there).

Binaries: `--mesh-k8s-bin-dir DIR`, else built once from the pinned Go modules (needs Go); resolved here,
before the child starts, so a missing binary or Go is one line at once, and the build's progress shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import progress
from ..cluster.base import ClusterError
from .settings import Settings
from .target import ClusterTarget

__all__ = ["kwok_provider"]


def _scale(settings: Settings) -> str:
    """The file the profile was loaded from (as for the sim): a custom profile named `smoke` stays custom."""
    return settings.profile.source


@contextmanager
def kwok_provider(settings: Settings, mesh: str) -> Iterator[ClusterTarget]:
    # lazy: runs on other backends never load the control plane code
    from ..sim.control_plane.command import UsageError, resolve_binaries
    from ..sim.control_plane.launcher import ControlPlaneProcess, ControlPlaneStartError

    try:
        binaries = resolve_binaries(Path(settings.k8s_bin_dir) if settings.k8s_bin_dir else None, progress.say,
                                    "--mesh-k8s-bin-dir")
    except UsageError as exc:
        raise ClusterError(str(exc).replace("meshscale control-plane: ", "--mesh-cluster=kwok: ", 1)) from None
    bin_dir = next(iter(binaries.values())).parent
    plane = ControlPlaneProcess(mesh, _scale(settings), bin_dir, settings.crds or None, progress.say,
                                tuple(settings.faults))
    progress.say(f"kwok: starting a control plane for {mesh} ({settings.profile.node_count} nodes)")
    try:
        plane.start()
    except ControlPlaneStartError as exc:
        raise ClusterError(f"kwok cluster for {mesh}: {exc}") from None
    try:
        # teardown=True as on the sim: the run exercises the delete path of a shared cluster.
        yield ClusterTarget("kwok", f"kwok-{mesh}", str(plane.kubeconfig), None, teardown=True,
                            etcd_metrics_url=plane.etcd_metrics_url)
    finally:
        if settings.keep:
            progress.say(f"kwok: --mesh-keep: the control plane for {mesh} stops with this run (it is a child process)")
        plane.close()
