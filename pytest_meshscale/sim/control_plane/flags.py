"""The command lines of the five components: everything on 127.0.0.1, ports picked at run time.

Why the less obvious flags are there:
- `--endpoint-reconciler-type=none`: a 127.0.0.1 advertise address is refused by the endpoint reconciler
  ("may not be in the loopback range"), and the server exits at once.
- `--service-cluster-ip-range=10.96.0.0/16`: the default /24 allows 254 Services and overlaps KWOK's
  default pod range.
- `--egress-selector-config-file`: traffic to pods, nodes and Services (pod proxy, logs) goes as HTTP
  CONNECT over a Unix socket to this run (egress.py), not to addresses that exist nowhere.
- `--kubelet-preferred-address-types=InternalIP`: dial a node by its IP, not its (unresolvable) name.
- `--enable-aggregator-routing=true`: aggregated APIs are dialled at their endpoints (no kube-proxy).
- `--kube-api-qps/burst` on the controllers: their defaults (20/30) would pace 50,000 pod creations to
  tens of minutes; the API server's priority and fairness still protects it.
- `--node-monitor-grace-period=2m` (default 50 s): on a saturated 2-core host KWOK's Lease renewals can be
  late by more than 50 s while the fleet is created; a node marked NotReady takes its pods' readiness with
  it and the fleet never becomes Available. No run stops a node on purpose, so nothing relies on 50 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .pki import Pki

__all__ = ["SERVICE_CIDR", "Ports", "apiserver", "controller_manager", "etcd", "kwok", "scheduler"]

SERVICE_CIDR = "10.96.0.0/16"
KWOK_CIDR = "10.0.0.0/16"  # only for a node without spec.podCIDR: every node this run creates has one
KWOK_NODE_SELECTOR = "kwok.x-k8s.io/node=fake"  # the annotation kwokctl puts on the nodes KWOK manages
_QPS = ("--kube-api-qps=1000", "--kube-api-burst=2000")


@dataclass(frozen=True, slots=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int
    kwok: int


def etcd(binary: Path, data_dir: Path, ports: Ports) -> list[str]:
    client, peer = f"http://127.0.0.1:{ports.etcd_client}", f"http://127.0.0.1:{ports.etcd_peer}"
    return [str(binary), "--name=default", f"--data-dir={data_dir}",
            f"--listen-client-urls={client}", f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=default={peer}", "--unsafe-no-fsync", "--log-level=warn",
            "--quota-backend-bytes=8589934592"]  # 8 GiB: the default 2 GiB is too small for 50,000 pods' history


def apiserver(binary: Path, pki: Pki, ports: Ports, egress_config: Path, cert_dir: Path) -> list[str]:
    p = pki.path
    return [str(binary), f"--etcd-servers=http://127.0.0.1:{ports.etcd_client}",
            "--bind-address=127.0.0.1", f"--secure-port={ports.apiserver}", "--advertise-address=127.0.0.1",
            "--endpoint-reconciler-type=none", f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--tls-cert-file={p('apiserver.crt')}", f"--tls-private-key-file={p('apiserver.key')}",
            f"--client-ca-file={p('ca.crt')}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={p('sa.pub')}", f"--service-account-signing-key-file={p('sa.key')}",
            "--authorization-mode=Node,RBAC", "--allow-privileged=true", f"--cert-dir={cert_dir}",
            f"--egress-selector-config-file={egress_config}", "--kubelet-preferred-address-types=InternalIP",
            "--enable-aggregator-routing=true",
            f"--requestheader-client-ca-file={p('front-proxy-ca.crt')}",
            "--requestheader-allowed-names=front-proxy-client", "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group", "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={p('front-proxy-client.crt')}",
            f"--proxy-client-key-file={p('front-proxy-client.key')}"]


def _kubeconfig_flags(kubeconfig: Path) -> list[str]:
    return [f"--kubeconfig={kubeconfig}", f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}", "--bind-address=127.0.0.1", "--leader-elect=false", *_QPS]


def controller_manager(binary: Path, pki: Pki, ports: Ports, kubeconfig: Path, cert_dir: Path) -> list[str]:
    p = pki.path
    return [str(binary), *_kubeconfig_flags(kubeconfig), f"--secure-port={ports.controller_manager}",
            f"--service-account-private-key-file={p('sa.key')}", f"--root-ca-file={p('ca.crt')}",
            f"--cluster-signing-cert-file={p('ca.crt')}", f"--cluster-signing-key-file={p('ca.key')}",
            "--use-service-account-credentials=true", f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--node-monitor-grace-period=2m",
            f"--cert-dir={cert_dir}"]


def scheduler(binary: Path, ports: Ports, kubeconfig: Path) -> list[str]:
    return [str(binary), *_kubeconfig_flags(kubeconfig), f"--secure-port={ports.scheduler}"]


def kwok(binary: Path, ports: Ports, kubeconfig: Path, configs: list[Path]) -> list[str]:
    return [str(binary), f"--kubeconfig={kubeconfig}", *(f"--config={c}" for c in configs),
            f"--manage-nodes-with-annotation-selector={KWOK_NODE_SELECTOR}", f"--cidr={KWOK_CIDR}",
            "--node-ip=127.0.0.1", f"--node-port={ports.kwok}", f"--server-address=127.0.0.1:{ports.kwok}",
            "--node-lease-duration-seconds=40"]
