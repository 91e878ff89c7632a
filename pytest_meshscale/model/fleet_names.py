"""The names and ports of the seed's two workloads, shared by the fleet, the policy files and the
meshes' renderers (which must let the API server's pod proxy reach the fortio REST port)."""

from __future__ import annotations

from .policy import ProxyAccess

__all__ = ["CLIENT", "CLIENT_PORT", "SERVER", "SERVER_PORT", "proxy_access"]

SERVER, CLIENT = "loadservice", "fortio-client"
SERVER_PORT, CLIENT_PORT = 8080, 8080


def proxy_access() -> ProxyAccess:
    """The fortio clients' REST port, reached through the API server's pod proxy by every probe."""
    return ProxyAccess({"app": CLIENT}, CLIENT_PORT)
