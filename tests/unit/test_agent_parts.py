"""The data-plane agent's parts that need no control plane: the Mirror (the Store's read interface, fed by
watch events and relists), one tunnelled HTTP connection served as a pod serves it, and the faults `up`
accepts. The agent on a real API server: test_control_plane_cluster.py and the suites on kwok."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest

from pytest_meshscale.sim.agent.http_conn import serve_http
from pytest_meshscale.sim.agent.mirror import Mirror
from pytest_meshscale.sim.control_plane.command import UsageError, kwok_faults
from pytest_meshscale.sim.dataplane.topology import Topology
from pytest_meshscale.sim.runtime import ProxyResult


def _pod(name: str, ip: str, labels: dict[str, str] | None = None, rv: str = "1") -> dict:
    return {"metadata": {"name": name, "namespace": "ns", "labels": labels or {}, "resourceVersion": rv},
            "status": {"podIP": ip, "phase": "Running"}}


def test_the_mirror_answers_as_the_store_and_keeps_subscribers_indexes_right():
    mirror = Mirror()
    topo = Topology(mirror)  # the data plane's index, fed by the mirror's events
    mirror.replace("pods", [_pod("a", "10.0.0.1", {"app": "x"}), _pod("b", "10.0.0.2")])
    assert [p["metadata"]["name"] for p in mirror.list("pods", "ns", label_selector="app=x")[0]] == ["a"]
    assert topo.pod_by_ip("10.0.0.2")["metadata"]["name"] == "b"
    mirror.apply("DELETED", "pods", _pod("a", "10.0.0.1"))
    mirror.replace("pods", [_pod("c", "10.0.0.3", rv="7")])  # a relist: b vanished meanwhile
    assert topo.pod_by_ip("10.0.0.2") is None and topo.pod_by_ip("10.0.0.1") is None
    assert mirror.try_get("pods", "ns", "c") is not None and mirror.object_counts() == {"pods": 1}
    assert mirror.resource_version == "7"


def test_a_tunnelled_connection_is_served_request_by_request():
    ours, theirs = socket.socketpair()
    seen = []

    def answer(method: str, path: str, query: str, body: bytes) -> ProxyResult:
        seen.append((method, path, query, body))
        return ProxyResult(200, b"ok:" + body)

    worker = threading.Thread(target=serve_http, args=(ours, answer))
    worker.start()
    theirs.sendall(b"GET /fortio/rest/run?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   b"3\r\nabc\r\n0\r\n\r\n")
    worker.join(5)
    replies = theirs.recv(65536).decode()
    assert seen == [("GET", "/fortio/rest/run", "n=1", b""), ("POST", "/echo", "", b"abc")]
    assert replies.count("HTTP/1.1 200 OK") == 2 and replies.endswith("ok:abc")
    assert "Connection: close" in replies


def test_up_takes_the_faults_it_can_act_on_and_refuses_the_rest_in_one_line():
    assert kwok_faults(["l7-bypass", "plaintext"]).l7_bypass
    assert kwok_faults(["slow-ready=1.5"]).slow_ready_s == 1.5  # KWOK's pod-ready stage waits
    for fault in ("api-errors=0.1", "watch-drop=2"):
        with pytest.raises(UsageError, match="cannot act on a real control plane yet"):
            kwok_faults([fault])
    with pytest.raises(UsageError, match="unknown fault"):
        kwok_faults(["nope"])


def test_up_with_a_fault_it_cannot_inject_exits_2_before_starting_anything(tmp_path):
    run = subprocess.run([sys.executable, "-m", "pytest_meshscale.cli", "control-plane", "up", "--mesh", "cilium",
                          "--kubeconfig", str(tmp_path / "kc"), "--fault", "watch-drop=1"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "fault 'watch-drop=1' cannot act" in run.stderr


def test_a_job_pod_ends_with_its_images_exit_code():
    from pytest_meshscale.sim.agent.jobs import terminated_status

    pod = {"metadata": {"name": "j"}, "spec": {"containers": [{"name": "c", "image": "alpine/openssl"}]}}
    ok, failed = terminated_status(pod, 0, 0.0, 1.0)["status"], terminated_status(pod, 1, 0.0, 1.0)["status"]
    assert ok["phase"] == "Succeeded" and failed["phase"] == "Failed"
    (status,) = failed["containerStatuses"]
    assert status["state"]["terminated"]["exitCode"] == 1 and status["state"]["terminated"]["reason"] == "Error"
    assert {c["type"]: c["status"] for c in ok["conditions"]} == {"ContainersReady": "False", "Ready": "False"}


METRICS_TEXT = """# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="201",dry_run="",group="",resource="pods",subresource="",verb="POST"} 12
apiserver_request_total{code="200",dry_run="",group="apps",resource="deployments",subresource="scale",verb="PATCH"} 5
apiserver_request_total{code="200",dry_run="",group="",resource="pods",subresource="status",verb="APPLY"} 2
apiserver_request_total{code="200",dry_run="",group="",resource="namespaces",subresource="",verb="DELETE"} 1
apiserver_request_total{code="409",dry_run="",group="",resource="pods",subresource="",verb="POST"} 7
apiserver_request_total{code="200",dry_run="",resource="leases",subresource="",verb="PUT"} 900
apiserver_request_total{code="201",dry_run="",group="",resource="serviceaccounts",subresource="token",verb="POST"} 30
apiserver_request_total{code="201",dry_run="All",group="",resource="pods",subresource="",verb="POST"} 3
apiserver_request_total{code="200",dry_run="",group="",resource="pods",subresource="",verb="LIST"} 40
apiserver_request_duration_seconds_count{verb="POST"} 99
"""


def test_api_writes_are_the_api_servers_successful_churn_writes_read_at_most_every_few_seconds():
    from pytest_meshscale.sim.agent.writes import TTL_S, ApiWrites, parse_writes

    assert parse_writes(METRICS_TEXT) == {"create": 12, "update": 7, "delete": 1}  # no leases, tokens, 409s, dry runs
    now, fetched = [0.0], []

    def fetch() -> str:
        fetched.append(now[0])
        if len(fetched) == 3:
            raise OSError("connection refused")  # the API server stopping: the last totals stay
        return METRICS_TEXT.replace("} 12", f"}} {12 + len(fetched)}")

    writes = ApiWrites(fetch, clock=lambda: now[0])
    assert writes.counts()["create"] == 13
    now[0] = TTL_S / 2
    assert writes.counts()["create"] == 13 and len(fetched) == 1
    now[0] = TTL_S
    assert writes.counts()["create"] == 14
    now[0] = 2 * TTL_S
    assert writes.counts()["create"] == 14 and len(fetched) == 3
    mirror = Mirror()
    assert mirror.write_counts == {}
    mirror.writes = writes.counts
    assert sum(mirror.write_counts.values()) == 14 + 7 + 1


def test_on_the_embedded_sim_the_api_writes_are_its_stores_whole_count():
    """The sim's controllers write to its Store directly: its apiserver_request_total lacks them, its store counter
    has them, and that is what the agent reads there."""
    from pytest_meshscale.sim.agent.writes import parse_writes

    sim_text = METRICS_TEXT + ('meshscale_sim_store_writes_total{verb="create"} 5000\n'
                               'meshscale_sim_store_writes_total{verb="delete"} 40\n'
                               'meshscale_sim_store_writes_total{verb="update"} 900\n')
    assert parse_writes(sim_text) == {"create": 5000, "update": 900, "delete": 40}
