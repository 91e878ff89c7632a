"""Finding and reading Score JSON files (`score-<mesh>-<scale>-<run_id>.json`) for the scorecard.

Parsing and validation belong to `model.score.Score.from_json`; this module finds the files (folders
are searched recursively, since CI jobs' artefacts land in sub-folders) and turns every problem into
one line that names the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..model.errors import ModelError
from ..model.score import Score

__all__ = ["SCORE_GLOB", "LoadedScore", "ScoreInputError", "find_score_files", "load_scores", "read_score"]

SCORE_GLOB = "score-*.json"


class ScoreInputError(Exception):
    """A Score input the scorecard cannot use; str() is the one line shown to the user."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True, slots=True)
class LoadedScore:
    path: Path
    score: Score


def _to_score(data: str, path: Path) -> Score:
    try:
        return Score.from_json(data, source=str(path))
    except ModelError as exc:
        # the model says "score <source>: problem"; the user sees "<file>: problem"
        raise ScoreInputError(path, str(exc).removeprefix(f"score {path}: ")) from None


def read_score(path: Path) -> LoadedScore:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScoreInputError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoreInputError(path, f"not readable ({exc})") from None
    return LoadedScore(path, _to_score(text, path))


def find_score_files(inputs: Iterable[Path]) -> list[Path]:
    """Files as given; folders searched recursively, since CI jobs' artefacts land in sub-folders."""
    found: list[Path] = []
    for item in inputs:
        if item.is_dir():
            matches = sorted(item.rglob(SCORE_GLOB))
            if not matches:
                raise ScoreInputError(item, f"folder holds no {SCORE_GLOB} file")
            found += matches
        elif item.exists():
            found.append(item)
        else:
            raise ScoreInputError(item, "no such file or folder")
    return list(dict.fromkeys(found))


def load_scores(inputs: Iterable[Path]) -> list[LoadedScore]:
    return [read_score(path) for path in find_score_files(inputs)]
