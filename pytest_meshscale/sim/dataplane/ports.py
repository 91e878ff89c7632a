"""Port matching shared by NetworkPolicy and Cilium rules: numbers, strings and named container ports."""

from __future__ import annotations

from typing import Any

__all__ = ["container_ports", "port_matches"]


def container_ports(pod: dict[str, Any]) -> dict[str, int]:
    """name -> containerPort for every named port of every container."""
    named: dict[str, int] = {}
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name"):
                named[str(p["name"])] = int(p.get("containerPort", 0))
    return named


def port_matches(spec_port: Any, end_port: Any, dst: dict[str, Any], port: int) -> bool:
    """A policy port (absent/0 = any, number, numeric string or a named port of dst) against `port`."""
    if spec_port in (None, "", 0, "0"):
        return True
    text = str(spec_port)
    if not text.isdigit():
        named = container_ports(dst).get(text)
        return named == port
    low = int(text)
    high = int(end_port) if end_port else low
    return low <= port <= high
