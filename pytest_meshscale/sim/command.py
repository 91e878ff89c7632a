"""`meshscale sim up`: run the simulated cluster in the foreground until SIGINT/SIGTERM.

It writes the kubeconfig only once the server answers, then prints exactly one line
`meshscale-sim ready: https://127.0.0.1:PORT mesh=M nodes=N kubeconfig=PATH` (SimProcess waits for it).
An existing kubeconfig file is never overwritten without `--force`.

Started by SimProcess it is also given `--parent-pid` (it stops as soon as that process is gone, SIGKILL
included: it polls its parent pid, which changes when it is re-parented; PR_SET_PDEATHSIG is not used, as
it fires when the parent *thread* that started it exits) and `--remove-on-exit DIR` (its temporary
directory, removed whenever it stops). Started by hand, it runs until SIGINT/SIGTERM, as before.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from ..model import Profile, ProfileError
from .faults import FaultError, parse_faults
from .heap import tune_gc
from .lifetime import OneLineParser, Stopped, UsageError, kubeconfig_problem, remove, watch_parent
from .runtime import PodRuntime
from .server.auth import Authorizer, TokenFileError, load_token_file
from .store import Store
from .world import MESHES, build_world

__all__ = ["MESHES", "READY_PREFIX", "main"]

READY_PREFIX = "meshscale-sim ready: "
EXIT_GRACE_S = 10.0  # after its parent is gone, the sim stops cleanly within this or exits hard


def _parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="meshscale sim", description="Run the simulated Kubernetes cluster (loopback only).")
    sub = p.add_subparsers(dest="action", required=True, metavar="up")
    up = sub.add_parser("up", help="start the simulated cluster and run until SIGINT/SIGTERM")
    up.error = p.error  # type: ignore[method-assign]
    up.add_argument("--mesh", required=True, choices=MESHES, help="mesh the cluster is pre-installed with")
    size = up.add_mutually_exclusive_group()
    size.add_argument("--scale", default="smoke", help="smoke, pr, full or a path to a profile YAML")
    size.add_argument("--nodes", type=int, help="the smoke profile with N server nodes")
    up.add_argument("--kubeconfig", required=True, type=Path, help="where to write the kubeconfig (a new file)")
    up.add_argument("--force", action="store_true", help="overwrite the --kubeconfig file if it exists")
    up.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    up.add_argument("--fault", action="append", default=[], metavar="NAME[=VALUE]", help="inject a fault")
    up.add_argument("--token-file", help="YAML/JSON: restricted token -> [{verbs, resources, namespaces}]")
    up.add_argument("--seed", type=int, default=0, help="seed of every random choice of the sim")
    up.add_argument("--agent", action=argparse.BooleanOptionalAction, default=None,
                    help="serve pods with the data-plane agent of --mesh-cluster=kwok, over HTTP "
                         "(the default; --no-agent or env MESHSCALE_SIM_AGENT=0: the in-process data plane)")
    up.add_argument("--parent-pid", type=int, metavar="PID",
                    help="stop when process PID (the parent that started this one) is gone (SimProcess sets it)")
    up.add_argument("--remove-on-exit", type=Path, metavar="DIR",
                    help="a temporary directory of this sim, removed when it stops (SimProcess sets it)")
    return p


def _profile(args: argparse.Namespace) -> Profile:
    from ..data.profiles import load_profile  # the one place that reads profile files

    if args.nodes is None:
        return load_profile(args.scale)
    if args.nodes < 1:
        raise UsageError(f"meshscale sim: --nodes must be a positive integer, got {args.nodes}")
    base = load_profile("smoke")
    pools = tuple(dataclasses.replace(p, count=args.nodes) if p.role == "server" else p for p in base.pools)
    return dataclasses.replace(base, name=f"nodes-{args.nodes}", pools=pools)


def _say(line: str) -> None:
    print(f"meshscale sim: {line}", file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    from .agent_switch import agent_on
    from .embedded_agent import start_agent
    from .server.api import Api
    from .server.bootstrap import seed_store
    from .server.http import ApiServer
    from .server.kubeconfig import write_kubeconfig

    if not 0 <= args.port <= 65535:
        raise UsageError(f"meshscale sim: --port must be 0-65535, got {args.port}")
    if args.parent_pid is not None and args.parent_pid < 1:
        raise UsageError(f"meshscale sim: --parent-pid must be a positive integer, got {args.parent_pid}")
    problem = kubeconfig_problem(args.kubeconfig, args.force)
    if problem:
        raise UsageError(f"meshscale sim: {problem}")
    faults, profile = parse_faults(args.fault), _profile(args)
    if faults.etcd_latency_s:  # never accepted and ignored: the embedded API server has no etcd to slow
        raise FaultError("fault 'etcd-latency' acts on the etcd of a real control plane (--mesh-cluster=kwok); "
                         "the simulated API server has none")
    restricted = load_token_file(args.token_file) if args.token_file else {}
    stop = threading.Event()
    phase = ["starting"]  # starting -> running -> stopping

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        if phase[0] == "starting":
            raise Stopped(signum)  # do not finish a start-up nobody waits for any more

    try:
        with_agent = agent_on(args.agent)
    except ValueError as e:
        raise UsageError(f"meshscale sim: {e}") from None
    world = server = agent = None
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, on_signal)
        if args.parent_pid is not None:
            watch_parent(args.parent_pid, args.remove_on_exit, _say, EXIT_GRACE_S)
        tune_gc()
        store = Store()
        seed_store(store)
        world = build_world(store, args.mesh, profile, faults, args.seed, agent=with_agent)
        runtime: PodRuntime = world.runtime
        server = ApiServer(Api(store, runtime, Authorizer(None, restricted), faults, args.seed), args.port)
        server.start()
        world.start()
        if with_agent:
            agent = start_agent(server, world, _say)
        write_kubeconfig(
            args.kubeconfig,
            server.url,
            server.tls.ca_pem,
            {"token": server.api.auth.admin_token},
            f"meshscale-sim-{args.mesh}",
        )
        phase[0] = "running"
        print(
            f"{READY_PREFIX}{server.url} mesh={args.mesh} nodes={profile.node_count} kubeconfig={args.kubeconfig}",
            flush=True,
        )
        while not stop.wait(1.0):
            pass
        return 0
    except Stopped as stopped:
        phase[0] = "stopping"
        name = signal.Signals(stopped.signum).name
        print(f"meshscale sim: {name} before the cluster was ready; stopped", file=sys.stderr, flush=True)
        return 128 + stopped.signum
    finally:
        phase[0] = "stopping"
        try:
            if agent is not None:
                agent.stop()
            if world is not None:
                world.stop()
            if server is not None:
                server.stop()
        finally:
            remove(args.remove_on_exit)


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
        return _run(args)
    except (UsageError, FaultError, ProfileError, TokenFileError) as exc:
        text = str(exc)
        print(text if text.startswith("meshscale") else f"meshscale sim: {text}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"meshscale sim: {exc}", file=sys.stderr)
        return 2
