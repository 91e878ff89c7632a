"""Where a mesh's cluster comes from: `sim` starts one simulated cluster per mesh, `existing` uses the
user's kubeconfig context, `kind` creates (or re-uses) a kind cluster per mesh. Each provider yields a
`ClusterTarget` (a kubeconfig); `open_cluster` turns it into a KubeCluster and, on the way out, deletes
what the run created. Around a kind or existing cluster, mesh_setup runs the preflight and the mesh install.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING

from .. import progress
from ..cluster.base import ClusterError
from ..cluster.ratelimit import RateLimit
from ..meshes import policy_kinds
from ..model import Profile
from .kwok import kwok_provider
from .mesh_setup import mesh_setup
from .settings import Settings
from .target import ClusterTarget, new_run_id

if TYPE_CHECKING:
    from ..cluster.kube import KubeCluster

__all__ = ["PROVIDERS", "ClusterTarget", "new_run_id", "open_cluster"]


Provider = Callable[[Settings, str], AbstractContextManager[ClusterTarget]]


def _sim_scale(profile: Profile) -> str:
    """The file the plugin loaded the profile from, always: a custom profile that calls itself `smoke`
    must not make the sim start the built-in smoke profile."""
    return profile.source


@contextmanager
def sim_provider(settings: Settings, mesh: str) -> Iterator[ClusterTarget]:
    from ..sim.process import SimProcess, SimStartError  # lazy: `existing` runs never load the simulator

    # A sim stops when pytest is gone (however it ends); with --mesh-keep it is left running on purpose,
    # with its kubeconfig in place, until `kill PID` (on SIGTERM it removes its own temporary files).
    sim = SimProcess(mesh=mesh, scale=_sim_scale(settings.profile), faults=tuple(settings.faults), keep=settings.keep)
    try:
        sim.start()
    except SimStartError as exc:
        lines = str(exc).splitlines()
        raise ClusterError(f"sim for {mesh}: {lines[0]}; last stderr line: {lines[-1]}") from None
    try:
        # teardown=True although the sim stops anyway: the run exercises the same delete path as on a
        # shared cluster, and --mesh-keep leaves objects and sim for inspection.
        yield ClusterTarget("sim", f"sim-{mesh}", str(sim.kubeconfig), None, teardown=True)
    finally:
        if settings.keep:
            progress.say(f"kept the sim for {mesh}: {sim.detach()}")
        else:
            sim.close()


def _with_mesh_setup(settings: Settings, target: ClusterTarget, mesh: str) -> AbstractContextManager[None]:
    return mesh_setup(settings, target, mesh)


def kubeconfig_path(given: str) -> str:
    """The kubeconfig an existing cluster is read from: --mesh-kubeconfig, else $KUBECONFIG's first file,
    else ~/.kube/config (not expanded, as shown to the user)."""
    return given or os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or "~/.kube/config"


@contextmanager
def existing_provider(settings: Settings, mesh: str) -> Iterator[ClusterTarget]:
    kubeconfig = os.path.expanduser(kubeconfig_path(settings.kubeconfig))
    if not os.path.isfile(kubeconfig):
        raise ClusterError(
            f"--mesh-kubeconfig: no kubeconfig file at {kubeconfig!r} "
            "(give --mesh-kubeconfig PATH or set KUBECONFIG)"
        )
    context = settings.context or None
    target = ClusterTarget("existing", context or "current-context", kubeconfig, context, teardown=True)
    with _with_mesh_setup(settings, target, mesh):
        yield target


@contextmanager
def kind_provider(settings: Settings, mesh: str) -> Iterator[ClusterTarget]:
    from .kind import kind_cluster, kind_spec  # lazy: only kind runs load pytest-kind (pykube, requests)

    spec = kind_spec(mesh, settings.tools, settings.versions.node_image(mesh) if settings.versions else None)
    with kind_cluster(spec, keep=settings.keep) as created:
        # A cluster the run creates is deleted whole at the end: deleting its objects first is wasted time.
        target = ClusterTarget("kind", spec.context, str(spec.kubeconfig), spec.context, not created, created)
        with _with_mesh_setup(settings, target, mesh):
            yield target


PROVIDERS: dict[str, Provider] = {"sim": sim_provider, "existing": existing_provider, "kind": kind_provider,
                                  "kwok": kwok_provider}


@contextmanager
def open_cluster(
    settings: Settings, mesh: str, run_id: str, target: ClusterTarget | None = None
) -> Iterator[KubeCluster]:
    """The cluster for one mesh, paced by the profile's `creation` section; on exit the run's objects
    are deleted (unless --mesh-keep, or the cluster is a sim that stops anyway) and the sim stopped."""
    from ..cluster.kube import KubeCluster  # noqa: F811  lazy: importing cluster/ must not load the kubernetes client

    if settings.cluster not in PROVIDERS:
        raise ClusterError(
            f"--mesh-cluster: bad value {settings.cluster!r}; accepted: {', '.join(PROVIDERS)}"
        )
    creation = settings.profile.creation
    # A target handed over by the xdist controller is used as it is: the controller owns that cluster.
    provided = nullcontext(target) if target is not None else PROVIDERS[settings.cluster](settings, mesh)
    with provided as target:
        cluster = KubeCluster(
            target.kubeconfig,
            target.context,
            run_id,
            target.kind,
            target.name,
            RateLimit.from_creation(creation),
            etcd_metrics_url=target.etcd_metrics_url,
        )
        try:
            yield cluster
        finally:
            try:
                if target.teardown and not settings.keep:
                    _teardown(cluster, target, run_id, creation.ready_timeout_s)
            finally:
                cluster.close()


def _teardown(cluster: KubeCluster, target: ClusterTarget, run_id: str, timeout_s: float) -> None:
    """Delete what carries this run's label (bounded by the profile's ready timeout), and say what happened."""
    start = time.monotonic()
    progress.say(f"teardown on {target.name}: deleting the objects of run {run_id} (at most {timeout_s:g} s)")
    try:
        deleted = cluster.delete_run_objects(timeout_s=timeout_s, kinds=policy_kinds())
    except ClusterError as exc:
        cleanup = f"meshscale cleanup --kubeconfig {target.kubeconfig} --run-id {run_id}"
        progress.say(f"teardown on {target.name}: could not delete everything: {exc}; `{cleanup}` retries")
        raise
    progress.say(f"teardown on {target.name}: deleted {deleted} objects of run {run_id} (a namespace counts "
                 f"once) in {time.monotonic() - start:.1f} s; none left")
