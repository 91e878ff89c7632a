"""`meshscale compare RESULT... [-o DIR]`: the scorecard of mesh runs, printed and written as files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .api_pressure_files import load_pressure, write_pressure
from .score_source import ScoreInputError
from .scorecard_files import default_output_dir, write_scorecard

__all__ = ["main", "one_line_parser"]


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (what was wrong, how to call it), as every command here."""

    def error(self, message: str) -> None:  # type: ignore[override]
        usage = " ".join(self.format_usage().split()).removeprefix("usage: ")
        self.exit(2, f"{self.prog}: {message} (usage: {usage})\n")


def one_line_parser(prog: str, description: str) -> argparse.ArgumentParser:
    return _OneLineParser(prog=prog, description=description)


def _parser() -> argparse.ArgumentParser:
    parser = one_line_parser("meshscale compare", "Compare meshes from their Score JSON files.")
    parser.add_argument(
        "results",
        nargs="+",
        type=Path,
        metavar="RESULT",
        help="score-*.json files or folders holding them (searched recursively)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="DIR",
        help="where scorecard.{txt,html,svg,json} go (default: the first results folder)",
    )
    parser.add_argument(
        "--baseline-score",
        type=Path,
        default=None,
        metavar="FILE",
        help="the baseline mesh's Score JSON (another run) to attribute kernel cores against "
        "(default: the baseline of each mesh's own run; without one: 'no baseline: kernel cost not attributed')",
    )
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    out_dir = args.output or default_output_dir(args.results)
    try:
        pressure = load_pressure(args.results)  # read before the scorecard writes anything
        output = write_scorecard(args.results, out_dir, args.baseline_score)
    except ScoreInputError as exc:
        print(f"meshscale compare: {exc}", file=sys.stderr)
        return 2
    print(output.text, end="")
    files = list(output.files)
    table = write_pressure(pressure, out_dir)
    if table is not None:
        print("\n" + table.text, end="")
        files += table.files
    print("wrote " + ", ".join(str(p) for p in files))
    return 0
