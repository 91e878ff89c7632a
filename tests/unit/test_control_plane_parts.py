"""The local control plane's parts without its binaries: PKI, kubeconfig, the egress CONNECT listener, the
objects `up` creates, the CRD selection, the KWOK stages, and the one-line failures of the CLI."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from pytest_meshscale.data import data_path
from pytest_meshscale.data.profiles import load_profile
from pytest_meshscale.provision.providers import PROVIDERS
from pytest_meshscale.provision.settings import CLUSTERS
from pytest_meshscale.sim.control_plane import egress, objects
from pytest_meshscale.sim.control_plane.kubeapi import path_of
from pytest_meshscale.sim.control_plane.pki import SERVICE_IP, make_pki, write_kubeconfig
from pytest_meshscale.sim.meshes import SIM_MESHES

CRD_DIR = objects.default_crd_dir()
needs_crds = pytest.mark.skipif(not CRD_DIR.is_dir(), reason=f"no shared upstream CRDs at {CRD_DIR}")


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_pki_serves_the_apiserver_names_and_makes_the_admin_a_system_master(tmp_path):
    pki = make_pki(tmp_path)
    ca, server, admin = (_cert(pki.path(f"{n}.crt")) for n in ("ca", "apiserver", "admin"))
    for cert in (server, admin):
        cert.verify_directly_issued_by(ca)
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", SERVICE_IP}
    assert "kubernetes.default.svc.cluster.local" in sans.get_values_for_type(x509.DNSName)
    assert admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:masters"
    assert (pki.path("sa.key").stat().st_mode & 0o777) == 0o600 and pki.path("sa.pub").is_file()
    _cert(pki.path("front-proxy-client.crt")).verify_directly_issued_by(_cert(pki.path("front-proxy-ca.crt")))


def test_the_kubeconfig_carries_the_admin_certificate_and_is_private(tmp_path):
    pki = make_pki(tmp_path / "pki")
    path = tmp_path / "kc"
    write_kubeconfig(path, "https://127.0.0.1:1234", pki, "ctx")
    doc = yaml.safe_load(path.read_text())
    assert doc["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:1234"
    assert set(doc["users"][0]["user"]) == {"client-certificate-data", "client-key-data"}
    assert (path.stat().st_mode & 0o777) == 0o600


def _connect(sock_path: Path, target: str) -> tuple[socket.socket, bytes]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(str(sock_path))
    s.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    return s, data


def test_egress_answers_a_pod_connect_with_503_and_logs_the_target(tmp_path):
    lines: list[str] = []
    listener = egress.Egress(tmp_path / "e.sock", lines.append).start()
    try:
        s, head = _connect(tmp_path / "e.sock", "10.128.0.5:8080")
        body = head.split(b"\r\n\r\n", 1)[1] + s.recv(4096)
        s.close()
    finally:
        listener.close()
    assert head.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert body == egress.NO_AGENT == b"meshscale: no data plane agent yet\n"
    assert lines == ["egress: CONNECT 10.128.0.5:8080"]


def test_egress_logs_a_routine_target_once_and_keeps_its_lines_for_the_rest(tmp_path):
    """The aggregator dials the metrics endpoint many times a minute: one line for it, the pods' CONNECTs still show."""
    lines: list[str] = []
    listener = egress.Egress(tmp_path / "e.sock", lines.append, routine={"10.127.0.10:4443": "metrics"}).start()
    try:
        for target in ["10.127.0.10:4443"] * 25 + ["10.128.0.5:8080"]:
            s, _ = _connect(tmp_path / "e.sock", target)
            s.close()
    finally:
        listener.close()
    assert lines == ["egress: CONNECT 10.127.0.10:4443 (metrics; its further CONNECTs are not logged)",
                     "egress: CONNECT 10.128.0.5:8080"]


def test_egress_relays_a_kubelet_connect_to_kwok(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def echo() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(conn.recv(100).upper())

    threading.Thread(target=echo, daemon=True).start()
    handler = egress.kubelet_relay({f"10.224.0.4:{port}"}, port)
    listener = egress.Egress(tmp_path / "e.sock", lambda _: None, handler).start()
    try:
        s, head = _connect(tmp_path / "e.sock", f"10.224.0.4:{port}")
        s.sendall(b"hello")
        assert head == b"HTTP/1.1 200 Connection established\r\n\r\n" and s.recv(100) == b"HELLO"
        s.close()
        s, head = _connect(tmp_path / "e.sock", f"10.224.0.9:{port}")  # not a kubelet: a pod-like address
        assert head.startswith(b"HTTP/1.1 503")
        s.close()
    finally:
        listener.close()
        server.close()


def test_the_egress_configuration_routes_cluster_traffic_over_the_socket(tmp_path):
    egress.write_egress_config(tmp_path / "e.yaml", tmp_path / "e.sock")
    doc = yaml.safe_load((tmp_path / "e.yaml").read_text())
    assert doc["kind"] == "EgressSelectorConfiguration"
    (selection,) = doc["egressSelections"]
    assert selection == {"name": "cluster", "connection": {"proxyProtocol": "HTTPConnect", "transport": {
        "uds": {"udsName": str(tmp_path / "e.sock")}}}}


def test_nodes_follow_the_profile_with_a_pod_cidr_each_and_the_kwok_annotation():
    profile = load_profile("smoke")
    nodes = objects.node_manifests(profile)
    assert len(nodes) == profile.node_count == 4
    cidrs = [ipaddress.ip_network(n["spec"]["podCIDR"]) for n in nodes]
    assert len(set(cidrs)) == 4 and all(c.prefixlen == 24 and c.subnet_of(ipaddress.ip_network("10.0.0.0/8"))
                                        for c in cidrs)
    assert all(n["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake" for n in nodes)
    assert all("conditions" not in n["status"] for n in nodes), "KWOK makes them Ready"
    client = [n for n in nodes if n["metadata"]["labels"]["meshscale.io/pool"] == "client"]
    assert len(client) == 1 and client[0]["spec"]["taints"][0]["key"] == "client"
    assert all(n["metadata"]["name"].startswith("aks-") for n in nodes)


@pytest.mark.parametrize(("which", "expected"), [
    ("cilium", {("DaemonSet", "cilium"), ("ConfigMap", "cilium-config"), ("Deployment", "cilium-operator")}),
    ("istio-ambient", {("Deployment", "istiod"), ("DaemonSet", "ztunnel"), ("GatewayClass", "istio-waypoint")}),
    ("baseline", {("DaemonSet", "kube-proxy"), ("Deployment", "coredns")}),
])
def test_mesh_objects_are_what_the_drivers_look_for(which, expected):
    objs = objects.mesh_objects(which, load_profile("smoke"))
    assert expected <= {(o["kind"], o["metadata"]["name"]) for o in objs}
    assert not [o for o in objs if o["metadata"].get("namespace") == "default"], "the API server's own"
    dns = next(o for o in objs if o["kind"] == "Service" and o["metadata"]["name"] == "kube-dns")
    assert ipaddress.ip_address(dns["spec"]["clusterIP"]) in ipaddress.ip_network("10.96.0.0/16")
    assert objs[0]["kind"] == "Namespace" or which != "istio-ambient"


@needs_crds
@pytest.mark.parametrize(("which", "groups"), [
    ("istio-ambient", {"security.istio.io", "networking.istio.io", "gateway.networking.k8s.io"}),
    ("cilium", {"cilium.io"}),
    ("baseline", set()),
])
def test_each_mesh_gets_its_upstream_crds(which, groups):
    docs, lines = objects.crds(which, None)
    assert groups <= {d["spec"]["group"] for d in docs} and len(lines) == len(SIM_MESHES[which].crd_folders)
    assert all(d["kind"] == "CustomResourceDefinition" for d in docs)


def test_a_missing_crd_folder_is_one_line_naming_the_option(tmp_path):
    with pytest.raises(objects.CrdError) as err:
        objects.crds("cilium", tmp_path)
    assert "--mesh-crds" in str(err.value) and "\n" not in str(err.value)
    assert objects.crds("baseline", tmp_path) == ([], [])


def test_the_kwok_stages_cover_nodes_pods_and_deletion_and_leave_job_completion_to_the_agent():
    docs = list(yaml.safe_load_all(data_path("kwok", "stages.yaml").read_text()))
    assert {d["metadata"]["name"]: d["spec"]["resourceRef"]["kind"] for d in docs} == {
        "node-initialize": "Node", "pod-ready": "Pod", "pod-delete": "Pod"}
    assert all(d["apiVersion"] == "kwok.x-k8s.io/v1alpha1" and d["kind"] == "Stage" for d in docs)


def test_rest_paths():
    assert path_of({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}}, name=True) == "/api/v1/nodes/n"
    assert path_of({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {}}) == (
        "/apis/gateway.networking.k8s.io/v1/gatewayclasses")
    assert path_of({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"namespace": "x"}}) == (
        "/apis/apps/v1/namespaces/x/daemonsets")


def test_kwok_is_a_cluster_backend():
    assert "kwok" in CLUSTERS and "kwok" in PROVIDERS


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest_meshscale.cli", "control-plane", *args],
                          capture_output=True, text=True, timeout=60, env=env)


def test_a_bin_dir_without_the_binaries_is_one_line(tmp_path):
    out = _cli("up", "--mesh", "cilium", "--kubeconfig", str(tmp_path / "kc"), "--bin-dir", str(tmp_path))
    assert out.returncode == 2 and out.stdout == ""
    (line,) = out.stderr.splitlines()
    assert line.startswith("meshscale control-plane: --bin-dir: ") and "lacks executable" in line
    assert not (tmp_path / "kc").exists()


def test_neither_binaries_nor_go_is_one_line_naming_both_ways(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    out = _cli("up", "--mesh", "cilium", "--kubeconfig", str(tmp_path / "kc"), env=env)
    assert out.returncode == 2
    (line,) = out.stderr.splitlines()
    assert "install Go" in line and "--mesh-k8s-bin-dir" in line


def test_an_existing_kubeconfig_is_not_overwritten(tmp_path):
    (tmp_path / "kc").write_text("mine")
    out = _cli("up", "--mesh", "cilium", "--kubeconfig", str(tmp_path / "kc"))
    assert out.returncode == 2 and "already exists (give --force" in out.stderr
    assert (tmp_path / "kc").read_text() == "mine"


def test_free_ports_for_children_are_outside_the_ephemeral_range_and_skip_busy_ones() -> None:
    """An ephemeral port could be handed to another process's outgoing connection before the child binds it."""
    import random

    from pytest_meshscale.sim.control_plane import processes

    low, high = processes._ephemeral()
    ports = {processes.free_port() for _ in range(20)}
    assert all(not low <= p <= high and p >= 1024 for p in ports), (low, high, sorted(ports))
    first = processes.free_port(random.Random(7))
    with socket.create_server(("127.0.0.1", first)):  # that port is now taken: the same choices skip it
        again = processes.free_port(random.Random(7))
    assert again != first and not low <= again <= high


def test_one_control_planes_ports_are_all_different() -> None:
    """Two components on one port fail at start-up: a choice already made is held, so the same choice again is
    skipped (here the chooser names every port twice in a row)."""
    import random

    from pytest_meshscale.sim.control_plane import processes

    class Twice(random.Random):
        calls = 0

        def choice(self, seq):  # type: ignore[no-untyped-def, override]
            Twice.calls += 1
            return seq[Twice.calls // 2 * 97]

    ports = processes.free_ports(6, Twice())
    assert len(set(ports)) == 6, ports
