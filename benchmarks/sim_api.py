"""Shared by the benchmarks: a lean HTTPS connection to a simulated cluster (its kubeconfig's URL, CA and
bearer token; 127.0.0.1 only), its /metrics request counters, and a process's peak RSS (VmHWM)."""

from __future__ import annotations

import base64
import http.client
import re
import ssl
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import yaml

# apiserver_request_total{verb="create",group="apps",resource="deployments",subresource="",code="201"} 12
_REQUEST_LINE = re.compile(
    r'^apiserver_request_total\{verb="([^"]*)",(?:group="([^"]*)",)?resource="([^"]*)",subresource="([^"]*)",'
    r'code="([^"]*)"\} (\d+)$'
)

RequestKey = tuple[str, str, str, str]  # verb, resource (plural.group outside the core group), subresource, code


def connection(kubeconfig: Path) -> tuple[http.client.HTTPSConnection, dict[str, str]]:
    """A keep-alive connection to the sim's kubeconfig server, and the headers that authenticate on it."""
    kc = yaml.safe_load(Path(kubeconfig).read_text())
    token = kc["users"][0]["user"]["token"]
    cluster = kc["clusters"][0]["cluster"]
    ca = base64.b64decode(cluster["certificate-authority-data"]).decode()
    url = urlsplit(cluster["server"])
    if url.hostname != "127.0.0.1":  # the benchmarks only ever talk to a local simulated cluster
        raise ValueError(f"{kubeconfig}: server {cluster['server']} is not on 127.0.0.1")
    conn = http.client.HTTPSConnection("127.0.0.1", url.port, context=ssl.create_default_context(cadata=ca))
    return conn, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def metrics_text(kubeconfig: Path) -> str:
    conn, headers = connection(kubeconfig)
    try:
        conn.request("GET", "/metrics", headers=headers)
        resp = conn.getresponse()
        body = resp.read().decode()
    finally:
        conn.close()
    if resp.status != 200:
        raise RuntimeError(f"GET /metrics answered {resp.status}: {body[:200]}")
    return body


def request_counts(text: str) -> Counter[RequestKey]:
    """apiserver_request_total by (verb, resource, subresource, code) from a /metrics page; a resource
    outside the core group is named plural.group, so `pods` (core) and `pods.metrics.k8s.io` differ."""
    counts: Counter[RequestKey] = Counter()
    for line in text.splitlines():
        m = _REQUEST_LINE.match(line)
        if m:
            verb, group, resource, sub, code, n = m.groups()
            counts[(verb, f"{resource}.{group}" if group else resource, sub, code)] = int(n)
    return counts


def vm_hwm_kib(pid: int) -> int | None:
    """Peak resident set size so far (VmHWM) of a live process, in KiB; None once it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    return next((int(x.split()[1]) for x in lines if x.startswith("VmHWM:")), None)


def vm_hwm_gib(pid: int) -> float:
    kib = vm_hwm_kib(pid)
    return float("nan") if kib is None else kib / 1024 / 1024
