"""Allure identity and labels for one test on one mesh, and run-level (global) attachments.

Identity matters more than decoration here: allure-pytest's historyId is built from the non-excluded
parameters, and Allure counts results with the same historyId as retries of one test. So `mesh` and
`scale` are parameters (two meshes = two results, not a retry), while the run id and the cluster name
change every run and are excluded (history stays continuous across runs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import allure

from .simulated import SIMULATED_MARK

__all__ = ["MESH_LABEL", "SUITE_EPICS", "ResultIdentity", "attach_run_file", "label_test"]

# allure-python's API is untyped; one Any-typed handle keeps mypy useful for the rest of this module.
_dynamic: Any = allure.dynamic
_global_attach: Any = allure.global_attach
MESH_LABEL = "mesh"
SUITE_EPICS = {
    "policy": "Policy enforcement",
    "encryption": "Encryption in transit",
    "scale": "Scale and performance",
}
ATTACHMENT_TYPES = {
    "html": allure.attachment_type.HTML,
    "svg": allure.attachment_type.SVG,
    "json": allure.attachment_type.JSON,
    "yaml": allure.attachment_type.YAML,
    "csv": allure.attachment_type.CSV,
    "txt": allure.attachment_type.TEXT,
}


@dataclass(frozen=True, slots=True)
class ResultIdentity:
    """What the plugin knows about a test when it starts; `scenario` is e.g. "L7 deny by path"."""

    mesh: str
    scale: str
    suite: str
    scenario: str
    simulated: bool
    run_id: str = ""
    cluster: str = ""
    story: str = ""

    def __post_init__(self) -> None:
        if self.suite not in SUITE_EPICS:
            raise ValueError(f"suite: bad value {self.suite!r}; accepted: {', '.join(SUITE_EPICS)}")


def label_test(identity: ResultIdentity) -> None:
    """Call from an autouse fixture (setup) of every scenario test; allure-pytest reads it at teardown."""
    _dynamic.parameter("mesh", identity.mesh)
    _dynamic.parameter("scale", identity.scale)
    # pytest's own `mesh_name` parameter repeats `mesh`: kept in the history id, hidden from readers.
    _dynamic.parameter("mesh_name", identity.mesh, mode=allure.parameter_mode.HIDDEN)
    _dynamic.label(MESH_LABEL, identity.mesh)
    _dynamic.label("scale", identity.scale)
    _dynamic.label("simulated", "true" if identity.simulated else "false")
    if identity.simulated:
        _dynamic.tag(SIMULATED_MARK)
    _dynamic.epic(SUITE_EPICS[identity.suite])
    _dynamic.feature(identity.scenario)
    if identity.story:
        _dynamic.story(identity.story)
    for name, value in (("run id", identity.run_id), ("cluster", identity.cluster)):
        if value:
            _dynamic.parameter(name, value, excluded=True)


def _kind(name: str) -> tuple[object, str]:
    extension = Path(name).suffix.lstrip(".").lower() or "txt"
    return ATTACHMENT_TYPES.get(extension, allure.attachment_type.TEXT), extension


def attach_run_file(name: str, body: str | bytes | Path) -> None:
    """A run-level attachment (kind config, helm values, profile, scorecard): allure-pytest >= 2.16
    writes it as `*-globals.json`, which Allure 3 shows once for the launch, not on every test."""
    kind, extension = _kind(name)
    if isinstance(body, Path):
        _global_attach.file(str(body), name=name, attachment_type=kind, extension=extension)
    else:
        _global_attach(body, name=name, attachment_type=kind, extension=extension)


def attach(name: str, body: str | bytes, extension: str) -> None:
    """A per-test attachment, typed by extension (html, svg, json, yaml, csv, txt)."""
    allure.attach(
        body,
        name=name,
        attachment_type=ATTACHMENT_TYPES.get(extension, allure.attachment_type.TEXT),
        extension=extension,
    )


def attach_all(bodies: Mapping[str, str | bytes]) -> None:
    """Several per-test attachments, each name ending in its extension (e.g. "latency.svg")."""
    for name, body in bodies.items():
        attach(name, body, _kind(name)[1])
