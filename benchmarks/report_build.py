"""Time to build the report (Allure 3 generate + scorecard) for a `pr`-sized results folder.

Synthesizes a realistic results folder first: 40 tests x 3 meshes (policy, encryption and scale
suites), written by allure-pytest itself through the plugin's label and attachment helpers, with a
policy matrix, latency histogram, percentile chart, CPU/memory chart and fortio JSON attachments,
run files and one Score JSON per mesh. Then runs `meshscale report` on it REPEAT times.

    .venv/bin/python benchmarks/report_build.py [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from pytest_meshscale.model import NodePool
from pytest_meshscale.model.score import Score
from pytest_meshscale.report.build_command import main as build_report
from pytest_meshscale.report.run_files import MeshFacts, RunFacts, write_run_files

MESHES = {
    "istio-ambient": ("1.24.0", 7180.0, 3.4),
    "cilium": ("1.16.3", 4750.0, 2.62),
    "baseline": ("", 9800.0, 0.0),
}
SUITES = {"policy": 16, "encryption": 8, "scale": 16}

INNER = textwrap.dedent("""
    import os, random
    import pytest
    from pytest_meshscale.report.allure_labels import ResultIdentity, label_test
    from pytest_meshscale.report.attachments import (attach_latency, attach_policy_matrix, attach_usage,
                                                     attach_churn_log)
    from pytest_meshscale.report.html_policy import PolicyCell

    MESH = os.environ["MESH"]
    CASES = [(suite, i) for suite, n in {suites!r}.items() for i in range(n)]

    def histogram(seed):
        rng = random.Random(seed)
        edges = [0.0005 * 1.25 ** k for k in range(28)]
        data = [{{"Start": a, "End": b, "Count": rng.randint(0, 5000)}} for a, b in zip(edges, edges[1:])]
        pcts = [{{"Percentile": p, "Value": 0.001 * (1 + i)}} for i, p in enumerate((50, 75, 90, 99, 99.9))]
        return {{"Count": sum(d["Count"] for d in data), "Data": data, "Percentiles": pcts}}

    @pytest.mark.parametrize(("suite", "index"), CASES)
    def test_scenario(suite, index):
        scenario = f"{{suite}} scenario {{index % 4}}"
        label_test(ResultIdentity(mesh=MESH, scale="pr", suite=suite, scenario=scenario, simulated=True,
                                  run_id="bench", cluster="sim-bench"))
        if suite == "policy":
            cells = [PolicyCell(f"client-{{s}}", f"svc-{{d}}", "GET /admin", "deny: http 403",
                                "deny: http 403" if (s + d + index) % 7 else "allow")
                     for s in range(4) for d in range(4)]
            attach_policy_matrix(cells, MESH, True)
        elif suite == "scale":
            clients = {{f"ns-{{c:03d}}": histogram(c) for c in range(3)}}
            attach_latency(histogram(index), MESH, True, clients)
            usage = {{"agent": [(t, 0.1 + t / 100, 5e7 + t * 1e6) for t in range(0, 60, 5)]}}
            attach_usage(usage, MESH, True)
            attach_churn_log([{{"t_s": t, "action": "scale", "replicas": 2 + t % 3}} for t in range(20)])
        assert not (MESH == "cilium" and index == 3), "finding on cilium"
""").format(suites=SUITES)


def _score(mesh: str, version: str, qps: float, cores: float) -> Score:
    return Score(
        mesh=mesh,
        mesh_version=version,
        scale="pr",
        cluster_kind="sim",
        simulated=True,
        run_id="bench",
        started_at="2026-11-27T00:00:00+00:00",
        duration_s=20.0,
        clients=3,
        requests=int(qps * 20),
        qps=qps,
        errors=0,
        error_rate=0.0,
        ret_codes={"200": int(qps * 20)},
        latency_s={"50": 0.0014, "75": 0.0019, "90": 0.0026, "99": 0.0081, "99.9": 0.021},
        mesh_cores_idle=cores / 10 or None,
        mesh_cores_load=cores or None,
        mesh_memory_idle_bytes=4e8 if cores else None,
        mesh_memory_load_bytes=5e8 if cores else None,
    )


def synthesize(root: Path) -> tuple[Path, Path]:
    alluredir, scores = root / "allure-results", root / "meshscale-results"
    scores.mkdir(parents=True)
    (root / "test_bench.py").write_text(INNER)
    for mesh, (version, qps, cores) in MESHES.items():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:meshscale",
                "-p",
                "no:cacheprovider",
                f"--alluredir={alluredir}",
                "test_bench.py",
            ],
            cwd=root,
            env={**os.environ, "MESH": mesh},
            check=False,
            capture_output=True,
        )
        (scores / f"score-{mesh}-pr-bench.json").write_text(_score(mesh, version, qps, cores).to_json())
    pools = (NodePool("server", "server", 1, 4, 8), NodePool("client", "client", 1, 4, 8))
    facts = RunFacts(tuple(MeshFacts(m, v) for m, (v, _, _) in MESHES.items()), "v1.31.0", pools, "pr", "sim", True)
    write_run_files(alluredir, facts, environ={})
    return alluredir, scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="write the results and report here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        started = time.monotonic()
        alluredir, scores = synthesize(root)
        files = len(list(alluredir.iterdir()))
        print(
            f"synthesized {len(list(alluredir.glob('*-result.json')))} results, {files} files in "
            f"{time.monotonic() - started:.1f} s"
        )
        times = []
        for _ in range(args.repeat):
            started = time.monotonic()
            code = build_report([str(alluredir), str(scores), "-o", str(root / "report")])
            times.append(time.monotonic() - started)
            if code != 0:
                return code
        print(
            f"meshscale report (allure generate + scorecard), pr-sized results: median "
            f"{statistics.median(times):.2f} s over {args.repeat} runs "
            f"(min {min(times):.2f}, max {max(times):.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
