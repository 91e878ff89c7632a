"""The embedded sim running the data-plane agent of the kwok backend (`meshscale sim up --agent`): the agent learns the
cluster over HTTP from the sim's own API server, and what the pods serve through that API server (proxy, logs, Job
completion) is the agent's; the suites' verdicts are the same with and without it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from test_suites_under_faults import REPO, _outcomes, _run

from pytest_meshscale.data.profiles import load_profile
from pytest_meshscale.sim.agent import Agent
from pytest_meshscale.sim.control_plane.kubeapi import Api as Client
from pytest_meshscale.sim.embedded_agent import AGENT_ENV, agent_default, start_agent
from pytest_meshscale.sim.faults import Faults
from pytest_meshscale.sim.runtime import NullRuntime, ProxyResult
from pytest_meshscale.sim.server.api import Api
from pytest_meshscale.sim.server.auth import Authorizer
from pytest_meshscale.sim.server.bootstrap import seed_store
from pytest_meshscale.sim.server.http import ApiServer
from pytest_meshscale.sim.store import Store
from pytest_meshscale.sim.world import World, build_world

NS = "agent-test"


class Sim:
    def __init__(self, mesh: str, faults: Faults) -> None:
        self.store = Store()
        seed_store(self.store)
        profile = load_profile("smoke")
        self.world: World = build_world(self.store, mesh, profile, faults, agent=True)
        self.server = ApiServer(Api(self.store, self.world.runtime, Authorizer("admin"), faults)).start()
        self.world.start()
        self.agent: Agent = start_agent(self.server, self.world, lambda line: None)
        self.client = Client.with_token(self.server.port, self.server.tls.ca_pem.decode(), "admin")

    def stop(self) -> None:
        self.agent.stop()
        self.world.stop()
        self.server.stop()

    def pod(self, name: str, image: str, command: list[str] | None = None) -> dict[str, Any]:
        container: dict[str, Any] = {"name": "main", "image": image, "ports": [{"containerPort": 8080}]}
        container.update({"command": command} if command else {})
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS},
                "spec": {"containers": [container]}}


def _until(what: str, done: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = done()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout:g} s")


@pytest.fixture
def sim() -> Iterator[Sim]:
    # api-errors on every write: the run's clients would see them, the agent (as on kwok) must not
    started = Sim("istio-ambient", Faults(api_errors=1.0))
    try:
        started.store.create("namespaces", {"metadata": {"name": NS}})
        yield started
    finally:
        started.stop()


def test_the_world_builds_no_data_plane_of_its_own(sim: Sim) -> None:
    assert isinstance(sim.world.runtime, NullRuntime)
    assert sim.server.api.pods.runtime is sim.agent.runtime


def test_a_pod_proxy_through_the_sim_api_server_is_answered_by_the_agents_runtime(sim: Sim) -> None:
    sim.store.create("pods", sim.pod("echo", "fortio/fortio:1.69.0"))
    _until("the agent sees the pod Running with an IP", lambda: ((sim.agent.mirror.try_get("pods", NS, "echo") or {})
                                                                 .get("status") or {}).get("podIP"))
    seen: list[str] = []
    answer = sim.agent.runtime.proxy

    def spy(pod: dict[str, Any], *args: Any) -> ProxyResult:
        seen.append(pod["metadata"]["name"])
        return answer(pod, *args)

    sim.agent.runtime.proxy = spy  # type: ignore[method-assign]
    status, body = sim.client.request("GET", f"/api/v1/namespaces/{NS}/pods/echo:8080/proxy/anything")
    assert status == 200 and seen == ["echo"]


def test_a_job_pod_is_ended_by_the_agent_through_the_api_and_its_log_is_the_agents(sim: Sim) -> None:
    capture = ["sh", "-c", "timeout 1 tcpdump -n -i any -c 5 'tcp port 8080'; true"]
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "cap", "namespace": NS},
           "spec": {"backoffLimit": 0, "template": {"spec": {**sim.pod("x", "nicolaka/netshoot:v0.13", capture)["spec"],
                                                             "restartPolicy": "Never"}}}}
    sim.store.create("jobs.batch", job)
    done = _until("the Job succeeds", lambda: (sim.store.get("jobs.batch", NS, "cap").get("status") or {})
                  .get("succeeded"))
    assert done == 1
    pod = sim.store.list("pods", NS)[0][0]
    text = sim.client.get_text(f"/api/v1/namespaces/{NS}/pods/{pod['metadata']['name']}/log")
    assert "packets captured" in text


@pytest.mark.parametrize("mesh_under_test", ["istio-ambient", "linkerd"])
def test_the_policy_verdicts_are_the_same_with_the_agent(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mesh_under_test: str
) -> None:
    """Both meshes have writers the agent plays (waypoints for ambient's L7 rules, linkerd's identity)."""
    suite = [str(REPO / "tests" / "policy"), f"--mesh={mesh_under_test}"]
    monkeypatch.setenv(AGENT_ENV, "0")
    without = _outcomes(_run(pytester, *suite))
    monkeypatch.setenv(AGENT_ENV, "1")
    with_agent = _outcomes(_run(pytester, *suite))
    assert "PASSED" in without.values() and "FAILED" not in without.values(), without
    assert with_agent == without


def test_the_agents_requests_are_not_in_the_sims_request_metrics(sim: Sim) -> None:
    """As the sim's own controllers' writes, which go to the Store: the API figures of a run stay the run's."""
    assert sim.agent.informers and all(i.synced.is_set() for i in sim.agent.informers)
    text = sim.client.get_text("/metrics")
    assert 'apiserver_longrunning_requests{verb="WATCH"} 0' in text
    assert 'resource="pods",' not in text  # the agent listed and watched pods; nobody else asked for them


def test_the_agents_churn_input_is_the_stores_write_count_read_through_metrics(sim: Sim) -> None:
    """As on kwok, where it reads kube-apiserver's counter: through the API server's /metrics, not the Store."""
    from pytest_meshscale.sim.agent.writes import ApiWrites

    sim.store.create("configmaps", {"metadata": {"name": "churn", "namespace": NS}})  # a write by nobody's request
    fresh = ApiWrites(lambda: sim.agent.client.get_text("/metrics")).counts()
    assert fresh == sim.store.write_counts and fresh["create"] > 0
    assert isinstance(getattr(sim.agent.mirror.writes, "__self__", None), ApiWrites)  # not a read of the Store


@pytest.mark.parametrize(("value", "on"), [(None, True), ("", True), ("1", True), ("Yes", True), ("0", False),
                                           ("off", False)])
def test_the_agent_is_the_default_and_the_env_can_turn_it_off(monkeypatch: pytest.MonkeyPatch, value: str | None,
                                                              on: bool) -> None:
    if value is None:
        monkeypatch.delenv(AGENT_ENV, raising=False)
    else:
        monkeypatch.setenv(AGENT_ENV, value)
    assert agent_default() is on


def test_an_unknown_agent_setting_names_what_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AGENT_ENV, "maybe")
    with pytest.raises(ValueError, match=r"MESHSCALE_SIM_AGENT='maybe' is not understood; accepted: 1, true"):
        agent_default()


def test_a_sidecar_is_injected_by_the_agents_admission_as_on_kwok() -> None:
    """The sim sends the create to the agent as an AdmissionReview (kwok: the agent's webhook) and applies its
    patch; the model over the Store no longer admits anything."""
    from pytest_meshscale.sim.meshes.istio_sidecar.injector import NS_LABEL, injected

    sim = Sim("istio-sidecar", Faults())
    try:
        calls: list[str] = []
        admit = sim.agent.admit

        def spy(resource: str, obj: dict[str, Any]) -> None:
            calls.append(resource)
            admit(resource, obj)

        sim.agent.admit = spy  # type: ignore[method-assign]
        sim.client.create({"apiVersion": "v1", "kind": "Namespace",
                           "metadata": {"name": NS, "labels": {NS_LABEL: "enabled"}}})
        # the injector reads the namespace's label from the agent's Mirror, as the agent's webhook does on kwok
        _until("the agent sees the namespace", lambda: sim.agent.mirror.try_get("namespaces", None, NS))
        sim.client.create(sim.pod("app", "fortio/fortio:1.69.0"))
        assert calls == ["pods"]
        assert injected(sim.store.get("pods", NS, "app"))
        assert len(sim.store.admission) == 1  # the agent's hook replaced the model's
    finally:
        sim.stop()
