"""The load service (isotope mock-service, gcr.io/istio-testing/isotope): answers 200 with the configured
response size -- the seed's ConfigMap service-graph-config says `responseSize: 10KiB`."""

from __future__ import annotations

import re
from typing import Any

from ..runtime import ProxyResult
from .base import ImageHandler, pod_name

__all__ = ["LoadService"]

UNITS = {"": 1, "B": 1, "KiB": 1024, "KB": 1000, "MiB": 1024**2, "MB": 1000**2}
SIZE = re.compile(r"responseSize:\s*['\"]?(\d+)\s*([KM]i?B|B)?")


class LoadService(ImageHandler):
    ports = (8080,)
    default_size = 10 * 1024

    def response_size(self, pod: dict[str, Any]) -> int:
        cm = self.env.store.try_get("configmaps", pod_name(pod)[0], "service-graph-config") or {}
        for value in (cm.get("data") or {}).values():
            m = SIZE.search(str(value))
            if m:
                return int(m.group(1)) * UNITS[m.group(2) or ""]
        return self.default_size

    def serve(self, pod: dict[str, Any], port: int, method: str, path: str, body: bytes) -> ProxyResult:
        return ProxyResult(200, b"x" * self.response_size(pod), {"Content-Type": "text/plain"})
