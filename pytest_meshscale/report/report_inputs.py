"""What `meshscale report` reads: Allure results folders and Score files found under the inputs,
merged into one staging folder of hard links so the inputs are never modified (results whose
testCaseId must name their case, see case_identity, are staged as rewritten copies).

Per-mesh CI jobs each bring an environment.properties, categories.json and executor.json; Allure keeps
one of each per report, so the staging folder holds merged ones instead of N competing copies.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .case_identity import comparison_case_id, mesh_of
from .run_files import categories, format_properties, merge_environments
from .score_source import SCORE_GLOB

__all__ = ["ReportInputs", "scan_inputs", "stage_results", "write_globals"]

RESULT_GLOB = "*-result.json"
RUN_FILES = ("environment.properties", "categories.json", "executor.json")


@dataclass(frozen=True, slots=True)
class ReportInputs:
    allure_dirs: tuple[Path, ...]
    score_files: tuple[Path, ...]
    meshes: tuple[str, ...]  # values of the `mesh` label, sorted: the environments keep their order run to run
    environment: dict[str, str]
    cross_mesh: bool = False  # some results have no mesh (checks across meshes): their own environment

    @property
    def simulated(self) -> bool:
        return self.environment.get("simulated") == "true"


def _read_result(path: Path) -> dict[str, Any] | None:
    """None when unreadable: Allure itself reports bad results; here they only feed environments and ids."""
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) else None


def _mesh_labels(result_files: Sequence[Path]) -> tuple[tuple[str, ...], bool]:
    """The meshes (sorted, not in the random order of uuid file names), and whether some result has none."""
    meshes: dict[str | None, None] = {}
    for path in result_files:
        result = _read_result(path)
        if result is not None:
            meshes[mesh_of(result) or None] = None
    return tuple(sorted(m for m in meshes if m)), None in meshes


def scan_inputs(inputs: Sequence[Path]) -> ReportInputs:
    """Raises ValueError naming the input when it does not exist or holds no Allure results."""
    result_files: list[Path] = []
    scores: list[Path] = []
    for item in inputs:
        if not item.is_dir():
            raise ValueError(f"{item}: not a folder (give Allure results folders or a folder holding them)")
        result_files += sorted(item.rglob(RESULT_GLOB))
        scores += sorted(item.rglob(SCORE_GLOB))
    if not result_files:
        raise ValueError(
            f"{', '.join(map(str, inputs))}: no Allure results ({RESULT_GLOB}) found; run pytest with --alluredir first"
        )
    dirs = tuple(dict.fromkeys(p.parent for p in result_files))
    envs = [d / "environment.properties" for d in dirs if (d / "environment.properties").is_file()]
    meshes, cross_mesh = _mesh_labels(result_files)
    return ReportInputs(dirs, tuple(dict.fromkeys(scores)), meshes, merge_environments(envs), cross_mesh)


def _link(source: Path, target: Path) -> None:
    """Hard link (free, and Allure 3's reader skips symlinks), or a copy across file systems."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _stage(source: Path, target: Path) -> None:
    """A result whose case needs its own testCaseId is written rewritten; anything else is linked."""
    result = _read_result(source) if source.name.endswith(RESULT_GLOB[1:]) else None
    case_id = None if result is None else comparison_case_id(result)
    if result is None or case_id is None:
        _link(source, target)
        return
    result["testCaseId"] = case_id
    target.write_text(json.dumps(result), encoding="utf-8")


def stage_results(found: ReportInputs, staging: Path) -> Path:
    """Links every result and attachment into `staging`; writes merged run files there."""
    staging.mkdir(parents=True, exist_ok=True)
    for index, folder in enumerate(found.allure_dirs):
        for source in folder.iterdir():
            if source.is_file() and source.name not in RUN_FILES:
                target = staging / source.name
                if target.exists():  # uuid names never collide; anything else keeps both copies
                    target = staging / f"{index}-{source.name}"
                _stage(source, target)
    (staging / "environment.properties").write_text(format_properties(found.environment), encoding="utf-8")
    (staging / "categories.json").write_text(json.dumps(categories(), indent=2), encoding="utf-8")
    executors = [d / "executor.json" for d in found.allure_dirs if (d / "executor.json").is_file()]
    if executors:
        _link(executors[0], staging / "executor.json")
    return staging


def write_globals(staging: Path, files: Sequence[tuple[str, Path, str]]) -> None:
    """Run-level attachments in allure-python's `*-globals.json` format: (name, file, MIME type)."""
    now = int(time.time() * 1000)
    attachments = []
    for name, path, mime in files:
        source = f"{uuid.uuid4()}-attachment{path.suffix}"
        (staging / source).write_bytes(path.read_bytes())
        attachments.append({"name": name, "source": source, "type": mime, "timestamp": now})
    body = {"attachments": attachments, "errors": []}
    (staging / f"{uuid.uuid4()}-globals.json").write_text(json.dumps(body), encoding="utf-8")
