"""Mesh components and the whole World (plus the set-up the other controller test modules import:
a real Store, the smoke profile's nodes, fast timing)."""

from __future__ import annotations

import base64
import copy
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from pytest_meshscale.model import Profile, parse_profile
from pytest_meshscale.sim.controllers import Controllers, Timing, node_objects
from pytest_meshscale.sim.faults import Faults
from pytest_meshscale.sim.meshes import MESHES
from pytest_meshscale.sim.runtime import JobOutcome, NullRuntime, PodRuntime
from pytest_meshscale.sim.server.bootstrap import seed_store
from pytest_meshscale.sim.store import Store
from pytest_meshscale.sim.world import World, build_world

FAST = Timing(
    pod_ready_delay_s=0.02,
    pod_ready_jitter_s=0.01,
    job_start_delay_s=0.01,
    status_coalesce_s=0.02,
    endpoints_coalesce_s=0.02,
)
PROFILES = Path(__file__).resolve().parents[2] / "fixtures" / "profiles"


def profile(name: str) -> Profile:
    path = PROFILES / f"{name}.yaml"
    return parse_profile(yaml.safe_load(path.read_text()), str(path))


def cluster(runtime: PodRuntime | None = None, timing: Timing = FAST) -> tuple[Store, Controllers]:
    store = Store()
    seed_store(store)
    for node in node_objects(profile("smoke")):
        store.create("nodes", node)
    controllers = Controllers(store, runtime or NullRuntime(), timing)
    controllers.start()
    return store, controllers


def deployment(ns: str, name: str, replicas: int, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": "fortio/fortio:latest",
                            "ports": [{"name": "http", "containerPort": 8080}],
                        }
                    ],
                    **spec,
                },
            },
        },
    }


def pods_of(store: Store, ns: str, app: str) -> list[dict[str, Any]]:
    return store.list("pods", ns, label_selector=f"app={app}")[0]


def ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def condition(obj: dict[str, Any], kind: str) -> str | None:
    return next((c["status"] for c in (obj.get("status") or {}).get("conditions", []) if c["type"] == kind), None)


def start_world(mesh: str, faults: Faults | None = None) -> World:
    store = Store()
    seed_store(store)
    world = build_world(store, mesh, profile("smoke"), faults or Faults(), seed=7, timing=FAST)
    world.start()
    assert world.settle(10)
    return world


@pytest.fixture
def ambient() -> Iterator[World]:
    world = start_world("istio-ambient")
    yield world
    world.stop()


def test_ambient_components_are_installed_with_upstream_names(ambient: World) -> None:
    store = ambient.store
    istiod = store.get("deployments.apps", "istio-system", "istiod")
    assert istiod["metadata"]["labels"]["app.kubernetes.io/version"] == "1.24.2"
    container = istiod["spec"]["template"]["spec"]["containers"][0]
    assert (container["name"], container["image"]) == ("discovery", "docker.io/istio/pilot:1.24.2")
    assert "COMPLIANCE_POLICY" not in {e["name"] for e in container["env"]}
    assert condition(istiod, "Available") == "True"
    ztunnel = store.list("pods", "istio-system", "app=ztunnel")[0]
    assert len(ztunnel) == 4 and all(ready(p) for p in ztunnel)  # the tainted client node too
    assert {c["name"] for p in ztunnel for c in p["spec"]["containers"]} == {"istio-proxy"}
    assert len(store.list("pods", "istio-system", "k8s-app=istio-cni-node")[0]) == 4
    pilot = store.list("pods", "istio-system", "app=istiod")[0][0]
    assert store.get("nodes", None, pilot["spec"]["nodeName"])["metadata"]["labels"]["size"] == "large"
    gc = store.get("gatewayclasses.gateway.networking.k8s.io", None, "istio-waypoint")
    assert condition(gc, "Accepted") == "True"
    assert "mesh" in store.get("configmaps", "istio-system", "istio")["data"]


def test_waypoint_gateway_gets_deployment_and_becomes_programmed(ambient: World) -> None:
    store = ambient.store
    store.create("namespaces", {"metadata": {"name": "ns-001"}})
    gw = {
        "metadata": {"name": "waypoint", "namespace": "ns-001"},
        "spec": {
            "gatewayClassName": "istio-waypoint",
            "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}],
        },
    }
    store.create("gateways.gateway.networking.k8s.io", gw)
    assert ambient.settle(10)
    gateway = store.get("gateways.gateway.networking.k8s.io", "ns-001", "waypoint")
    assert condition(gateway, "Accepted") == condition(gateway, "Programmed") == "True"
    deploy = store.get("deployments.apps", "ns-001", "waypoint")
    labels = deploy["spec"]["template"]["metadata"]["labels"]
    assert labels["gateway.networking.k8s.io/gateway-name"] == "waypoint"
    assert labels["istio.io/dataplane-mode"] == "none"
    assert deploy["spec"]["template"]["spec"]["containers"][0]["name"] == "istio-proxy"
    assert (
        gateway["status"]["addresses"][0]["value"] == store.get("services", "ns-001", "waypoint")["spec"]["clusterIP"]
    )
    store.delete("gateways.gateway.networking.k8s.io", "ns-001", "waypoint")
    assert ambient.settle(10)
    assert store.try_get("deployments.apps", "ns-001", "waypoint") is None
    assert store.list("pods", "ns-001")[0] == []


@pytest.mark.parametrize("missing", [False, True])
def test_cilium_nodes_carry_wireguard_keys(missing: bool) -> None:
    world = start_world("cilium", Faults(wg_peer_missing=missing))
    try:
        store = world.store
        keys = {
            c["metadata"]["name"]: c["metadata"]["annotations"].get("network.cilium.io/wg-pub-key")
            for c in store.list("ciliumnodes.cilium.io")[0]
        }
        assert set(keys) == {n["metadata"]["name"] for n in store.list("nodes")[0]}
        keyless = [name for name, key in keys.items() if not key]
        servers = sorted(n for n in keys if "-server-" in n)
        assert keyless == ([servers[-1]] if missing else [])
        assert all(len(base64.b64decode(k)) == 32 for k in keys.values() if k)
        config = store.get("configmaps", "kube-system", "cilium-config")["data"]
        assert (config["enable-wireguard"], config["enable-l7-proxy"]) == ("true", "true")
        agent = store.get("daemonsets.apps", "kube-system", "cilium")
        assert agent["spec"]["template"]["spec"]["containers"][0]["image"] == "quay.io/cilium/cilium:v1.16.1"
        assert agent["status"]["numberReady"] == 4
        cilium_pods = [p for p in store.list("pods", "kube-system")[0] if p["metadata"]["name"].startswith("cilium")]
        assert {c["name"] for p in cilium_pods for c in p["spec"]["containers"]} >= {"cilium-agent", "cilium-operator"}
    finally:
        world.stop()


def test_baseline_has_no_mesh_and_says_which_cni_enforces_policy() -> None:
    world = start_world("baseline")
    try:
        store = world.store
        cni = store.get("configmaps", "kube-system", "meshscale-sim-cni")["data"]
        assert cni["enforces"].startswith("NetworkPolicy") and cni["encryption"] == "none"
        assert store.try_get("namespaces", None, "istio-system") is None
        assert store.try_get("configmaps", "kube-system", "cilium-config") is None
        assert condition(store.get("deployments.apps", "kube-system", "coredns"), "Available") == "True"
    finally:
        world.stop()


def test_unknown_mesh_is_refused_with_the_accepted_names() -> None:
    with pytest.raises(ValueError, match=f"accepted: {', '.join(MESHES)}$"):
        build_world(Store(), "nomesh", profile("smoke"), Faults())


def test_slow_ready_fault_reaches_the_controllers_timing() -> None:
    world = build_world(Store(), "baseline", profile("smoke"), Faults(slow_ready_s=2.5), timing=FAST)
    assert world.controllers.ctx.timing.slow_ready_s == 2.5
    assert world.controllers.ctx.timing.pod_ready_delay_s == FAST.pod_ready_delay_s


def test_waypoint_is_not_programmed_before_its_pod_is_ready() -> None:
    world = start_world("istio-ambient", Faults(slow_ready_s=0.6))
    try:
        store = world.store
        store.create("namespaces", {"metadata": {"name": "ns-001"}})
        store.create("gateways.gateway.networking.k8s.io", {
            "metadata": {"name": "waypoint", "namespace": "ns-001"},
            "spec": {"gatewayClassName": "istio-waypoint", "listeners": [{"name": "mesh", "port": 15008}]}})
        time.sleep(0.3)
        gateway = store.get("gateways.gateway.networking.k8s.io", "ns-001", "waypoint")
        assert (condition(gateway, "Accepted"), condition(gateway, "Programmed")) == ("True", "False")
        assert store.list("pods", "ns-001")[0], "the waypoint pod should exist, not yet Ready"
        assert world.settle(10)
        gateway = store.get("gateways.gateway.networking.k8s.io", "ns-001", "waypoint")
        assert condition(gateway, "Programmed") == "True"
    finally:
        world.stop()


# -- every status condition the sim writes, checked against the schemas a real API server applies

SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "upstream" / "crd-schemas"
SCHEMA_FILES = {  # resource -> upstream CRD JSON schema (datreeio/CRDs-catalog): the whole object is checked
    "gateways.gateway.networking.k8s.io": "gateway.networking.k8s.io/gateway_v1.json",
    "gatewayclasses.gateway.networking.k8s.io": "gateway.networking.k8s.io/gatewayclass_v1.json",
    "ciliumnodes.cilium.io": "cilium.io/ciliumnode_v2.json",
}
GATEWAY_API = ("gateways.gateway.networking.k8s.io", "gatewayclasses.gateway.networking.k8s.io")
# metav1.Condition, as every Gateway API CRD has it (gateway_v1.json status.conditions.items): all five required.
METAV1_REQUIRED = {"type", "status", "reason", "message", "lastTransitionTime"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
REASON = re.compile(r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")  # metav1.Condition's reason pattern
# The core types' conditions (PodCondition, DeploymentCondition, JobCondition, NodeCondition): type and
# status required, the timestamps each type has, nothing else.
CORE_CONDITION = {
    "type": "object",
    "required": ["type", "status"],
    "additionalProperties": False,
    "properties": {
        "type": {"type": "string", "minLength": 1},
        "status": {"enum": ["True", "False", "Unknown"]},
        "reason": {"type": "string", "pattern": REASON.pattern},
        "message": {"type": "string"},
        "observedGeneration": {"type": "integer", "minimum": 0},
        **{t: {"type": "string", "pattern": RFC3339.pattern}
           for t in ("lastTransitionTime", "lastUpdateTime", "lastProbeTime", "lastHeartbeatTime")},
    },
}


class _Jobs(NullRuntime):
    """Job pods exit with the code in their first container's args (a Complete and a Failed Job)."""

    def run_job_pod(self, pod: dict[str, Any]) -> JobOutcome:
        code = int(pod["spec"]["containers"][0]["args"][0])
        return JobOutcome(code, f"exit {code}\n", duration_s=0.02)


def _with_conditions(store: Store) -> list[tuple[str, dict[str, Any]]]:
    return [(resource, obj) for resource in store.object_counts() for obj in store.list(resource)[0]
            if isinstance((obj.get("status") or {}).get("conditions"), list)]


def _condition_lists(obj: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    status = obj.get("status") or {}
    lists = [("status.conditions", status.get("conditions") or [])]
    lists += [(f"status.listeners[{li.get('name')}].conditions", li.get("conditions") or [])
              for li in status.get("listeners") or []]
    return lists


def _problems(resource: str, obj: dict[str, Any]) -> list[str]:
    """What a real API server would refuse in the object's conditions (and, with a CRD schema, the object)."""
    where = f"{resource} {obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}"
    out = []
    generation = obj["metadata"].get("generation", 1)
    for path, conds in _condition_lists(obj):
        for cond in conds:
            label = f"{where} {path}[{cond.get('type')}]"
            if resource in GATEWAY_API:
                missing = METAV1_REQUIRED - set(cond)
                out += [f"{label}: lacks the required {sorted(missing)}"] if missing else []
                if not REASON.match(str(cond.get("reason", ""))):
                    out.append(f"{label}: reason {cond.get('reason')!r} is not CamelCase")
                observed = cond.get("observedGeneration")
                if not isinstance(observed, int) or not 0 <= observed <= generation:
                    out.append(f"{label}: observedGeneration {observed!r} is not in 0..{generation}")
            else:
                out += [f"{label}: {e.message}" for e in Draft7Validator(CORE_CONDITION).iter_errors(cond)]
            stamp = cond.get("lastTransitionTime")
            if stamp is not None and not RFC3339.match(str(stamp)):
                out.append(f"{label}: lastTransitionTime {stamp!r} is not RFC 3339")
    if resource in SCHEMA_FILES and SCHEMAS.is_dir():
        schema = json.loads((SCHEMAS / SCHEMA_FILES[resource]).read_text())
        out += [f"{where} {'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in Draft7Validator(schema).iter_errors(obj)]
    return out


def _waypoint(store: Store, ns: str) -> None:
    store.create("namespaces", {"metadata": {"name": ns}})
    store.create("gateways.gateway.networking.k8s.io", {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": "waypoint", "namespace": ns},
        "spec": {"gatewayClassName": "istio-waypoint",
                 "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]}})


@pytest.mark.parametrize("sim_mesh", ["istio-ambient", "cilium", "baseline"])
def test_every_condition_the_sim_writes_is_one_an_api_server_accepts(sim_mesh: str) -> None:
    """Gateway API conditions need type, status, reason, message, lastTransitionTime (and observedGeneration
    within the object's generation); the core types' conditions their own fields. Checked on what the sim
    wrote: a waypoint still Pending and Programmed, an unschedulable pod, a Complete and a Failed Job, nodes."""
    world = start_world(sim_mesh, Faults(slow_ready_s=0.6))
    try:
        store = world.store
        if sim_mesh == "istio-ambient":
            _waypoint(store, "ns-001")
            time.sleep(0.3)
            pending = store.get("gateways.gateway.networking.k8s.io", "ns-001", "waypoint")
            assert condition(pending, "Programmed") == "False"
            assert _problems("gateways.gateway.networking.k8s.io", pending) == []
        store.create("namespaces", {"metadata": {"name": "ns-002"}})
        store.create("deployments.apps", deployment("ns-002", "lost", 1, nodeSelector={"size": "huge"}))
        store.create("deployments.apps", deployment("ns-002", "web", 2))
        assert world.settle(10)
        checked = _with_conditions(store)
        assert {"pods", "deployments.apps", "nodes"} <= {r for r, _ in checked}
        if sim_mesh == "istio-ambient":
            gateway = store.get("gateways.gateway.networking.k8s.io", "ns-001", "waypoint")
            assert condition(gateway, "Programmed") == "True"
            assert {r for r, _ in checked} >= set(GATEWAY_API)
        assert [p for resource, obj in checked for p in _problems(resource, obj)] == []
        if sim_mesh == "cilium":
            assert [p for o in store.list("ciliumnodes.cilium.io")[0]
                    for p in _problems("ciliumnodes.cilium.io", o)] == []
    finally:
        world.stop()


def test_job_conditions_are_ones_an_api_server_accepts() -> None:
    store, controllers = cluster(_Jobs())
    try:
        store.create("namespaces", {"metadata": {"name": "probe"}})
        for name, code in (("ok", 0), ("bad", 3)):
            template = {"spec": {"containers": [{"name": "c", "image": "x", "args": [str(code)]}]}}
            store.create("jobs.batch", {"metadata": {"name": name, "namespace": "probe"},
                                        "spec": {"backoffLimit": 0, "template": template}})
        assert controllers.settle(10)
        jobs = {o["metadata"]["name"]: o for o in store.list("jobs.batch", "probe")[0]}
        assert (condition(jobs["ok"], "Complete"), condition(jobs["bad"], "Failed")) == ("True", "True")
        assert [p for resource, obj in _with_conditions(store) for p in _problems(resource, obj)] == []
    finally:
        controllers.stop()


def test_a_gateway_spec_change_moves_observed_generation() -> None:
    world = start_world("istio-ambient")
    try:
        store = world.store
        _waypoint(store, "ns-001")
        assert world.settle(10)
        gw = copy.deepcopy(store.get("gateways.gateway.networking.k8s.io", "ns-001", "waypoint"))
        gw["spec"]["listeners"][0]["port"] = 15009
        store.update("gateways.gateway.networking.k8s.io", gw)
        assert world.settle(10)
        gw = store.get("gateways.gateway.networking.k8s.io", "ns-001", "waypoint")
        assert gw["metadata"]["generation"] == 2
        observed = {c["observedGeneration"] for _, conds in _condition_lists(gw) for c in conds}
        assert observed == {2}
        assert _problems("gateways.gateway.networking.k8s.io", gw) == []
    finally:
        world.stop()
