"""`meshscale report [RESULTS...] -o DIR [--history FILE] [--single-file] [--name NAME]`.

Builds the Allure 3 report (one environment per mesh) from every results folder given, e.g. the
per-mesh CI jobs' artefacts, with the scorecard attached to the launch, written next to it and shown at
the top of the report's page (first_screen).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .allure_cli import AllureMissing, find_allure
from .analytics import strip_analytics_file
from .api_pressure_files import load_pressure, write_pressure
from .compare_command import one_line_parser
from .first_screen import add_scorecard_file
from .report_inputs import ReportInputs, scan_inputs, stage_results, write_globals
from .score_source import ScoreInputError
from .scorecard_files import ScorecardOutput, write_scorecard
from .simulated import SIMULATED_MARK

__all__ = ["DEFAULT_INPUTS", "main", "report_name"]

DEFAULT_INPUTS = ("allure-results", "meshscale-results")
PROG = "meshscale report"


def _parser() -> argparse.ArgumentParser:
    parser = one_line_parser(PROG, "Build the Allure 3 report and the scorecard.")
    parser.add_argument(
        "results",
        nargs="*",
        type=Path,
        metavar="RESULTS",
        help=f"folders holding Allure results and Score JSON (default: {', '.join(DEFAULT_INPUTS)})",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("meshscale-report"),
        metavar="DIR",
        help="report folder (default: meshscale-report); a previous report there is replaced",
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=None,
        metavar="FILE",
        help="Allure 3 history (JSONL); read and appended, keep it between CI runs",
    )
    parser.add_argument("--single-file", action="store_true", help="one self-contained index.html")
    parser.add_argument("--name", default="pytest-meshscale", help="report name (SIMULATED is added for sims)")
    return parser


def report_name(name: str, simulated: bool) -> str:
    return f"{name} - {SIMULATED_MARK}" if simulated and SIMULATED_MARK not in name.upper() else name


def _inputs(given: list[Path]) -> list[Path]:
    return given or [Path(p) for p in DEFAULT_INPUTS if Path(p).is_dir()] or [Path(DEFAULT_INPUTS[0])]


PRESSURE_ATTACHMENTS = {".txt": ("API pressure (all meshes)", "text/plain"),
                        ".svg": ("API pressure over time", "image/svg+xml")}


def _scorecard(found: ReportInputs, staging: Path, inputs: list[Path]) -> tuple[ScorecardOutput | None, str]:
    """The scorecard, and the API-pressure table and chart of the same runs (its text, or ""), written to
    staging/scorecard and attached to the launch."""
    pressure = load_pressure(inputs)  # every input read before anything is written
    folder = staging / "scorecard"
    attachments: list[tuple[str, Path, str]] = []
    output = None
    if found.score_files:
        output = write_scorecard(list(found.score_files), folder)
        html, svg = output.files[1], output.files[2]
        attachments += [("Scorecard (all meshes)", html, "text/html"), ("Scorecard chart", svg, "image/svg+xml")]
    table = write_pressure(pressure, folder)
    for path in table.files if table else ():
        name, mime = PRESSURE_ATTACHMENTS[path.suffix]
        attachments.append((name, path, mime))
    if attachments:
        write_globals(staging, attachments)
    return output, table.text if table else ""


def _replace(output: Path, fresh: Path) -> None:
    """Replaces a previous report; refuses to delete a folder that is not one."""
    if output.exists():
        if any(output.iterdir()) and not (output / "summary.json").is_file():
            raise ValueError(f"{output}: exists and is not a previous report; choose another -o DIR")
        shutil.rmtree(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(fresh), str(output))


def _build(args: argparse.Namespace, found: ReportInputs, inputs: list[Path], work: Path) -> int:
    cli = find_allure()
    staging = stage_results(found, work / "results")
    card, pressure = _scorecard(found, staging, inputs)
    simulated = found.simulated or bool(card and card.card.simulated)
    env = {
        "MESHSCALE_MESHES": ",".join(found.meshes),
        "MESHSCALE_CROSS_MESH": "true" if found.cross_mesh else "false",
        "MESHSCALE_SIMULATED": "true" if simulated else "false",
        "MESHSCALE_SINGLE_FILE": "true" if args.single_file else "false",
    }
    if args.history:
        args.history.parent.mkdir(parents=True, exist_ok=True)
        env["MESHSCALE_HISTORY"] = str(args.history.resolve())
    output = args.output.resolve()
    fresh = work / "report"  # Allure nests its files in awesome/ when the output is not empty
    cli.generate([staging], fresh, report_name(args.name, simulated), env)
    strip_analytics_file(fresh / "index.html")
    if (staging / "scorecard").is_dir():
        shutil.copytree(staging / "scorecard", fresh / "scorecard")
    if card is not None:
        if not add_scorecard_file(fresh / "index.html", card.card):
            print(f"{PROG}: warning: this Allure's page has no <div id=\"app\">; the scorecard is only under "
                  "Global Attachments", file=sys.stderr)  # fmt: skip
    _replace(output, fresh)
    if card is not None:
        print(card.text, end="")
    if pressure:
        print("\n" + pressure, end="")
    print(
        f"report ({len(found.allure_dirs)} results folder(s), meshes: {', '.join(found.meshes) or 'none'}; "
        f"allure {cli.version}): {output / 'index.html'}"
    )
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    started = time.monotonic()
    try:
        inputs = _inputs(args.results)
        found = scan_inputs(inputs)
        with tempfile.TemporaryDirectory(prefix="meshscale-report-") as work:
            code = _build(args, found, inputs, Path(work))
    except (AllureMissing, ValueError, ScoreInputError) as exc:
        print(f"{PROG}: {exc}; results left untouched", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    print(f"built in {time.monotonic() - started:.1f} s")
    return code
