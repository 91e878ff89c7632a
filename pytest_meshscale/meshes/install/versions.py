"""Pinned versions of everything a real-cluster install uses, as data (fixtures/meshes/versions.yaml),
each overridable by key; a bad key or value is one line naming both and what is accepted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from ...data import data_path

__all__ = ["VERSIONS_FILE", "Versions", "VersionsError", "load_versions", "parse_versions"]

VERSIONS_FILE = data_path("meshes", "versions.yaml")

_SEMVER = r"\d+\.\d+\.\d+"
_PATTERNS = {
    "cilium_chart": (rf"^{_SEMVER}$", "a chart version like 1.16.1"),
    "istio_chart": (rf"^{_SEMVER}$", "a chart version like 1.24.3"),
    "cilium_repo": (r"^https://\S+$", "an https:// Helm repository URL"),
    "istio_repo": (r"^https://\S+$", "an https:// Helm repository URL"),
    "gateway_api": (rf"^v{_SEMVER}$", "a release tag like v1.3.0"),
    "kind": (rf"^v{_SEMVER}$", "a release tag like v0.28.0"),
    "kind_node_image": (rf"^kindest/node:v{_SEMVER}(@sha256:[0-9a-f]{{64}})?$", "kindest/node:vX.Y.Z[@sha256:...]"),
    "kubectl": (rf"^v{_SEMVER}$", "a release tag like v1.30.13"),
    "helm": (rf"^v{_SEMVER}$", "a release tag like v3.16.4"),
    "metrics_server_chart": (rf"^{_SEMVER}$", "a chart version like 3.12.2"),
}


class VersionsError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Versions:
    cilium_chart: str
    cilium_repo: str
    istio_chart: str
    istio_repo: str
    gateway_api: str
    kind: str
    kind_node_image: str
    kubectl: str
    helm: str
    metrics_server_chart: str
    source: str = ""

    @property
    def gateway_api_url(self) -> str:
        return (f"https://github.com/kubernetes-sigs/gateway-api/releases/download/"
                f"{self.gateway_api}/standard-install.yaml")

    def istio_minor(self) -> tuple[int, int]:
        major, minor, _ = self.istio_chart.split(".")
        return int(major), int(minor)


def _check(source: str, key: str, value: object) -> str:
    if key not in _PATTERNS:
        raise VersionsError(f"{source}: unknown key {key!r}; accepted: {', '.join(_PATTERNS)}")
    pattern, accepted = _PATTERNS[key]
    if not isinstance(value, str) or not re.match(pattern, value):
        raise VersionsError(f"{source}: {key}: bad value {value!r}; accepted: {accepted}")
    return value


def parse_versions(data: object, source: str, overrides: Mapping[str, str] | None = None) -> Versions:
    if not isinstance(data, Mapping):
        raise VersionsError(f"{source}: must be a mapping of {', '.join(_PATTERNS)}")
    merged = {**data, **(overrides or {})}
    values = {k: _check(source if k not in (overrides or {}) else "override", k, v) for k, v in merged.items()}
    absent = [f.name for f in fields(Versions) if f.name != "source" and f.name not in values]
    if absent:
        raise VersionsError(f"{source}: missing {', '.join(absent)}")
    return Versions(**values, source=source)


def load_versions(path: Path | None = None, overrides: Mapping[str, str] | None = None) -> Versions:
    """The pinned versions (default fixtures/meshes/versions.yaml), with `overrides` ({key: value}) applied."""
    path = path or VERSIONS_FILE
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise VersionsError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None
    return parse_versions(data, str(path), overrides)

