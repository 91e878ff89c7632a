"""Encryption evidence gathered through the API: wire captures and TLS handshakes as short Jobs whose
logs are parsed (no exec). Which port and protocol to look at is the mesh driver's to say.

A capture Job runs tcpdump on the destination pod's node (hostNetwork) for a fixed window while the
client sends requests; tcpdump's own `N packets captured` line is the count.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..cluster.base import Cluster, ClusterError, Manifest
from .load import ClientPod
from .workloads import CLIENT_PORT, SERVER, SERVER_PORT

__all__ = [
    "Capture", "TlsHandshake", "capture_during_traffic", "packets_captured", "server_pods", "tls_handshake",
]

NETSHOOT = "nicolaka/netshoot:v0.13"
OPENSSL = "alpine/openssl:3.3.2"
_CAPTURED = re.compile(r"^(\d+) packets? captured", re.MULTILINE)
_count = iter(range(1, 1_000_000))


@dataclass(frozen=True, slots=True)
class Capture:
    filter: str
    packets: int
    log: str


@dataclass(frozen=True, slots=True)
class TlsHandshake:
    ok: bool
    protocol: str
    cipher: str
    log: str


def packets_captured(log: str) -> int:
    match = _CAPTURED.search(log)
    if match is None:
        raise ClusterError(f"capture log has no 'N packets captured' line: {log[-300:]!r}")
    return int(match.group(1))


def _job(name: str, namespace: str, node: str, image: str, command: list[str], host_network: bool,
         pod_labels: Mapping[str, str] | None = None) -> Manifest:
    container: dict = {"name": name.split("-")[1], "image": image, "command": command}
    if host_network:
        container["securityContext"] = {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}}
    labels = {**(pod_labels or {}), "app": "meshscale-probe"}
    spec = {"restartPolicy": "Never", "nodeName": node, "hostNetwork": host_network, "containers": [container],
            "tolerations": [{"operator": "Exists"}]}
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": "meshscale-probe"}},
        "spec": {"backoffLimit": 0, "template": {"metadata": {"labels": labels}, "spec": spec}},
    }  # fmt: skip


def _finished(job: Manifest) -> bool:
    status = job.get("status", {})
    return bool(status.get("succeeded") or status.get("failed"))


def run_job(cluster: Cluster, job: Manifest, timeout_s: float) -> str:
    """Create the Job, watch it to completion, return its pod's log; the Job is deleted afterwards."""
    meta = job["metadata"]
    cluster.apply([job])
    try:
        cluster.wait_for("batch/v1", "Job", _finished, name=meta["name"], namespace=meta["namespace"],
                         timeout_s=timeout_s, what=f"job {meta['name']} to finish")
        pods = cluster.list("v1", "Pod", meta["namespace"], f"job-name={meta['name']}")
        if not pods:
            raise ClusterError(f"job {meta['name']} finished without a pod to read the log of")
        # By the probe container's name: a sidecar mesh may have injected its proxy into the Job's pod, and the
        # API server refuses a multi-container pod's log without a container name.
        probe = job["spec"]["template"]["spec"]["containers"][0]["name"]
        return cluster.logs(pods[0]["metadata"]["name"], meta["namespace"], probe)
    finally:
        cluster.delete("batch/v1", "Job", meta["name"], meta["namespace"])


def capture_during_traffic(
    cluster: Cluster, client: ClientPod, server_pod: Manifest, filters: Sequence[str], window_s: float = 6.0
) -> tuple[Capture, ...]:
    """tcpdump on the server's node while the client sends requests to that pod's IP: one Job per filter, all at
    once, so every filter sees the very same traffic (the encrypted-channel control proves the capture saw what
    the plaintext filter found nothing in) and a check costs one window, not one per filter."""
    ns, node = server_pod["metadata"]["namespace"], server_pod["spec"]["nodeName"]
    jobs = [_job(f"meshscale-capture-{next(_count)}", ns, node, NETSHOOT,
                 ["sh", "-c", f"timeout {window_s:g} tcpdump -n -i any -c 1000 '{f}'; true"], host_network=True)
            for f in filters]
    url = f"http://{server_pod['status']['podIP']}:{SERVER_PORT}/"
    traffic = threading.Thread(target=_send, args=(cluster, client, url, window_s), daemon=True)
    logs: dict[int, str] = {}
    failures: list[BaseException] = []

    def run(i: int, job: Manifest) -> None:
        try:
            logs[i] = run_job(cluster, job, window_s + 60)
        except BaseException as exc:  # re-raised below: a lost capture must not read as "no packets"
            failures.append(exc)

    capturing = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in capturing:
        thread.start()
    time.sleep(min(1.0, window_s / 4))  # let tcpdump start before the traffic does
    traffic.start()
    for thread in capturing:
        thread.join()
    traffic.join(timeout=window_s + 30)
    if failures:
        raise failures[0]
    return tuple(Capture(f, packets_captured(logs[i]), logs[i]) for i, f in enumerate(filters))


def _send(cluster: Cluster, client: ClientPod, url: str, window_s: float) -> None:
    payload = {"url": url, "qps": "10", "t": f"{max(1.0, window_s / 2):g}s", "c": "1", "labels": "meshscale-capture"}
    cluster.proxy_post(client.name, client.namespace, CLIENT_PORT, "/fortio/rest/run", json.dumps(payload).encode(),
                       repeatable=True)  # traffic for a capture window: a repeat only adds packets


def tls_handshake(cluster: Cluster, namespace: str, node: str, target: str, alpn: tuple[str, ...] = (),
                  pod_labels: Mapping[str, str] | None = None) -> TlsHandshake:
    """`openssl s_client` from a pod on `node`; `alpn`: protocols to offer (a mesh's listener may require them);
    `pod_labels`: what keeps the probe pod itself out of the mesh (EncryptionFacts.probe_labels)."""
    command = ["openssl", "s_client", "-connect", target, *(("-alpn", ",".join(alpn)) if alpn else ())]
    job = _job(f"meshscale-tls-{next(_count)}", namespace, node, OPENSSL, command, False, pod_labels)
    log = run_job(cluster, job, 90)
    protocol = re.search(r"^\s*Protocol\s*:\s*(\S+)", log, re.MULTILINE)
    cipher = re.search(r"^\s*Cipher\s*:\s*(\S+)", log, re.MULTILINE)
    ok = bool(protocol and cipher and cipher.group(1) not in ("0000", "(NONE)"))
    return TlsHandshake(ok, protocol.group(1) if protocol else "", cipher.group(1) if cipher else "", log)


def server_pods(cluster: Cluster, namespace: str) -> list[Manifest]:
    pods = cluster.list("v1", "Pod", namespace, f"app={SERVER}")
    return [p for p in pods if p.get("status", {}).get("podIP") and p.get("spec", {}).get("nodeName")]
