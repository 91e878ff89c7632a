"""Shared by the benchmarks: a lean HTTPS connection to a simulated cluster (its kubeconfig's URL, CA and
bearer token; 127.0.0.1 only), the request counters of an API server's /metrics (the sim's or kube-apiserver's),
and a process's peak RSS (VmHWM)."""

from __future__ import annotations

import base64
import http.client
import ssl
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from proc_tree import vm_hwm_kib

from pytest_meshscale.model.prometheus import parse_text
from pytest_meshscale.scenario.api_pressure import REAL_VERBS

__all__ = ["RequestKey", "connection", "metrics_text", "request_counts", "sim_verb", "vm_hwm_gib", "vm_hwm_kib"]

REQUESTS = "apiserver_request_total"
# kube-apiserver's verbs (POST, LIST, WATCH ...) as the sim labels them, RBAC's names; APPLY, CONNECT lower-cased
SIM_VERBS = {real: sim for sim, real in REAL_VERBS.items()}

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


def sim_verb(verb: str) -> str:
    return SIM_VERBS.get(verb, verb.lower())


def request_counts(text: str) -> Counter[RequestKey]:
    """apiserver_request_total by (verb, resource, subresource, code) from a /metrics page, the sim's or a real
    kube-apiserver's (labels in any order, extra labels summed over, verbs as the sim names them: create, list,
    watch ...). A resource outside the core group is named plural.group, so `pods` (core) and
    `pods.metrics.k8s.io` differ; a non-resource request (/metrics, /readyz ...) is resource `nonresource`."""
    counts: Counter[RequestKey] = Counter()
    for s in parse_text(text, (REQUESTS,)).of(REQUESTS):
        resource, group = s.label("resource") or "nonresource", s.label("group")
        name = f"{resource}.{group}" if group else resource
        counts[(sim_verb(s.label("verb")), name, s.label("subresource"), s.label("code"))] += int(s.value)
    return counts


def vm_hwm_gib(pid: int) -> float:
    kib = vm_hwm_kib(pid)
    return float("nan") if kib is None else kib / 1024 / 1024
