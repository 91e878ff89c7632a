"""Start a real Kubernetes control plane for one mesh: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and KWOK as child processes, the egress listener, then the profile's nodes (Ready through
KWOK), the mesh's upstream CRDs (Established) and its components (populate.py). All on 127.0.0.1;
`stop()` ends everything it started.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from ...data import data_path
from ...model import Profile
from ..faults import Faults
from ..meshes import SimContext
from . import flags
from .aggregated import METRICS_ENDPOINT
from .egress import Egress, Handler, kubelet_relay, refuse, write_egress_config
from .kubeapi import Api
from .objects import crds, mesh_objects, node_manifests
from .pki import Pki, make_pki, write_kubeconfig
from .populate import Populate
from .processes import Supervisor, free_ports, http_ok
from .slow_etcd import SlowEtcd

__all__ = ["ControlPlane", "Timings"]


@dataclass
class Timings:
    apiserver_ready_s: float = 0.0  # from start() to /readyz 200
    nodes_ready_s: float = 0.0  # from start() to every node Ready: the control plane is ready then
    marks: dict[str, float] = field(default_factory=dict)


def _kwok_logs(run_dir: Path) -> Path:
    """KWOK's ClusterLogs: every container logs an empty file (fake containers print nothing; the data-plane
    agent will serve the logs that matter). Without one, `kubectl logs` is an error."""
    empty, path = run_dir / "empty.log", run_dir / "kwok-logs.yaml"
    empty.touch()
    path.write_text(yaml.safe_dump({"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs",
                                    "metadata": {"name": "empty"}, "spec": {"logs": [{"logsFile": str(empty)}]}}))
    return path


def _kwok_stages(run_dir: Path, slow_ready_s: float) -> Path:
    """fixtures/kwok/stages.yaml, with the slow-ready fault as a delay on the pod-ready stage: KWOK, the
    kubelet of these nodes, holds every pod back that long before it turns Running and Ready (KWOK's
    StageDelay.durationMilliseconds, sigs.k8s.io/kwok pkg/apis/v1alpha1/stage_types.go)."""
    source = data_path("kwok", "stages.yaml")
    if slow_ready_s <= 0:
        return source
    stages = [s for s in yaml.safe_load_all(source.read_text()) if s]
    ready = next(s for s in stages if s["metadata"]["name"] == "pod-ready")
    ready["spec"]["delay"] = {"durationMilliseconds": round(slow_ready_s * 1000)}
    path = run_dir / "kwok-stages.yaml"
    path.write_text(yaml.safe_dump_all(stages, sort_keys=False))
    return path


class ControlPlane:
    def __init__(self, mesh: str, profile: Profile, binaries: dict[str, Path], run_dir: Path,
                 crd_dir: Path | None = None, progress: Callable[[str], None] = print,
                 faults: Faults | None = None) -> None:
        self.mesh, self.profile, self.binaries, self.run_dir = mesh, profile, binaries, run_dir
        self.crd_dir, self.progress = crd_dir, progress
        self.faults = faults or Faults()
        self.supervisor = Supervisor(run_dir / "logs")
        self.egress: Egress | None = None
        self.kwok_port = 0
        self.slow_etcd: SlowEtcd | None = None
        self.etcd_url = ""  # etcd's client URL, which also serves its /metrics (plain HTTP on 127.0.0.1)
        self.pods: Handler = refuse  # CONNECTs to pod addresses: the agent's once it serves them (serve_pods)
        self.api: Api | None = None
        self.pki: Pki | None = None
        self.timings = Timings()
        self._t0 = 0.0

    @property
    def url(self) -> str:
        assert self.api is not None, "ControlPlane.start() was not called"
        return self.api.url

    def _mark(self, what: str) -> float:
        self.timings.marks[what] = elapsed = round(time.monotonic() - self._t0, 2)
        return elapsed

    def start(self, timeout: float = 300.0) -> Timings:
        self._t0 = time.monotonic()
        crd_docs, crd_lines = crds(self.mesh, self.crd_dir)  # a missing CRD folder fails before any process
        for line in crd_lines:
            self.progress(f"CRDs: {line}")
        self.pki = pki = make_pki(self.run_dir / "pki")
        ports = flags.Ports(*free_ports(6))
        nodes = node_manifests(self.profile)
        kubelets = {f"{a['address']}:{ports.kwok}" for n in nodes for a in n["status"]["addresses"]
                    if a["type"] == "InternalIP"}
        sock = self.run_dir / "egress.sock"
        write_egress_config(self.run_dir / "egress.yaml", sock)
        self.kwok_port = ports.kwok
        self.etcd_url = f"http://127.0.0.1:{ports.etcd_client}"
        self.kubelet: Handler = kubelet_relay(kubelets, ports.kwok)  # to KWOK until the agent serves logs
        metrics = "{}:{}".format(*METRICS_ENDPOINT)
        self.egress = Egress(sock, self.progress, kubelet_relay(kubelets, ports.kwok, self._pod, self._kubelet),
                             {metrics: "the agent's metrics.k8s.io"}).start()
        self._start_servers(pki, ports, timeout)
        self.timings.apiserver_ready_s = self._mark("apiserver /readyz")
        self._start_controllers(pki, ports)
        fill = Populate(self.api, self.mesh, self.progress, self.supervisor.check_alive,  # type: ignore[arg-type]
                        SimContext(self.profile, self.faults))
        created = fill.run(nodes, crd_docs, mesh_objects(self.mesh, self.profile), timeout)
        self._mark("objects created")
        self._wait_controllers(ports, timeout)
        fill.wait_nodes_ready({n["metadata"]["name"] for n in created}, timeout)
        self.timings.nodes_ready_s = self._mark("nodes Ready")
        if self.slow_etcd is not None:  # from now on: the start itself is not slowed
            self.slow_etcd.active = True
            self.progress(f"fault etcd-latency: etcd's replies to kube-apiserver held back "
                          f"{self.faults.etcd_latency_s:g} s from now on")
        return self.timings

    def _pod(self, target: str, conn: socket.socket) -> None:
        self.pods(target, conn)

    def _kubelet(self, target: str, conn: socket.socket) -> None:
        self.kubelet(target, conn)

    def serve_pods(self, pods: Handler, kubelets: Handler) -> None:
        """From now on the data-plane agent answers the API server's connections to pods and to kubelets."""
        self.pods, self.kubelet = pods, kubelets

    def _start_servers(self, pki: Pki, ports: flags.Ports, timeout: float) -> None:
        sup, b = self.supervisor, self.binaries
        etcd = sup.start("etcd", flags.etcd(b["etcd"], self.run_dir / "etcd-data", ports))
        sup.wait_healthy(etcd, lambda: http_ok(f"http://127.0.0.1:{ports.etcd_client}/health"), timeout,
                         self.progress)
        to_etcd = ports
        if self.faults.etcd_latency_s:  # kube-apiserver reaches etcd through the delaying relay (slow_etcd.py)
            self.slow_etcd = SlowEtcd(ports.etcd_client, self.faults.etcd_latency_s).start()
            to_etcd = replace(ports, etcd_client=self.slow_etcd.port)
        apiserver = sup.start("kube-apiserver", flags.apiserver(
            b["kube-apiserver"], pki, to_etcd, self.run_dir / "egress.yaml", self.run_dir / "apiserver-certs"))
        self.api = Api(ports.apiserver, pki)
        ca = ssl.create_default_context(cafile=str(pki.path("ca.crt")))
        sup.wait_healthy(apiserver, lambda: http_ok(f"{self.url}/readyz", ca), timeout, self.progress)

    def _start_controllers(self, pki: Pki, ports: flags.Ports) -> None:
        sup, b = self.supervisor, self.binaries
        kubeconfig = self.run_dir / "admin.kubeconfig"  # the components' own: the user's may be removed
        write_kubeconfig(kubeconfig, self.url, pki, "meshscale-control-plane")
        sup.start("kube-controller-manager", flags.controller_manager(
            b["kube-controller-manager"], pki, ports, kubeconfig, self.run_dir / "kcm-certs"))
        sup.start("kube-scheduler", flags.scheduler(b["kube-scheduler"], ports, kubeconfig))
        configs = [data_path("kwok", "kwok.yaml"), _kwok_stages(self.run_dir, self.faults.slow_ready_s),
                   _kwok_logs(self.run_dir)]
        sup.start("kwok", flags.kwok(b["kwok"], ports, kubeconfig, configs))

    def _wait_controllers(self, ports: flags.Ports, timeout: float) -> None:
        checks = {"kube-controller-manager": f"https://127.0.0.1:{ports.controller_manager}/healthz",
                  "kube-scheduler": f"https://127.0.0.1:{ports.scheduler}/healthz",
                  "kwok": f"http://127.0.0.1:{ports.kwok}/healthz"}
        for child in self.supervisor.children:
            if child.name in checks:
                url = checks[child.name]
                self.supervisor.wait_healthy(child, lambda u=url: http_ok(u), timeout,  # type: ignore[misc]
                                             self.progress)

    def stop(self) -> None:
        try:
            self.supervisor.stop_all()
        finally:
            if self.egress is not None:
                self.egress.close()
            if self.slow_etcd is not None:
                self.slow_etcd.stop()
