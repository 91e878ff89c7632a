"""Each mesh's pressure on a REAL kube-apiserver and etcd (`--mesh-cluster=kwok`), side by side (issue 13).

Run: .venv/bin/python benchmarks/api_pressure.py [--scale pr|smoke|full] [--mesh cilium,istio-ambient,baseline]
     [--svg FILE]  (the window over time, api-pressure-over-time.svg, for the meshes side by side)

For each mesh it runs `pytest tests/scale/test_api_pressure.py --mesh-cluster=kwok` (a control plane per mesh:
the profile's nodes, the mesh's upstream CRDs and components, the fleet; then the mesh's clients EMULATED from
fixtures/meshes/<mesh>/api-clients.yaml during the seed's churn) and prints the table of what kube-apiserver's
and etcd's own /metrics said: requests/s, p99 against ClusterLoader2's SLOs, open watches, CPU and RSS.
The API server and etcd are real; the clients' pattern is emulated, and the pods run nothing.

`--scale full` is 1,000 nodes: 1,000 cilium-agents' informers (13 watches each) and the fleet of 50,500 pods,
~20 minutes of fleet creation on 2 cores before the window even starts (README: control_plane_scale.py).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pytest_meshscale.report.api_pressure_table import pressure_table  # noqa: E402
from pytest_meshscale.report.svg_api_timeline import api_timeline_svg  # noqa: E402
from pytest_meshscale.scenario.api_pressure import result_from_dict  # noqa: E402

TEST = REPO / "tests" / "scale" / "test_api_pressure.py"
SUMMARY = re.compile(r"\b(passed|failed|skipped|error|errors|deselected)\b.* in [\d.]+s")


def run_mesh(mesh: str, scale: str, results: Path) -> tuple[dict, float, str]:  # type: ignore[type-arg]
    start = time.monotonic()
    # pytest's output streams through (its progress lines: the fleet, the informers' first LISTs, the teardown;
    # at full scale a mesh takes 40 minutes); its summary line is read from the tail
    # --mesh-keep: no object-by-object teardown; the run's own control plane (etcd's data included) is removed
    # when pytest ends anyway, and deleting 50,500 pods first took 15 minutes at full scale (measured 2026-12-07)
    argv = [sys.executable, "-m", "pytest", str(TEST), f"--mesh={mesh}", f"--scale={scale}", "--mesh-cluster=kwok",
            "--mesh-keep", f"--mesh-results-dir={results}", "-o", "addopts=", "-q", "-p", "no:cacheprovider"]
    with subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        tail: collections.deque[str] = collections.deque(maxlen=40)
        for line in proc.stdout:
            print(f"[{mesh}] {line}", end="", file=sys.stderr, flush=True)
            tail.append(line)
    found = sorted(results.glob(f"*/api-pressure-{mesh}-*.json"))
    # pytest's summary ("1 failed in 1904.02s"), not the control plane's last progress line after it
    summaries = [line.strip() for line in tail if SUMMARY.search(line)]
    outcome = summaries[-1] if summaries else f"exit {proc.returncode}"
    if not found:
        raise SystemExit(f"{mesh}: no result ({outcome})")
    return json.loads(found[-1].read_text()), time.monotonic() - start, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="pr")
    parser.add_argument("--mesh", default="cilium,istio-ambient,baseline")
    parser.add_argument("--svg", type=Path, help="write the chart over time here")
    args = parser.parse_args()
    docs, notes = [], []
    with tempfile.TemporaryDirectory(prefix="meshscale-api-pressure-") as tmp:
        for mesh in args.mesh.split(","):
            doc, took, outcome = run_mesh(mesh, args.scale, Path(tmp) / mesh)
            docs.append(doc)
            notes.append(f"{mesh}: pytest {outcome} in {took:.0f} s; emulated clients: {json.dumps(doc['emulated'])}")
    results = [result_from_dict(d) for d in docs]
    print(pressure_table(results))
    chart = api_timeline_svg(results)
    if args.svg and chart is not None:
        args.svg.write_text(chart)
    print("\n".join(notes))


if __name__ == "__main__":
    main()
