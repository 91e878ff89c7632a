"""`meshscale cleanup --kubeconfig K [--context C] (--run-id ID | --all-runs) [--dry-run]`: remove what
earlier runs of the plugin left on a cluster (a killed CI job, --mesh-keep). Only objects that carry the
plugin's run label (and its managed-by label) are touched, exactly as a run's own teardown does."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence

from ..cluster.applying import MANAGED_BY
from ..cluster.base import MANAGED_BY_LABEL, RUN_LABEL, Cluster, ClusterError
from ..cluster.ratelimit import RateLimit
from ..meshes import policy_kinds

__all__ = ["main"]

OURS = f"{MANAGED_BY_LABEL}={MANAGED_BY}"
TIMEOUT_S = 300.0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="meshscale cleanup", description=__doc__.split("\n\n")[0])
    p.add_argument("--kubeconfig", required=True, help="kubeconfig of the cluster to clean")
    p.add_argument("--context", default=None, help="kubeconfig context (default: its current context)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--run-id", help="the run whose objects to delete (printed by the run, and in its labels)")
    which.add_argument("--all-runs", action="store_true", help="every run the plugin left on this cluster")
    p.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    return p


def _runs(cluster: Cluster) -> Counter[str]:
    """Run id -> namespaces of that run on the cluster."""
    namespaces = cluster.list("v1", "Namespace", labels=f"{OURS},{RUN_LABEL}")
    return Counter(str(n["metadata"]["labels"][RUN_LABEL]) for n in namespaces)


def _clean(kubeconfig: str, context: str | None, run_id: str, dry_run: bool) -> int:
    from ..cluster.kube import KubeCluster  # lazy: only this command pays for the kubernetes client

    cluster = KubeCluster(kubeconfig, context, run_id, "existing", context or "current-context", RateLimit(20, 40))
    try:
        if dry_run:
            found = cluster.list("v1", "Namespace", labels=f"{OURS},{RUN_LABEL}={run_id}")
            names = ", ".join(sorted(n["metadata"]["name"] for n in found)) or "none"
            print(f"meshscale cleanup: run {run_id}: would delete namespaces {names} and every object labelled "
                  f"{RUN_LABEL}={run_id} (dry run: nothing deleted)")
            return 0
        deleted = cluster.delete_run_objects(timeout_s=TIMEOUT_S, kinds=policy_kinds())
        print(f"meshscale cleanup: run {run_id}: deleted {deleted} objects (a namespace counts once); none left")
        return deleted
    finally:
        cluster.close()


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    try:
        if args.all_runs:
            from ..cluster.kube import KubeCluster

            probe = KubeCluster(args.kubeconfig, args.context, "cleanup", "existing", "probe", RateLimit(20, 40))
            try:
                runs = sorted(_runs(probe))
            finally:
                probe.close()
            if not runs:
                print("meshscale cleanup: no run of the plugin left anything on this cluster")
        else:
            runs = [args.run_id]
        for run_id in runs:
            _clean(args.kubeconfig, args.context, run_id, args.dry_run)
    except ClusterError as exc:
        print(f"meshscale cleanup: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0
