"""kubectl against the sim, as a user (and the kind/existing providers' users) would drive a cluster."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_meshscale.sim.process import SimProcess

KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl not found next to the venv's python nor on PATH")

MANIFEST = """
apiVersion: v1
kind: Namespace
metadata: {name: kc}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: kc, labels: {app: web}}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: fortio/fortio, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: kc}
spec:
  selector: {app: web}
  ports: [{port: 8080}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: allow-web, namespace: kc}
spec:
  endpointSelector: {matchLabels: {app: web}}
"""


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    with SimProcess(mesh="cilium") as proc:
        yield proc


@pytest.fixture(scope="module")
def kubectl(sim: SimProcess, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - a small closure
    env = {**os.environ, "KUBECONFIG": str(sim.kubeconfig), "HOME": str(tmp_path_factory.mktemp("home"))}

    def run(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([KUBECTL, *args], input=stdin, env=env, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {done.stderr}")
        return done

    run.env = env  # type: ignore[attr-defined]
    return run


@pytest.fixture(scope="module")
def applied(kubectl) -> str:  # noqa: ANN001
    out = kubectl("apply", "-f", "-", stdin=MANIFEST.replace("REPLICAS", "2")).stdout
    assert "deployment.apps/web created" in out
    assert "ciliumnetworkpolicy.cilium.io/allow-web created" in out
    return "kc"


def _get(kubectl, *args: str) -> dict:  # noqa: ANN001
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def test_get_nodes_namespaces_and_crds(kubectl, applied: str) -> None:  # noqa: ANN001
    assert "kube-system" in kubectl("get", "namespaces").stdout
    crds = kubectl("get", "crd").stdout
    assert "ciliumnetworkpolicies.cilium.io" in crds
    assert "authorizationpolicies.security.istio.io" in crds
    assert "allow-web" in kubectl("get", "cnp", "-n", applied).stdout


def test_apply_client_side_then_server_side(kubectl, applied: str) -> None:  # noqa: ANN001
    out = kubectl("apply", "-f", "-", stdin=MANIFEST.replace("REPLICAS", "3")).stdout
    assert "deployment.apps/web configured" in out
    assert "service/web unchanged" in out
    assert _get(kubectl, "deploy", "web", "-n", applied)["spec"]["replicas"] == 3
    out = kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=MANIFEST.replace("REPLICAS", "4"))
    assert "deployment.apps/web serverside-applied" in out.stdout
    assert _get(kubectl, "deploy", "web", "-n", applied)["spec"]["replicas"] == 4


def test_scale_label_annotate(kubectl, applied: str) -> None:  # noqa: ANN001
    kubectl("scale", "deploy/web", "-n", applied, "--replicas=6")
    kubectl("label", "deploy", "web", "-n", applied, "tier=front")
    kubectl("annotate", "deploy", "web", "-n", applied, "owner=meshscale")
    dep = _get(kubectl, "deploy", "web", "-n", applied)
    assert dep["spec"]["replicas"] == 6
    assert dep["metadata"]["labels"]["tier"] == "front"
    assert dep["metadata"]["annotations"]["owner"] == "meshscale"
    bad_label = '{"metadata": {"labels": {"tier": "not ok!"}}}'  # kubectl label would refuse it client-side
    bad = kubectl("patch", "deploy", "web", "-n", applied, "--type=merge", "-p", bad_label, check=False)
    assert bad.returncode != 0
    assert "is invalid" in bad.stderr
    assert "metadata.labels" in bad.stderr


def test_get_watch_streams_changes(kubectl, applied: str) -> None:  # noqa: ANN001
    cmd = [KUBECTL, "get", "cm", "-n", applied, "-w", "--output-watch-events"]
    proc = subprocess.Popen(cmd, env=kubectl.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        time.sleep(1.0)
        kubectl("create", "configmap", "watched", "-n", applied, "--from-literal=a=b")
        kubectl("delete", "configmap", "watched", "-n", applied)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(x.startswith("DELETED") for x in lines):
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait()
    assert any(line.startswith("ADDED") and "watched" in line for line in lines), lines
    assert any(line.startswith("DELETED") and "watched" in line for line in lines), lines


def test_logs_of_a_pod(kubectl, applied: str) -> None:  # noqa: ANN001
    kubectl("run", "logger", "-n", applied, "--image=busybox", "--restart=Never")
    done = kubectl("logs", "logger", "-n", applied, check=False)
    assert done.returncode == 0, done.stderr  # the null runtime's log is empty; the call must succeed
    missing = kubectl("logs", "nope", "-n", applied, check=False)
    assert missing.returncode != 0
    assert "not found" in missing.stderr


def test_wait_for_available(kubectl, applied: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + 3
    while not _get(kubectl, "deploy", "web", "-n", applied).get("status") and time.monotonic() < deadline:
        time.sleep(0.3)
    if not _get(kubectl, "deploy", "web", "-n", applied).get("status"):
        pytest.skip("no Deployment controller in this sim (none set Deployment status within 3 s)")
    done = kubectl("wait", "--for=condition=Available", "deploy/web", "-n", applied, "--timeout=30s", check=False)
    assert done.returncode == 0, done.stderr


def test_delete_namespace_cascades(kubectl) -> None:  # noqa: ANN001
    kubectl("create", "namespace", "gone")
    kubectl("create", "configmap", "c", "-n", "gone", "--from-literal=a=b")
    kubectl("delete", "namespace", "gone")
    assert kubectl("get", "cm", "-A", "--field-selector=metadata.namespace=gone").stdout == ""
    assert "NotFound" in kubectl("get", "ns", "gone", check=False).stderr


def test_auth_can_i(kubectl) -> None:  # noqa: ANN001
    assert kubectl("auth", "can-i", "delete", "pods", "-A").stdout.strip() == "yes"
