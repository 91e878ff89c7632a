"""The simulated fortio server: fetch outcomes per mesh, REST runs (sync/async/stop) in fortio's JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from test_sim_dataplane_cilium import CCNP, CNP, seed_l7
from test_sim_dataplane_istio import AP, ambient_world
from test_sim_dataplane_istio import seed_l7 as waypoint_l7
from test_sim_dataplane_world import World, seed_world

from pytest_meshscale.sim.faults import Faults
from pytest_meshscale.sim.images import SimRuntime

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "upstream" / "fortio-samples"


def runtime(w: World, mesh: str = "cilium", **faults: bool) -> SimRuntime:
    return SimRuntime(w.store, mesh, faults=Faults(**faults), seed=7)  # type: ignore[arg-type]


def fetch(rt: SimRuntime, pod: dict[str, Any], target: str, method: str = "GET") -> Any:
    return rt.proxy(pod, 8080, method, f"/fortio/fetch/{target}", "", b"")


def run(rt: SimRuntime, pod: dict[str, Any], **params: str) -> dict[str, Any]:
    body = {
        "url": "http://loadservice:8080",
        "qps": "999999",
        "c": "8",
        "t": "200ms",
        "timeout": "750ms",
        "r": "0.0001",
        "p": "50,+75,+90,+99,+99.9",
        "uniform": "on",
        "save": "on",
        **params,
    }
    res = rt.proxy(pod, 8080, "POST", "/fortio/rest/run", "", json.dumps(body).encode())
    assert res.status == 200, res.body
    return dict(json.loads(res.body))


def test_fetch_allowed_returns_the_load_service_answer() -> None:
    w, client, _ = seed_world()
    res = fetch(runtime(w), client, "loadservice:8080/")
    assert (res.status, len(res.body)) == (200, 10240)


def test_fetch_l7_deny_is_the_proxy_403() -> None:
    w, client, _ = seed_world()
    w.add(CNP, seed_l7())
    res = fetch(runtime(w), client, "loadservice:8080/admin")
    assert (res.status, res.body) == (403, b"Access denied\r\n")
    assert res.headers["X-Meshscale-Decided-By"] == "cilium-envoy (L7 policy)"


def test_fetch_l7_bypass_fault_lets_it_through() -> None:
    w, client, _ = seed_world()
    w.add(CNP, seed_l7())
    assert fetch(runtime(w, l7_bypass=True), client, "loadservice:8080/admin").status == 200


@pytest.mark.parametrize(("which_mesh", "how"), [("cilium", "timeout"), ("istio-ambient", "reset")])
def test_fetch_l4_deny_is_a_502_that_names_how(which_mesh: str, how: str) -> None:
    w, _, other = ambient_world()
    w.add(CNP, seed_l7())
    w.add(
        AP,
        {
            "metadata": {"name": "only-ns1", "namespace": "ns-001"},
            "spec": {
                "selector": {"matchLabels": {"app": "loadservice"}},
                "rules": [{"from": [{"source": {"namespaces": ["ns-001"]}}]}],
            },
        },
    )
    res = fetch(runtime(w, which_mesh), other, "loadservice.ns-001:8080/")
    assert (res.status, res.headers["X-Fortio-Fetch-Error"]) == (502, how)
    assert {"timeout": b"i/o timeout", "reset": b"connection reset by peer"}[how] in res.body


def test_fetch_waypoint_403_body() -> None:
    w, client, _ = ambient_world(waypoint=True)
    w.add(AP, waypoint_l7(["/"]))
    res = fetch(runtime(w, "istio-ambient"), client, "loadservice:8080/admin")
    assert (res.status, res.body) == (403, b"RBAC: access denied")


def test_fetch_to_a_closed_port_is_refused() -> None:
    w, client, _ = seed_world()
    ip = w.store.get("pods", "ns-001", "loadservice-a")["status"]["podIP"]
    res = fetch(runtime(w), client, f"{ip}:9090/")
    assert res.headers["X-Fortio-Fetch-Error"] == "refused" and b"connection refused" in res.body


def test_api_server_proxy_blocked_by_policy_is_a_503() -> None:
    w, client, _ = seed_world()
    w.add(
        CCNP,
        {
            "metadata": {"name": "cilium-namespaces"},
            "spec": {
                "endpointSelector": {"matchLabels": {"app": "fortio-client"}},
                "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "fortio-commander"}}]}],
            },
        },
    )
    res = fetch(runtime(w), client, "loadservice:8080/")
    assert res.status == 503 and res.body.startswith(b"error trying to reach service: dial tcp")


def test_sync_run_is_fortio_json_with_consistent_counts() -> None:
    w, client, _ = seed_world()
    t0 = time.time()
    d = run(runtime(w), client)
    assert time.time() - t0 >= 0.2  # a run takes its duration in wall time
    h = d["DurationHistogram"]
    assert h["Count"] == sum(b["Count"] for b in h["Data"]) == sum(d["RetCodes"].values()) > 0
    assert [p["Percentile"] for p in h["Percentiles"]] == [50, 75, 90, 99, 99.9]
    values = [p["Value"] for p in h["Percentiles"]]
    assert h["Min"] <= values[0] <= values[-1] <= h["Max"] and values == sorted(values)
    assert d["RequestedQPS"] == "999999" and d["RequestedDuration"] == "200ms" and d["RunType"] == "HTTP"
    assert "simulated" in d["Labels"] and d["HTTPReqTimeOut"] == 750_000_000 and d["Resolution"] == 0.0001
    assert d["ActualQPS"] == pytest.approx(h["Count"] / (d["ActualDuration"] / 1e9), rel=1e-6)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/upstream/fortio-samples is not next to the repo")
def test_run_json_has_every_field_of_a_real_fortio_result_with_the_same_types() -> None:
    real = json.loads((SAMPLES / "iter8-fortio-1.57.3.json").read_text())
    w, client, _ = seed_world()
    ours = run(runtime(w), client)
    missing = [k for k in real if k not in ours]
    assert not missing
    wrong = [
        k
        for k, v in real.items()
        if v is not None
        and ours[k] is not None
        and type(v) is not type(ours[k])
        and not {type(v), type(ours[k])} <= {int, float}
    ]
    assert not wrong


def test_denied_run_counts_403_and_errors() -> None:
    w, client, _ = seed_world()
    w.add(CNP, seed_l7())
    d = run(runtime(w), client, url="http://loadservice:8080/admin")
    assert set(d["RetCodes"]) == {"403"}
    assert d["ErrorsDurationHistogram"]["Count"] == d["RetCodes"]["403"] == d["DurationHistogram"]["Count"]


def test_async_run_answers_at_once_then_saves_its_result() -> None:
    w, client, _ = seed_world()
    rt = runtime(w)
    res = rt.proxy(client, 8080, "GET", "/fortio/rest/run", "url=loadservice:8080&t=300ms&async=on&save=on", b"")
    reply = json.loads(res.body)
    assert set(reply) == {"message", "RunID", "Count", "ResultID", "ResultURL"}
    path = "/fortio/data/" + reply["ResultID"] + ".json"
    assert reply["ResultURL"].endswith(path)
    assert rt.proxy(client, 8080, "GET", path, "", b"").status == 404
    deadline = time.time() + 5
    while rt.proxy(client, 8080, "GET", path, "", b"").status != 200 and time.time() < deadline:
        time.sleep(0.05)
    assert json.loads(rt.proxy(client, 8080, "GET", path, "", b"").body)["RunID"] == reply["RunID"]


def test_stop_ends_an_open_ended_run() -> None:
    w, client, _ = seed_world()
    rt = runtime(w)
    reply = json.loads(
        rt.proxy(client, 8080, "GET", "/fortio/rest/run", "url=loadservice:8080&t=on&async=on&save=on", b"").body
    )
    time.sleep(0.1)
    assert json.loads(rt.proxy(client, 8080, "GET", "/fortio/rest/status", "", b"").body)["Count"] == 1
    stopped = json.loads(rt.proxy(client, 8080, "GET", "/fortio/rest/stop", f"runid={reply['RunID']}", b"").body)
    assert stopped["Count"] == 1
    path = "/fortio/data/" + reply["ResultID"] + ".json"
    deadline = time.time() + 5
    while rt.proxy(client, 8080, "GET", path, "", b"").status != 200 and time.time() < deadline:
        time.sleep(0.05)
    assert rt.proxy(client, 8080, "GET", path, "", b"").status == 200


def test_bad_run_parameters_are_a_400_naming_the_field() -> None:
    w, client, _ = seed_world()
    res = runtime(w).proxy(client, 8080, "GET", "/fortio/rest/run", "url=loadservice:8080&t=2 minutes", b"")
    assert res.status == 400 and b"invalid duration '2 minutes'" in res.body


def test_logs_show_the_simulated_server_and_its_runs() -> None:
    w, client, _ = seed_world()
    rt = runtime(w)
    run(rt, client)
    log = rt.logs(client, None)
    assert "(simulated image)" in log and "calls. qps=" in log


@pytest.mark.parametrize(
    ("which_mesh", "path", "expected"),
    [("cilium", "/", "timed out"), ("istio-ambient", "/", "reset or refused"), ("cilium", "/admin", "403")],
)
def test_the_plugins_one_call_probe_reads_how_a_request_was_denied(which_mesh: str, path: str, expected: str) -> None:
    """The contract with pytest_meshscale/probes.py: n=1 runs, RetCodes and the error duration."""
    from pytest_meshscale.scenario.probes import PROBE_TIMEOUT_S, observation_from_fortio, probe_payload

    w, client, other = ambient_world()
    w.add(CNP, seed_l7())
    w.add(
        AP,
        {
            "metadata": {"name": "only-ns1", "namespace": "ns-001"},
            "spec": {
                "selector": {"matchLabels": {"app": "loadservice"}},
                "rules": [{"from": [{"source": {"namespaces": ["ns-001"]}}]}],
            },
        },
    )
    src = client if path == "/admin" else other
    body = json.dumps(probe_payload(f"http://loadservice.ns-001:8080{path}", "GET")).encode()
    res = runtime(w, which_mesh).proxy(src, 8080, "POST", "/fortio/rest/run", "", body)
    result = json.loads(res.body)
    assert sum(result["RetCodes"].values()) == 1
    if expected == "403":
        assert result["RetCodes"] == {"403": 1}
    else:
        assert expected in repr(observation_from_fortio(result, PROBE_TIMEOUT_S))


def test_the_plugins_fortio_parser_and_merge_accept_the_sim_results() -> None:
    """Contract check only: the sim writes fortio JSON on its own; the plugin's parser must read it."""
    from pytest_meshscale.model.fortio import merge_results, parse_result

    w, client, _ = seed_world()
    rt = runtime(w)
    docs = [run(rt, client, url=f"http://loadservice:8080/p{i}") for i in range(2)]
    parsed = [parse_result(d, f"sim-{i}") for i, d in enumerate(docs)]
    merged = merge_results(parsed, [50, 99])
    assert merged is not None


def test_running_loads_rebook_their_rate_as_more_clients_start() -> None:
    """Node agents' CPU reads the booked rates: the first of many clients must not keep the rate it had
    alone (at full scale that over-counted the mesh's cores about 3.8 times)."""
    w, client, _ = seed_world()
    rt = runtime(w)
    query = "url=loadservice:8080&t=on&c=4000&async=on&save=on"
    replies = [json.loads(rt.proxy(client, 8080, "GET", "/fortio/rest/run", query, b"").body)]
    time.sleep(0.3)
    alone = rt.env.loadbook.flows()[0].qps
    replies += [json.loads(rt.proxy(client, 8080, "GET", "/fortio/rest/run", query, b"").body) for _ in range(3)]
    time.sleep(1.5)  # > REBOOK_S
    rates = [f.qps for f in rt.env.loadbook.flows()]
    for reply in replies:
        rt.proxy(client, 8080, "GET", "/fortio/rest/stop", f"runid={reply['RunID']}", b"")
    assert len(rates) == 4 and max(rates) - min(rates) < 1e-6, rates
    assert rates[0] < alone
