"""The pure parts of benchmarks/full_scale.py and control_plane_scale.py: the process-tree RSS sampler (on a
fake /proc tree, and on a real tree of child processes) and the request counters read from the sim's and from
a real kube-apiserver's /metrics, whose labels differ (order, verbs in capitals, extra labels)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from proc_tree import TreeSampler, descendants, peak_rss_mib, python_target  # noqa: E402
from sim_api import request_counts  # noqa: E402


def fake_process(proc: Path, pid: int, ppid: int, exe: str, argv: list[str], hwm_kib: int | None) -> None:
    d = proc / str(pid)
    d.mkdir(parents=True, exist_ok=True)
    (d / "stat").write_text(f"{pid} ({Path(exe).name[:15]}) S {ppid} {pid} {pid} 0 -1\n")
    (d / "comm").write_text(Path(exe).name[:15] + "\n")
    (d / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (d / "status").write_text("Name:\tx\n" + (f"VmHWM:\t{hwm_kib} kB\n" if hwm_kib else "") + "VmRSS:\t1024 kB\n")
    if not (d / "exe").is_symlink():
        (d / "exe").symlink_to(exe)  # dangling: readlink still names it


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    """pytest (100) -> kube-apiserver (101), `meshscale control-plane up` (102) -> etcd (103); 200 is not ours."""
    py = "/usr/bin/python3.11"
    fake_process(tmp_path, 100, 1, py, [py, "-m", "pytest", "tests/scale", "--mesh=cilium"], 90 * 1024)
    fake_process(tmp_path, 102, 100, py, [py, "-m", "pytest_meshscale.cli", "control-plane", "up", "--mesh", "x"],
                 50 * 1024)
    fake_process(tmp_path, 101, 102, "/bin/kube-apiserver", ["kube-apiserver", "--etcd-servers=x"], 300 * 1024)
    fake_process(tmp_path, 103, 102, "/bin/etcd", ["etcd"], None)  # no VmHWM: its VmRSS stands
    fake_process(tmp_path, 200, 1, "/bin/kube-apiserver", ["kube-apiserver"], 999 * 1024)
    return tmp_path


def test_the_tree_is_the_root_and_its_descendants_only(proc: Path) -> None:
    assert descendants(100, proc) == [100, 102, 101, 103]


def test_each_process_is_named_by_its_executable_or_what_python_runs(proc: Path) -> None:
    assert peak_rss_mib(100, proc) == {"pytest": 90.0, "meshscale control-plane up": 50.0, "kube-apiserver": 300.0,
                                       "etcd": 1.0}


def test_the_sampler_keeps_each_peak_and_the_last_value_of_a_process_that_exited(proc: Path) -> None:
    sampler = TreeSampler(100, proc)
    sampler.sample()
    fake_process(proc, 101, 102, "/bin/kube-apiserver", [], 400 * 1024)  # grew
    fake_process(proc, 100, 1, "/usr/bin/python3.11", ["python3.11", "-m", "pytest"], 10)  # VmHWM never drops
    for f in (proc / "103").iterdir():  # etcd exited
        f.unlink()
    (proc / "103").rmdir()
    fake_process(proc, 104, 100, "/bin/etcd", ["etcd"], 2048)  # a second etcd
    sampler.sample()
    # the larger etcd keeps the name, although seen second (on kwok a 60 MiB kube-apiserver seen first once took
    # the name of the 4.9 GiB one)
    assert sampler.by_name_mib() == {"pytest": 90.0, "meshscale control-plane up": 50.0, "kube-apiserver": 400.0,
                                     "etcd": 2.0, "etcd-103": 1.0}
    assert sampler.root_kib() == 90 * 1024
    assert sampler.total_mib() == 543.0


@pytest.mark.parametrize(("argv", "name"), [
    (["python3", "-u", "-m", "pytest", "tests"], "pytest"),
    (["/v/bin/python", "/v/bin/meshscale", "control-plane", "up", "--mesh", "cilium"], "meshscale control-plane up"),
    (["python", "-m", "pytest_meshscale.cli", "sim", "--help"], "meshscale sim"),
    (["python", "benchmarks/full_scale.py", "--backend", "kwok"], "full_scale.py"),
    (["python", "-c", "import x"], "python -c"),
    (["python3"], "python3"),
])
def test_python_processes_are_named_by_their_target(argv: list[str], name: str) -> None:
    assert python_target(argv) == name


def test_the_sampler_follows_a_real_process_tree() -> None:
    # sh starts a background sleep, then becomes a sleep itself: two levels, both named `sleep`
    parent = subprocess.Popen(["sh", "-c", "sleep 30 & exec sleep 30"])
    try:
        sampler = TreeSampler(parent.pid)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and [n[:5] for n in sampler.by_name_mib()] != ["sleep", "sleep"]:
            sampler.sample()
            time.sleep(0.05)
        names = sampler.by_name_mib()
        children = [p for p in descendants(parent.pid) if p != parent.pid]
    finally:
        for pid in descendants(parent.pid)[1:]:
            subprocess.run(["kill", str(pid)], check=False)
        parent.kill()
        parent.wait()
    assert len(children) == 1 and set(names) in ({"sleep", f"sleep-{children[0]}"}, {"sleep", f"sleep-{parent.pid}"})
    assert all(v > 0 for v in names.values())


REAL = """# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="apps",resource="deployments",\
scope="resource",subresource="",verb="POST",version="v1"} 12
apiserver_request_total{code="201",component="apiserver",dry_run="All",group="apps",resource="deployments",\
scope="resource",subresource="",verb="POST",version="v1"} 1
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="cluster",\
subresource="",verb="LIST",version="v1"} 3
apiserver_request_total{code="200",component="apiserver",dry_run="",group="metrics.k8s.io",resource="pods",\
scope="namespace",subresource="",verb="LIST",version="v1beta1"} 4
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",\
subresource="status",verb="APPLY",version="v1"} 5
apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/metrics",\
verb="GET",version=""} 2
apiserver_request_duration_seconds_bucket{verb="LIST",le="+Inf"} 9
"""
SIM = """apiserver_request_total{verb="create",group="apps",resource="deployments",subresource="",code="201"} 13
apiserver_request_total{verb="list",group="",resource="pods",subresource="",code="200"} 3
apiserver_request_total{verb="list",group="metrics.k8s.io",resource="pods",subresource="",code="200"} 4
apiserver_request_total{verb="apply",group="",resource="pods",subresource="status",code="200"} 5
apiserver_request_total{verb="get",group="",resource="nonresource",subresource="/metrics",code="200"} 2
"""


def test_request_counters_read_alike_from_kube_apiserver_and_from_the_sim() -> None:
    expected = {("create", "deployments.apps", "", "201"): 13, ("list", "pods", "", "200"): 3,
                ("list", "pods.metrics.k8s.io", "", "200"): 4, ("apply", "pods", "status", "200"): 5,
                ("get", "nonresource", "/metrics", "200"): 2}
    assert dict(request_counts(REAL)) == expected
    assert dict(request_counts(SIM)) == expected


def test_the_side_by_side_summary_lists_long_cells_under_the_table(monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import full_scale

    rows = {
        "cilium": [("fleet ready, s", 914.7), ("WATCH by resource", "pods 1000, " * 30), ("tests", "5 passed")],
        "istio-ambient": [("fleet ready, s", 898.0), ("WATCH by resource", "pods 2"), ("tests", "5 passed")],
    }
    monkeypatch.setattr(full_scale, "summary_rows", lambda r: rows[r["mesh"]])
    full_scale.print_summary([{"mesh": "cilium"}, {"mesh": "istio-ambient"}], "full", "kwok")
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("=== kwok: scale suite at --scale full")
    table = out[2:5]
    assert table[0].split() == ["figure", "cilium", "istio-ambient"]
    assert table[1].split()[-2:] == ["914.7", "898.0"] and table[2].endswith("5 passed       5 passed"), table
    assert max(len(line) for line in table) < 100, "a long cell widened the table"
    assert out[5:] == ["  WATCH by resource:", f"    cilium: {rows['cilium'][1][1]}", "    istio-ambient: pods 2"]
