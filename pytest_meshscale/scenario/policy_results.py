"""Observed policy matrices kept per run, so the parity check can compare meshes after they all ran."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ..model import Observation, Verdict

__all__ = ["load_observations", "parity_differences", "save_observations"]


def save_observations(run_dir: Path, mesh: str, case: str, observed: Mapping[str, Observation]) -> None:
    path = run_dir / "policy" / f"{mesh}--{case}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({k: [o.verdict.value, o.detail] for k, o in observed.items()}, indent=1))


def load_observations(run_dir: Path) -> dict[str, dict[str, dict[str, Verdict]]]:
    """case -> mesh -> cell -> verdict, for every matrix this run recorded."""
    found: dict[str, dict[str, dict[str, Verdict]]] = {}
    for path in sorted((run_dir / "policy").glob("*--*.json")):
        mesh, case = path.stem.split("--", 1)
        cells = {k: Verdict(v[0]) for k, v in json.loads(path.read_text()).items()}
        found.setdefault(case, {})[mesh] = cells
    return found


def parity_differences(by_mesh: Mapping[str, Mapping[str, Verdict]]) -> list[str]:
    """Cells where meshes disagree on allowed vs denied (how a deny looks may differ: an Istio waypoint
    answers 403 where Cilium drops, which is documented behaviour, not a parity break)."""
    differences = []
    cells = sorted(set().union(*(m.keys() for m in by_mesh.values())))
    for cell in cells:
        allowed = {mesh: cells_.get(cell) == Verdict.ALLOW for mesh, cells_ in by_mesh.items() if cell in cells_}
        if len(set(allowed.values())) > 1:
            shown = ", ".join(f"{m}={'allow' if a else 'deny'}" for m, a in sorted(allowed.items()))
            differences.append(f"{cell}: {shown}")
    return differences
