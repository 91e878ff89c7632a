"""meta.k8s.io/v1 Table responses, which kubectl asks for when it prints (`as=Table` in Accept)."""

from __future__ import annotations

import functools
import time
from calendar import timegm
from collections.abc import Callable
from typing import Any

__all__ = ["table", "wants_table"]

Obj = dict[str, Any]
Column = tuple[str, Callable[[Obj], Any]]


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


@functools.lru_cache(maxsize=4096)
def _epoch(ts: str) -> int:
    """Objects made in bulk share their creation second: parse each timestamp once."""
    return timegm(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ"))


def _age(obj: Obj) -> str:
    ts = obj["metadata"].get("creationTimestamp")
    if not ts:
        return "<unknown>"
    s = max(0, int(time.time()) - _epoch(ts))
    if s < 120:
        return f"{s}s"
    if s < 600:
        return f"{s // 60}m{s % 60}s" if s % 60 else f"{s // 60}m"
    if s < 3 * 3600:
        return f"{s // 60}m"
    return f"{s // 3600}h" if s < 48 * 3600 else f"{s // 86400}d"


def _pod_ready(o: Obj) -> str:
    statuses = (o.get("status") or {}).get("containerStatuses") or []
    total = len((o.get("spec") or {}).get("containers") or [])
    return f"{sum(1 for c in statuses if c.get('ready'))}/{total}"


def _restarts(o: Obj) -> int:
    return sum(c.get("restartCount", 0) for c in (o.get("status") or {}).get("containerStatuses") or [])


def _st(o: Obj, key: str, default: Any = 0) -> Any:
    return (o.get("status") or {}).get(key, default)


def _node_status(o: Obj) -> str:
    ready = [c for c in _st(o, "conditions", []) if c.get("type") == "Ready"]
    return "Ready" if ready and ready[0].get("status") == "True" else "NotReady"


def _ports(o: Obj) -> str:
    ports = (o.get("spec") or {}).get("ports") or []
    return ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in ports) or "<none>"


_COLUMNS: dict[str, list[Column]] = {
    "pods": [
        ("Ready", _pod_ready),
        ("Status", lambda o: _st(o, "phase", "Pending")),
        ("Restarts", _restarts),
        ("Age", _age),
        ("IP", lambda o: _st(o, "podIP", "<none>")),
        ("Node", lambda o: (o.get("spec") or {}).get("nodeName", "<none>")),
    ],
    "deployments.apps": [
        ("Ready", lambda o: f"{_st(o, 'readyReplicas')}/{(o.get('spec') or {}).get('replicas', 1)}"),
        ("Up-to-date", lambda o: _st(o, "updatedReplicas")),
        ("Available", lambda o: _st(o, "availableReplicas")),
        ("Age", _age),
    ],
    "nodes": [
        ("Status", _node_status),
        ("Roles", lambda o: "<none>"),
        ("Age", _age),
        ("Version", lambda o: _st(o, "nodeInfo", {}).get("kubeletVersion", "")),
    ],
    "namespaces": [("Status", lambda o: _st(o, "phase", "Active")), ("Age", _age)],
    "services": [
        ("Type", lambda o: (o.get("spec") or {}).get("type", "ClusterIP")),
        ("Cluster-IP", lambda o: (o.get("spec") or {}).get("clusterIP", "<none>")),
        ("External-IP", lambda o: "<none>"),
        ("Port(s)", _ports),
        ("Age", _age),
    ],
}
_WIDE = {"IP", "Node"}


_ROW_META = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp", "labels")


def _row_meta(meta: Obj) -> Obj:
    """What kubectl reads from a row (namespace column, --show-labels, age): smaller tables decode faster."""
    return {k: meta[k] for k in _ROW_META if k in meta}


def table(resource: str, objs: list[Obj], resource_version: str) -> Obj:
    cols = _COLUMNS.get(resource, [("Age", _age)])
    defs = [{"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0}]
    defs += [
        {"name": n, "type": "string", "format": "", "description": n, "priority": int(n in _WIDE)} for n, _ in cols
    ]
    rows = [
        {
            "cells": [o["metadata"]["name"], *(f(o) for _, f in cols)],
            "object": {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": _row_meta(o["metadata"]),
            },
        }
        for o in objs
    ]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": defs,
        "rows": rows,
    }
