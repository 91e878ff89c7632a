"""Loading Score files and writing the scorecard's text, HTML, SVG and JSON side by side.

Shared by `meshscale compare`, `meshscale report` and the plugin's terminal summary, so all three
show the same table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .html_scorecard import scorecard_html
from .score_source import SCORE_GLOB, load_scores, read_score
from .scorecard import Scorecard, build_scorecard
from .scorecard_json import scorecard_json
from .scorecard_text import scorecard_text
from .svg_scorecard import scorecard_svg

__all__ = ["SCORECARD_FILES", "ScorecardOutput", "default_output_dir", "scorecard_if_any", "write_scorecard"]

SCORECARD_FILES = ("scorecard.txt", "scorecard.html", "scorecard.svg", "scorecard.json")


@dataclass(frozen=True, slots=True)
class ScorecardOutput:
    card: Scorecard
    text: str
    files: tuple[Path, ...]


def default_output_dir(inputs: Sequence[Path]) -> Path:
    """The first results folder given (or the folder of the first file), as `meshscale compare` documents."""
    first = inputs[0]
    return first if first.is_dir() else first.parent


def write_scorecard(inputs: Sequence[Path], out_dir: Path, baseline: Path | None = None) -> ScorecardOutput:
    """Raises ScoreInputError (one line naming the file) on bad input, before anything is written. `baseline`: a
    baseline Score the meshes' kernel cores are attributed against (default: each run's own baseline)."""
    card = build_scorecard(load_scores(inputs), read_score(baseline) if baseline is not None else None)
    text = scorecard_text(card)
    bodies = (
        text,
        scorecard_html(card),
        scorecard_svg(card),
        json.dumps(scorecard_json(card), indent=2) + "\n",
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    files = tuple(out_dir / name for name in SCORECARD_FILES)
    for path, body in zip(files, bodies, strict=True):
        path.write_text(body, encoding="utf-8")
    return ScorecardOutput(card, text, files)


def scorecard_if_any(results_dir: Path) -> ScorecardOutput | None:
    """For the plugin's terminal summary: the scorecard of the Score files in `results_dir`, written
    next to them, or None when the run wrote none (e.g. only the policy suite ran)."""
    if not results_dir.is_dir() or not any(results_dir.rglob(SCORE_GLOB)):
        return None
    return write_scorecard([results_dir], results_dir)
