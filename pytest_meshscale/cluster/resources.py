"""apiVersion + kind -> REST path (plural, namespaced?), learned from the API server's discovery documents.

Discovery is lazy and per group/version (one GET the first time a group is used), unlike the
DynamicClient which walks every group the cluster serves before the first request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .base import KindNotServed

__all__ = ["Discovery", "Resource", "group_version_path", "parse_resource_list"]


@dataclass(frozen=True, slots=True)
class Resource:
    api_version: str  # "v1", "apps/v1", "cilium.io/v2"
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str | None = None, name: str | None = None, sub: str | None = None) -> str:
        """The collection or object path; a namespaced kind without namespace means 'all namespaces'."""
        parts = [group_version_path(self.api_version)]
        if self.namespaced and namespace:
            parts += ["namespaces", quote(namespace, safe="")]
        parts.append(self.plural)
        if name:
            parts.append(quote(name, safe=":"))  # ":" keeps pod proxy names (pod:port) as the API shows them
        if sub:
            parts.append(sub)
        return "/".join(parts)


def group_version_path(api_version: str) -> str:
    """The core group lives under /api/v1, every other group under /apis/GROUP/VERSION."""
    return f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"


def parse_resource_list(api_version: str, doc: Mapping[str, Any]) -> dict[str, Resource]:
    """kind -> Resource from an APIResourceList; subresources ('deployments/scale') are skipped."""
    found: dict[str, Resource] = {}
    for entry in doc.get("resources") or []:
        name = str(entry.get("name", ""))
        if not name or "/" in name:
            continue
        kind = str(entry.get("kind", ""))
        found.setdefault(kind, Resource(api_version, kind, name, bool(entry.get("namespaced"))))
    return found


class Discovery:
    """Caches kinds per group/version; asks again once when a kind is missing (a CRD may be new)."""

    def __init__(self, fetch: Callable[[str], Mapping[str, Any] | None]) -> None:
        self._fetch = fetch  # GET a path; None when the server answers 404 (group/version not served)
        self._cache: dict[str, dict[str, Resource]] = {}
        self._lock = threading.Lock()

    def find(self, api_version: str, kind: str) -> Resource | None:
        # One lock around fetch-if-missing: concurrent apply workers must not all fetch the same document.
        with self._lock:
            kinds = self._cache.get(api_version)
            if kinds is None or kind not in kinds:
                doc = self._fetch(group_version_path(api_version))
                kinds = self._cache[api_version] = (
                    parse_resource_list(api_version, doc) if doc is not None else {}
                )
            return kinds.get(kind)

    def resource(self, api_version: str, kind: str) -> Resource:
        found = self.find(api_version, kind)
        if found is None:
            raise KindNotServed(
                f"kind {kind} in apiVersion {api_version} is not served by the API server "
                "(is its CRD installed?)"
            )
        return found
