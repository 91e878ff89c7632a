"""`meshscale compare` and `meshscale report` carry the API-pressure table and chart of the runs they are given,
beside the scorecard: found in the same folders, read before anything is written, one line on a bad file."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_meshscale.model.api_pressure import ApiCall, ApiPressure, ServerUsage
from pytest_meshscale.model.api_timeline import ApiTimeline, ChurnMark, TimelinePoint
from pytest_meshscale.report.api_pressure_files import load_pressure, write_pressure
from pytest_meshscale.report.compare_command import main as compare
from pytest_meshscale.scenario.api_pressure import PressureResult

SCORES = Path(__file__).parent / "golden" / "scores"


def _result(mesh: str, p99: float) -> PressureResult:
    calls = (ApiCall("PATCH", "ciliumendpoints", "", "resource", 29, p99, 1.0),)
    pressure = ApiPressure(50.0, {("PATCH", "ciliumendpoints"): 0.6, ("WATCH", "pods"): 0.1}, calls, 193,
                           ServerUsage(0.03, 355 * 2**20), ServerUsage(0.01, 53 * 2**20))
    timeline = ApiTimeline((TimelinePoint(2.0, 7.5, 0.08), TimelinePoint(4.0, 8.0, p99)), True, 3,
                           (ChurnMark(1.0, "rescale"),))
    return PressureResult(mesh, "kwok", f"{mesh}'s clients EMULATED", pressure, emulated={}, timeline=timeline)


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    """Two runs' folders as CI jobs bring them: Scores, and an API-pressure result per mesh in a sub-folder."""
    shutil.copytree(SCORES, tmp_path / "results")
    for mesh, p99 in (("istio-ambient", 0.04), ("cilium", 1.9)):
        job = tmp_path / "results" / f"job-{mesh}"
        job.mkdir()
        (job / f"api-pressure-{mesh}-pr-run1.json").write_text(json.dumps(_result(mesh, p99).to_dict()))
    return tmp_path / "results"


def test_compare_prints_the_table_after_the_scorecard_and_writes_it_with_the_chart(runs: Path, capsys):
    out = runs / "out"
    assert compare([str(runs), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.index("Mesh scorecard") < text.index("API pressure during churn")
    table = text[text.index("API pressure during churn"):]
    assert table.index("cilium") < table.index("istio-ambient")  # meshes in name order, not file order
    assert "REAL (kwok)" in table and "EMULATED" in table
    assert "1.900" in table or "1.9" in table  # cilium's broken SLO figure is in the table
    assert (out / "api-pressure.txt").read_text() == table.split("wrote ")[0].lstrip("\n")
    svg = ET.fromstring((out / "api-pressure-over-time.svg").read_text())
    assert svg.tag.endswith("svg")
    assert "api-pressure.txt" in text.split("wrote ")[1]


def test_a_run_without_api_pressure_writes_only_the_scorecard(tmp_path: Path, capsys):
    shutil.copytree(SCORES, tmp_path / "results")
    assert compare([str(tmp_path / "results"), "-o", str(tmp_path / "out")]) == 0
    assert "API pressure" not in capsys.readouterr().out
    assert not (tmp_path / "out" / "api-pressure.txt").exists()
    assert write_pressure([], tmp_path / "none") is None and not (tmp_path / "none").exists()


@pytest.mark.parametrize(("body", "problem"), [
    ("{", "not JSON"),
    ('{"mesh": "cilium"}', "not an API-pressure result written by tests/scale/test_api_pressure.py"),
    ("[1, 2]", "not an API-pressure result"),
])
def test_a_bad_file_is_one_line_naming_it_and_nothing_is_written(runs: Path, capsys, body: str, problem: str):
    bad = runs / "job-cilium" / "api-pressure-cilium-pr-run1.json"
    bad.write_text(body)
    out = runs / "out"
    assert compare([str(runs), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(bad) in err and problem in err
    assert not out.exists()  # the scorecard was not written either


def test_round_trip_keeps_what_the_table_shows(runs: Path):
    loaded = load_pressure([runs])
    assert [r.mesh for r in loaded] == ["cilium", "istio-ambient"]
    assert loaded[0].slo_held is False and loaded[1].slo_held is True
    assert loaded[0].timeline is not None and len(loaded[0].timeline.points) == 2
