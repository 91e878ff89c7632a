"""MeshScheduling with simulated xdist workers: each mesh's tests stay on one worker, and the cross-mesh
tail starts only after every other test finished, without deadlocking on the test a worker holds back."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from pytest_meshscale.xdist_scheduling import LAST_GROUP, MeshScheduling

COLLECTION = [
    "t.py::test_a[cilium-x]", "t.py::test_a[istio-ambient-x]", "t.py::test_b[cilium]",
    "t.py::test_b[istio-ambient]", "t.py::test_c[cilium]", "u.py::test_plain", "z.py::test_parity",
]
GROUPS = {
    "t.py::test_a[cilium-x]": "mesh-cilium", "t.py::test_b[cilium]": "mesh-cilium",
    "t.py::test_c[cilium]": "mesh-cilium",
    "t.py::test_a[istio-ambient-x]": "mesh-istio-ambient", "t.py::test_b[istio-ambient]": "mesh-istio-ambient",
    "z.py::test_parity": LAST_GROUP,
}


class Worker:
    """Like an xdist worker: it runs a test only once it knows the next one, or has been told to stop."""

    def __init__(self, name: str, ran: list[tuple[str, str]]) -> None:
        self.name, self.ran, self.queue, self.shutting_down = name, ran, [], False
        self.gateway = SimpleNamespace(id=name)

    def send_runtest_some(self, indices: list[int]) -> None:
        self.queue += indices

    def shutdown(self) -> None:
        self.shutting_down = True

    def runnable(self) -> bool:
        return len(self.queue) >= 2 or (self.shutting_down and bool(self.queue))


def _drive(tmp_path, groups: dict[str, str], workers: int = 2) -> list[tuple[str, str]]:
    (tmp_path / "groups.json").write_text(json.dumps(groups))
    values = {"tx": ["popen"] * workers, "numprocesses": workers}
    config = SimpleNamespace(option=SimpleNamespace(loadscopereorder=False), getvalue=values.get)
    sched = MeshScheduling(config, tmp_path / "groups.json")
    ran: list[tuple[str, str]] = []
    nodes = [Worker(f"gw{i}", ran) for i in range(workers)]
    for node in nodes:
        sched.add_node(node)
        sched.add_node_collection(node, COLLECTION)
    sched.schedule()
    for _ in range(100):  # the DSession loop: run what can run, stop when xdist would
        node = next((n for n in nodes if n.runnable()), None)
        if node is None:
            break
        index = node.queue.pop(0)
        ran.append((node.name, COLLECTION[index]))
        sched.mark_test_complete(node, index)
        if sched.tests_finished:
            for n in nodes:
                n.shutdown()
    assert not sched.has_pending, f"deadlock: ran {ran}"
    return ran


def test_each_mesh_runs_on_one_worker_and_the_tail_runs_last(tmp_path):
    ran = _drive(tmp_path, GROUPS)
    assert sorted(test for _, test in ran) == sorted(COLLECTION)
    for mesh in ("[cilium", "[istio-ambient"):
        assert len({worker for worker, test in ran if mesh in test}) == 1, ran
    assert ran[-1][1] == "z.py::test_parity"


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_no_deadlock_whatever_the_worker_count(tmp_path, workers):
    assert _drive(tmp_path, GROUPS, workers)[-1][1] == "z.py::test_parity"


def test_without_groups_the_tail_is_just_another_module(tmp_path):
    ran = _drive(tmp_path, {})
    assert sorted(test for _, test in ran) == sorted(COLLECTION)  # plain LoadScope behaviour
