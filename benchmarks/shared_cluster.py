"""Runs sharing one cluster, measured: a standalone sim used as an existing cluster, then
  - N rounds of two `pytest tests/policy` runs started 1 s apart (both must pass, nothing left), and
  - SIGTERM sent at given seconds into a run: exit status, time to exit, run-labelled objects left.

    .venv/bin/python benchmarks/shared_cluster.py --rounds 5 --sigterm-at 3 8

Prints one line per measurement and a summary; exit 1 if any run misbehaved. Real pytest subprocesses
and real signals; the cluster is SIMULATED (its API behaviour is the sim's, the timings are real)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_meshscale.cluster.base import RUN_LABEL  # noqa: E402
from pytest_meshscale.cluster.kube import KubeCluster  # noqa: E402
from pytest_meshscale.cluster.ratelimit import RateLimit  # noqa: E402
from pytest_meshscale.sim.process import SimProcess  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KINDS = [("v1", "Namespace"), ("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "ServiceAccount"),
         ("batch/v1", "Job"), ("cilium.io/v2", "CiliumNetworkPolicy")]


def _pytest(kubeconfig: Path, cwd: Path) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "pytest", str(ROOT / "tests" / "policy"), "--mesh=cilium",
            "--mesh-cluster=existing", f"--mesh-kubeconfig={kubeconfig}", "-p", "no:cacheprovider",
            "-o", "addopts=", "--rootdir", str(ROOT), "-q"]
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _left(kubeconfig: Path) -> int:
    cluster = KubeCluster(str(kubeconfig), None, "observer", "existing", "observer", RateLimit(50, 100))
    try:
        return sum(len(cluster.list(v, k, labels=RUN_LABEL)) for v, k in KINDS)
    finally:
        cluster.close()


def _tail(proc: subprocess.Popen[str]) -> str:
    out = proc.stdout.read() if proc.stdout else ""
    return out.strip().splitlines()[-1] if out.strip() else ""


def concurrent_rounds(kubeconfig: Path, tmp: Path, rounds: int) -> bool:
    ok = True
    for i in range(1, rounds + 1):
        start = time.monotonic()
        first = _pytest(kubeconfig, tmp / f"r{i}a")
        time.sleep(1.0)
        second = _pytest(kubeconfig, tmp / f"r{i}b")
        codes = first.wait(), second.wait()
        took, left = time.monotonic() - start, _left(kubeconfig)
        good = codes == (0, 0) and left == 0
        ok &= good
        print(f"round {i}: exit codes {codes}, {took:.1f} s, run-labelled objects left {left}: "
              f"{'ok' if good else 'FAILED'} [{_tail(first)} | {_tail(second)}]", flush=True)
    return ok


def sigterm_at(kubeconfig: Path, tmp: Path, seconds: float) -> bool:
    proc = _pytest(kubeconfig, tmp / f"sig{seconds:g}")
    time.sleep(seconds)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=300)
    took, left = time.monotonic() - sent, _left(kubeconfig)
    good = code == 2 and left == 0
    print(f"SIGTERM at {seconds:g} s: exit status {code}, exited {took:.2f} s after the signal, "
          f"run-labelled objects left {left}: {'ok' if good else 'FAILED'}", flush=True)
    return good


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sigterm-at", type=float, nargs="*", default=[3.0, 8.0])
    parser.add_argument("--slow-ready", type=float, default=6.0, help="sim fault: seconds before pods are ready")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meshscale-shared-") as folder:
        tmp = Path(folder)
        with SimProcess(mesh="cilium", scale="smoke", kubeconfig=tmp / "kc") as sim:
            ok = concurrent_rounds(sim.kubeconfig, tmp, args.rounds)
        faults = (f"slow-ready={args.slow_ready:g}",)
        with SimProcess(mesh="cilium", scale="smoke", faults=faults, kubeconfig=tmp / "kc2") as sim:
            for seconds in args.sigterm_at:
                ok &= sigterm_at(sim.kubeconfig, tmp, seconds)
    print("all ok" if ok else "SOME RUNS MISBEHAVED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
