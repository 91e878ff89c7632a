"""`meshscale control-plane build | up`: the real control plane in the foreground, as `meshscale sim up` runs
the simulated one.

`build` prints the folder of the five binaries (building them from the pinned Go modules if needed).
`up --mesh M --scale P --kubeconfig K` starts etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and KWOK (binaries from `--bin-dir DIR`, else `build()`), creates the nodes, CRDs and mesh
components, starts the data-plane agent (sim/agent: it watches the API server and serves the pods' traffic and
metrics.k8s.io, SIMULATED; `--fault NAME` injects one of the faults it can act on), registers the agent as the
APIService v1beta1.metrics.k8s.io and waits until it is Available (aggregated.py), registers the agent as the mesh's
mutating admission webhook when its model has one (admission.py: a sidecar injector), writes K (never over an
existing file without `--force`) and prints one line
`meshscale-control-plane ready: https://127.0.0.1:PORT mesh=M nodes=N kubeconfig=K`, then runs until
SIGINT/SIGTERM. Started by ControlPlaneProcess it also gets `--parent-pid` (stop once that process is
gone, SIGKILL included) and `--remove-on-exit DIR`. Progress and errors go to stderr, one line each.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from ... import progress
from ...model import ProfileError
from ..agent import Agent, AgentError
from ..faults import FAULT_NAMES, FaultError, Faults, parse_faults
from ..heap import tune_gc
from ..lifetime import OneLineParser, Stopped, UsageError, kubeconfig_problem, remove, watch_parent
from ..meshes import MESHES, SIM_MESHES
from . import admission, aggregated, pins
from . import build as build_mod
from .cluster import ControlPlane
from .kubeapi import ApiError
from .objects import CrdError
from .processes import ComponentError

__all__ = ["READY_PREFIX", "main", "resolve_binaries"]

READY_PREFIX = "meshscale-control-plane ready: "
PREFIX = "meshscale control-plane"
# Faults that act in front of the embedded API server or in its controllers: on a real one there is no such place yet.
NOT_ON_KWOK = {
    "api-errors": "it answers writes in the embedded API server, and kube-apiserver is real here",
    "watch-drop": "it closes the embedded API server's watches, and kube-apiserver is real here",
}
KWOK_FAULTS = tuple(n for n in FAULT_NAMES if n not in NOT_ON_KWOK)
EXIT_GRACE_S = 20.0


def _parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="meshscale control-plane", description="A real Kubernetes control plane with KWOK nodes.")
    sub = p.add_subparsers(dest="action", required=True, metavar="build|up")
    b = sub.add_parser("build", help="build (or find) the binaries and print their folder")
    b.error = p.error  # type: ignore[method-assign]
    up = sub.add_parser("up", help="start the control plane and run until SIGINT/SIGTERM")
    up.error = p.error  # type: ignore[method-assign]
    up.add_argument("--mesh", required=True, choices=MESHES, help="mesh whose components to create")
    up.add_argument("--scale", default="smoke", help="smoke, pr, full or a path to a profile YAML")
    up.add_argument("--kubeconfig", required=True, type=Path, help="where to write the kubeconfig (a new file)")
    up.add_argument("--force", action="store_true", help="overwrite the --kubeconfig file if it exists")
    up.add_argument("--bin-dir", type=Path, help="folder with the five binaries (default: build them)")
    folders = ", ".join(dict.fromkeys(f"{f}/" for mesh in SIM_MESHES.values() for f in mesh.crd_folders))
    up.add_argument("--crds", type=Path, help=f"folder of upstream CRD YAML ({folders})")
    up.add_argument("--fault", action="append", default=[], metavar="NAME[=VALUE]",
                    help="a fault of the simulated data plane (the agent; slow-ready: KWOK's pod-ready stage): "
                    + ", ".join(KWOK_FAULTS))
    up.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for readiness")
    up.add_argument("--parent-pid", type=int, metavar="PID", help="stop when process PID is gone")
    up.add_argument("--remove-on-exit", type=Path, metavar="DIR", help="a folder removed when this stops")
    return p


def resolve_binaries(bin_dir: Path | None, say: Callable[[str], None] = progress.say,
                     flag: str = "--bin-dir") -> dict[str, Path]:
    """The five binaries: from `bin_dir` if given, else built (or found) by build(). One line if neither."""
    try:
        if bin_dir is not None:
            return build_mod.find_binaries(bin_dir)
        return build_mod.find_binaries(build_mod.build(progress=say))
    except build_mod.GoMissingError as exc:  # its text names both ways: install Go, or --mesh-k8s-bin-dir
        raise UsageError(f"{PREFIX}: cannot build the control plane binaries: {exc}") from None
    except build_mod.MissingBinariesError as exc:
        raise UsageError(f"{PREFIX}: {flag}: {exc}; or omit {flag} to build them with Go "
                         f">= {pins.GO_MIN}") from None


def _say(line: str) -> None:
    print(f"{PREFIX}: {line}", file=sys.stderr, flush=True)


def kwok_faults(specs: list[str]) -> Faults:
    """The faults for the agent; one line for a fault that cannot act on a real control plane (yet)."""
    try:
        faults = parse_faults(specs, env=False)
    except FaultError as exc:
        raise UsageError(f"{PREFIX}: --fault: {exc}") from None
    for name in faults.names():
        why = NOT_ON_KWOK.get(name.partition("=")[0])
        if why:
            raise UsageError(f"{PREFIX}: fault {name!r} cannot act on a real control plane yet: {why}; "
                             f"accepted here: {', '.join(KWOK_FAULTS)}")
    return faults


def _serve_metrics(plane: ControlPlane, agent: Agent, timeout: float) -> None:
    """The agent answers the metrics APIService's endpoint; then the APIService is registered, until Available."""
    pki = plane.pki
    assert pki is not None and plane.api is not None
    ip, port = aggregated.METRICS_ENDPOINT
    agent.serve_metrics(f"{ip}:{port}", pki.path("metrics-agent.crt"), pki.path("metrics-agent.key"),
                        pki.path("front-proxy-ca.crt"))
    aggregated.register(plane.api, pki.ca_pem, _say, timeout)


def _serve_admission(plane: ControlPlane, agent: Agent, timeout: float) -> None:
    """A mesh whose model changes objects as they are created (a sidecar injector): the agent serves that as a
    mutating webhook, registered and waited for before the control plane is handed over."""
    resources = agent.runtime.dataplane.model.admitted
    pki = plane.pki
    if not resources:
        return
    assert pki is not None and plane.api is not None
    ip, port = admission.ADMISSION_ENDPOINT
    endpoint = agent.serve_admission(f"{ip}:{port}", pki.path("admission-agent.crt"), pki.path("admission-agent.key"))
    admission.register(plane.api, pki.ca_pem, resources, lambda: endpoint.served, _say, timeout)


def _up(args: argparse.Namespace) -> int:
    from ...data.profiles import load_profile
    from .pki import write_kubeconfig

    problem = kubeconfig_problem(args.kubeconfig, args.force)
    if problem:
        raise UsageError(f"{PREFIX}: {problem}")
    faults = kwok_faults(args.fault)
    profile = load_profile(args.scale)
    stop, phase = threading.Event(), ["starting"]

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        if phase[0] == "starting":
            raise Stopped(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    if args.parent_pid is not None:
        watch_parent(args.parent_pid, args.remove_on_exit, _say, EXIT_GRACE_S)
    # Inside --remove-on-exit's folder when given: whoever started us removes it even if we are SIGKILLed.
    run_dir = Path(tempfile.mkdtemp(prefix="meshscale-cp-", dir=args.remove_on_exit))
    plane, agent = None, None
    try:
        tune_gc()
        binaries = resolve_binaries(args.bin_dir, _say)
        plane = ControlPlane(args.mesh, profile, binaries, run_dir, args.crds, _say, faults)
        t = plane.start(args.timeout)
        agent = Agent(plane.api, args.mesh, profile, faults, _say).start(args.timeout)  # type: ignore[arg-type]
        plane.serve_pods(agent.connect, agent.kubelet(plane.pki.path("apiserver.crt"), plane.pki.path("apiserver.key"),  # type: ignore[union-attr]
                                                      plane.kwok_port))
        _serve_metrics(plane, agent, args.timeout)
        _serve_admission(plane, agent, args.timeout)
        write_kubeconfig(args.kubeconfig, plane.url, plane.pki, f"meshscale-kwok-{args.mesh}")  # type: ignore[arg-type]
        phase[0] = "running"
        _say(f"ready: apiserver /readyz after {t.apiserver_ready_s:.1f} s, {profile.node_count} nodes Ready after "
             f"{t.nodes_ready_s:.1f} s; component logs in {run_dir / 'logs'}")
        print(f"{READY_PREFIX}{plane.url} mesh={args.mesh} nodes={profile.node_count} kubeconfig={args.kubeconfig} "
              f"etcd-metrics={plane.etcd_url}/metrics", flush=True)
        while not stop.wait(1.0):
            plane.supervisor.check_alive()
        return 0
    except Stopped as stopped:
        _say(f"{signal.Signals(stopped.signum).name} before the control plane was ready; stopped")
        return 128 + stopped.signum
    finally:
        phase[0] = "stopping"
        try:
            if agent is not None:
                agent.stop()
            if plane is not None:
                plane.stop()
        finally:
            remove(run_dir)
            remove(args.remove_on_exit)


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.action == "build":
            print(build_mod.build(progress=_say))
            return 0
        return _up(args)
    except build_mod.GoMissingError as exc:
        print(f"{PREFIX}: cannot build the control plane binaries: {exc}", file=sys.stderr)
        return 2
    except (UsageError, ProfileError, CrdError) as exc:
        text = str(exc)
        print(text if text.startswith(PREFIX) else f"{PREFIX}: {text}", file=sys.stderr)
        return 2
    except (ComponentError, ApiError, AgentError, TimeoutError, OSError) as exc:
        print(f"{PREFIX}: {exc}", file=sys.stderr)
        return 1
