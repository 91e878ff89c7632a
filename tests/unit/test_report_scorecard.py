"""`meshscale compare` and the scorecard: golden text, best-mesh and ratio logic, SIMULATED, bad input.

Regenerate the golden files after an intended change with MESHSCALE_REGEN_GOLDEN=1 (then read the diff).
"""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_meshscale.report.compare_command import main as compare
from pytest_meshscale.report.score_source import ScoreInputError, load_scores
from pytest_meshscale.report.scorecard import METRICS, REFERENCE, build_scorecard
from pytest_meshscale.report.scorecard_files import scorecard_if_any

GOLDEN = Path(__file__).parent / "golden"
SCORES = GOLDEN / "scores"
KEYS = [m.key for m in METRICS]


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("MESHSCALE_REGEN_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{path} differs; MESHSCALE_REGEN_GOLDEN=1 rewrites it"


@pytest.fixture
def scores(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    shutil.copytree(SCORES, folder)
    return folder


def _edit(folder: Path, mesh: str, **changes: object) -> None:
    path = next(folder.glob(f"score-{mesh}-*.json"))
    path.write_text(json.dumps(json.loads(path.read_text()) | changes), encoding="utf-8")


def test_compare_prints_the_golden_table_and_writes_four_files(scores: Path, capsys: pytest.CaptureFixture[str]):
    out = scores / "out"
    assert compare([str(scores), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    _golden("compare-pr-sim.txt", text.split("wrote ")[0])
    assert sorted(p.name for p in out.iterdir()) == [
        "scorecard.html",
        "scorecard.json",
        "scorecard.svg",
        "scorecard.txt",
    ]
    ET.fromstring((out / "scorecard.svg").read_text())  # well-formed XML


def test_scorecard_json_holds_values_ratios_and_the_quote(scores: Path):
    assert compare([str(scores)]) == 0
    data = json.loads((scores / "scorecard.json").read_text())
    assert data["schema"] == "meshscale.scorecard/v1"
    assert data["best"]["qps"] == "istio-ambient"
    cilium = next(r for r in data["rows"] if r["mesh"] == "cilium")
    assert cilium["values"]["qps"] == 4750.0
    assert cilium["ratio_to_best"]["qps"] == pytest.approx(4750 / 7180)
    assert cilium["source"].endswith("score-cilium-pr-r7f3a.json")
    assert data["reference"]["quoted"] is True
    assert data["reference"]["ratios"]["qps"] == 1.56


def test_default_output_is_the_first_results_folder(scores: Path):
    assert compare([str(scores)]) == 0
    assert (scores / "scorecard.html").is_file()


def test_best_mesh_and_ratios():
    card = build_scorecard(load_scores([SCORES]))
    by_name = {r.name: r for r in card.rows}
    best = dict(zip(KEYS, card.best, strict=True))
    assert best["qps"] == "istio-ambient"
    assert best["cores_load"] == "cilium"
    assert best["error_rate"] == "cilium"  # zero errors beats any error
    cilium_qps = by_name["cilium"].ratios[KEYS.index("qps")]
    assert cilium_qps == pytest.approx(4750 / 7180)
    istio_cores = by_name["istio-ambient"].ratios[KEYS.index("cores_load")]
    assert istio_cores == pytest.approx(3.4 / 2.62)
    # a ratio to a best value of zero is undefined, not infinite
    assert by_name["istio-ambient"].ratios[KEYS.index("error_rate")] is None


def test_baseline_is_never_the_best_mesh():
    card = build_scorecard(load_scores([SCORES]))
    assert "baseline" not in card.best
    baseline = next(r for r in card.rows if r.name == "baseline")
    assert baseline.ratios[KEYS.index("qps")] == pytest.approx(9800 / 7180)
    assert card.rows[-1].name == "baseline"


def test_this_run_ratios_sit_next_to_the_quoted_ones():
    card = build_scorecard(load_scores([SCORES]))
    assert card.measured_ratios is not None
    assert card.measured_ratios["qps"] == pytest.approx(7180 / 4750)
    assert set(card.measured_ratios) == set(REFERENCE.ratios)
    assert REFERENCE.ratios["queries_per_core"] == pytest.approx(2178 / 1815, abs=0.01)


def test_same_mesh_in_two_runs_gets_the_run_id(scores: Path):
    twin = scores / "job2" / "score-cilium-pr-r9.json"
    twin.parent.mkdir()
    twin.write_text(json.dumps(json.loads(next(scores.glob("score-cilium-*")).read_text()) | {"run_id": "r9"}))
    names = [r.name for r in build_scorecard(load_scores([scores])).rows]
    assert "cilium (r7f3a)" in names
    assert "cilium (r9)" in names


def test_measured_scores_say_nothing_about_simulation(scores: Path, capsys: pytest.CaptureFixture[str]):
    for mesh in ("istio-ambient", "cilium", "baseline"):
        _edit(scores, mesh, simulated=False, cluster_kind="existing")
    assert compare([str(scores)]) == 0
    text = capsys.readouterr().out
    assert "SIMULATED" not in text
    assert "measured numbers" in text
    assert "SIMULATED" not in (scores / "scorecard.html").read_text()


def test_one_simulated_input_marks_every_output(scores: Path, capsys: pytest.CaptureFixture[str]):
    for mesh in ("istio-ambient", "baseline"):
        _edit(scores, mesh, simulated=False)
    assert compare([str(scores)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].endswith("SIMULATED (model output, not measured)")
    assert "SIMULATED numbers" in text
    assert "this run [SIMULATED]" in text
    html = (scores / "scorecard.html").read_text()
    assert html.count("<caption>") == 2
    assert html.count("SIMULATED (model output, not measured)</caption>") == 1
    assert "vs quoted</caption>" in html
    assert "SIMULATED" in html.split("Reference:")[1].split("</caption>")[0]
    assert "SIMULATED" in ET.fromstring((scores / "scorecard.svg").read_text()).findtext(
        "{http://www.w3.org/2000/svg}title", ""
    )
    assert json.loads((scores / "scorecard.json").read_text())["simulated"] is True


def test_reference_row_is_marked_as_quoted(scores: Path, capsys: pytest.CaptureFixture[str]):
    assert compare([str(scores)]) == 0
    text = capsys.readouterr().out
    assert "quoted from the Istio blog (2024), not measured" in text
    assert "+56% QPS at -20% tail latency" in text
    assert "2,178 vs 1,815" in text
    assert "Cilium -30% CPU (excluding kernel work)" in text


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not JSON"),
        ('{"schema": "other/v1"}', "schema must be 'meshscale.score/v1', got 'other/v1'"),
        ('["a list"]', "must be a JSON object"),
        (None, "field 'qps' must be int/float, got True"),
    ],
)
def test_bad_input_is_one_line_naming_the_file(tmp_path: Path, capsys, content: str | None, problem: str):
    bad = tmp_path / "score-x.json"
    if content is None:
        content = json.dumps(json.loads(next(SCORES.glob("score-cilium-*")).read_text()) | {"qps": True})
    bad.write_text(content)
    assert compare([str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(bad) in err
    assert problem in err
    assert not (tmp_path / "scorecard.html").exists()


def test_missing_and_empty_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert compare([str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert compare([str(tmp_path)]) == 2
    assert "holds no score-*.json file" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):
        compare([])  # argparse usage error, one line
    assert capsys.readouterr().err.count("\n") == 1
    with pytest.raises(ScoreInputError, match="no such file"):
        load_scores([tmp_path / "gone.json"])


def test_ties_mark_every_best_mesh(scores: Path):
    cilium = json.loads(next(scores.glob("score-cilium-*")).read_text())
    _edit(scores, "istio-ambient", latency_s=cilium["latency_s"])
    card = build_scorecard(load_scores([scores]))
    p99 = KEYS.index("p99_ms")
    assert [r.name for r in card.rows if card.is_best(r, p99)] == ["cilium", "istio-ambient"]


def test_scorecard_if_any_for_the_terminal_summary(scores: Path, tmp_path: Path):
    assert scorecard_if_any(tmp_path / "empty") is None
    output = scorecard_if_any(scores)
    assert output is not None
    assert output.text.startswith("Mesh scorecard - SIMULATED")
    assert (scores / "scorecard.html") in output.files


def test_long_version_keeps_vs_best_and_no_ratio_is_a_blank(scores: Path, capsys: pytest.CaptureFixture[str]):
    _edit(scores, "baseline", mesh_version="v1.31.0-meshscale-sim")  # what the sim's baseline reports
    assert compare([str(scores)]) == 0
    text = capsys.readouterr().out
    assert "  v1.31.0-meshsc~ vs best " in text
    html = (scores / "scorecard.html").read_text()
    assert "- of best" not in html  # baseline queries per core: no value, so no ratio either
    assert "<span class='ratio'></span>" in html
