"""Pinned versions of everything a real-cluster install uses, as data, each overridable by key; a bad key or
value is one line naming both and what is accepted.

The tools every install shares (kind, its node image, kubectl, helm, metrics-server) are pinned in
fixtures/meshes/versions.yaml; each mesh pins its own charts in fixtures/meshes/<mesh>/versions.yaml, so a
new mesh adds its pins in its own folder. A mesh's keys are validated by their suffix (`_chart`, `_repo`, or a
release tag), since this module sits below the mesh drivers and cannot ask them. A mesh may also pin its own
`kind_node_image`, for charts that refuse the shared one (Linkerd's need Kubernetes 1.31+)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from ...data import data_path

__all__ = ["VERSIONS_FILE", "Versions", "VersionsError", "load_versions", "parse_versions"]

VERSIONS_FILE = data_path("meshes", "versions.yaml")
MESH_PINS_FILE = "versions.yaml"  # in each fixtures/meshes/<mesh>/

_SEMVER = r"\d+\.\d+\.\d+"
_TOOLS = {
    "kind": (rf"^v{_SEMVER}$", "a release tag like v0.28.0"),
    "kind_node_image": (rf"^kindest/node:v{_SEMVER}(@sha256:[0-9a-f]{{64}})?$", "kindest/node:vX.Y.Z[@sha256:...]"),
    "kubectl": (rf"^v{_SEMVER}$", "a release tag like v1.30.13"),
    "helm": (rf"^v{_SEMVER}$", "a release tag like v3.16.4"),
    "metrics_server_chart": (rf"^{_SEMVER}$", "a chart version like 3.12.2"),
}
_MESH_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _mesh_pattern(key: str) -> tuple[str, str]:
    if key.endswith("_chart"):
        return rf"^{_SEMVER}$", "a chart version like 1.16.1"
    if key.endswith("_repo"):
        return r"^https://\S+$", "an https:// Helm repository URL"
    return rf"^v{_SEMVER}$", "a release tag like v1.3.0"


class VersionsError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Versions:
    kind: str
    kind_node_image: str
    kubectl: str
    helm: str
    metrics_server_chart: str
    pins: Mapping[str, str] = field(default_factory=dict)  # the meshes' own pins, key -> value
    source: str = ""
    node_images: Mapping[str, str] = field(default_factory=dict)  # mesh -> its own kind node image

    def node_image(self, mesh: str) -> str:
        """The kind node image for `mesh`: its own pin, else the shared one."""
        return self.node_images.get(mesh, self.kind_node_image)

    def pin(self, key: str) -> str:
        """A mesh's pin, e.g. pin("cilium_chart"); a missing one is one line naming the key and the files."""
        if key not in self.pins:
            raise VersionsError(f"{self.source}: no pin {key!r}; pinned: {', '.join(sorted(self.pins)) or 'none'}")
        return self.pins[key]


def _check(source: str, key: str, value: object, pattern: tuple[str, str]) -> str:
    regex, accepted = pattern
    if not isinstance(value, str) or not re.match(regex, value):
        raise VersionsError(f"{source}: {key}: bad value {value!r}; accepted: {accepted}")
    return value


def parse_versions(data: object, source: str, overrides: Mapping[str, str] | None = None,
                   mesh_pins: Mapping[str, Mapping[str, object]] | None = None) -> Versions:
    """`data`: the shared tools' pins; `mesh_pins`: file name -> that mesh's pins; `overrides`: key -> value
    for any of them (the --mesh-<x>-version flags)."""
    if not isinstance(data, Mapping):
        raise VersionsError(f"{source}: must be a mapping of {', '.join(_TOOLS)}")
    patterns = dict(_TOOLS)
    pins: dict[str, str] = {}
    owner: dict[str, str] = {}
    node_images: dict[str, str] = {}
    for where, found in (mesh_pins or {}).items():
        for key, value in found.items():
            if key == "kind_node_image":  # the mesh's folder names the mesh
                node_images[Path(where).parent.name] = _check(where, key, value, _TOOLS[key])
                continue
            if not _MESH_KEY.match(str(key)) or key in _TOOLS or key in owner:
                taken = f" (already pinned in {owner.get(key, source)})" if key in owner or key in _TOOLS else ""
                raise VersionsError(f"{where}: bad key {key!r}{taken}; accepted: a new lower_snake_case key")
            patterns[key], owner[key] = _mesh_pattern(key), where
            pins[key] = _check(where, key, value, patterns[key])
    for key in data:
        if key not in _TOOLS:
            raise VersionsError(f"{source}: unknown key {key!r}; accepted: {', '.join(_TOOLS)}")
    for key, value in (overrides or {}).items():
        if key not in patterns:
            raise VersionsError(f"override: unknown key {key!r}; accepted: {', '.join(patterns)}")
        if key in pins:
            pins[key] = _check("override", key, value, patterns[key])
    merged = {**data, **{k: v for k, v in (overrides or {}).items() if k in _TOOLS}}
    tools = {k: _check(source if k not in (overrides or {}) else "override", k, v, _TOOLS[k])
             for k, v in merged.items()}
    absent = [f.name for f in fields(Versions) if f.name in _TOOLS and f.name not in tools]
    if absent:
        raise VersionsError(f"{source}: missing {', '.join(absent)}")
    return Versions(**tools, pins=pins, source=source, node_images=node_images)


def _read(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise VersionsError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None


def load_versions(path: Path | None = None, overrides: Mapping[str, str] | None = None) -> Versions:
    """The pinned versions: the tools (default fixtures/meshes/versions.yaml) and every
    <its folder>/<mesh>/versions.yaml beside it, with `overrides` ({key: value}) applied."""
    path = path or VERSIONS_FILE
    data = _read(path)
    mesh_pins: dict[str, Mapping[str, object]] = {}
    for mesh_file in sorted(path.parent.glob(f"*/{MESH_PINS_FILE}")):
        found = _read(mesh_file)
        if not isinstance(found, Mapping):
            raise VersionsError(f"{mesh_file}: must be a mapping of pin -> version")
        mesh_pins[str(mesh_file)] = found
    return parse_versions(data, str(path), overrides, mesh_pins)
