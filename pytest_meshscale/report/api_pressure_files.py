"""The API-pressure table and chart across runs, for `meshscale compare` and `meshscale report`.

`tests/scale/test_api_pressure.py` writes one `api-pressure-<mesh>-<scale>-<run>.json` per mesh next to its Score;
per-mesh CI jobs each bring theirs. Here they are found in the same inputs as the Score files and drawn side by
side, as `benchmarks/api_pressure.py` does, so the comparison does not stop at the scorecard.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..scenario.api_pressure import PressureResult, result_from_dict
from .api_pressure_table import pressure_table
from .score_source import ScoreInputError
from .svg_api_timeline import api_timeline_svg

__all__ = ["PRESSURE_GLOB", "PressureOutput", "find_pressure_files", "load_pressure", "write_pressure"]

PRESSURE_GLOB = "api-pressure-*.json"


@dataclass(frozen=True, slots=True)
class PressureOutput:
    text: str
    files: tuple[Path, ...]  # the table, and the chart when some result has a timeline


def find_pressure_files(inputs: Sequence[Path]) -> list[Path]:
    """In the folders given (recursively) and among the files given; none is fine (a run without the scale suite)."""
    found: list[Path] = []
    for item in inputs:
        if item.is_dir():
            found += sorted(item.rglob(PRESSURE_GLOB))
        elif item.match(PRESSURE_GLOB):
            found.append(item)
    return list(dict.fromkeys(found))


def _read(path: Path) -> PressureResult:
    try:
        return result_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoreInputError(path, f"not readable ({exc})") from None
    except ValueError as exc:
        raise ScoreInputError(path, f"not JSON ({exc})") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise ScoreInputError(path, f"not an API-pressure result written by tests/scale/test_api_pressure.py "
                                    f"({type(exc).__name__}: {exc})") from None


def load_pressure(inputs: Sequence[Path]) -> list[PressureResult]:
    """Every result in the inputs, meshes in name order; ScoreInputError (one line naming the file) on a bad one."""
    return sorted((_read(p) for p in find_pressure_files(inputs)), key=lambda r: r.mesh)


def write_pressure(results: Sequence[PressureResult], out_dir: Path) -> PressureOutput | None:
    """api-pressure.txt, and api-pressure-over-time.svg when some result has a timeline; None without results."""
    if not results:
        return None
    text = pressure_table(results)
    bodies = {"api-pressure.txt": text}
    chart = api_timeline_svg(results)
    if chart is not None:
        bodies["api-pressure-over-time.svg"] = chart
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, body in bodies.items():
        (out_dir / name).write_text(body, encoding="utf-8")
    return PressureOutput(text, tuple(out_dir / name for name in bodies))
