"""`meshscale compare` and the scorecard: golden text, best-mesh and ratio logic, SIMULATED, bad input.

Regenerate the golden files after an intended change with MESHSCALE_REGEN_GOLDEN=1 (then read the diff).
"""

from __future__ import annotations

import json
import os
import re
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


def test_baseline_is_the_control_never_ranked_and_meshes_show_their_overhead():
    card = build_scorecard(load_scores([SCORES]))
    assert "baseline" not in card.best
    baseline = next(r for r in card.rows if r.name == "baseline")
    assert set(baseline.ratios) == {None}  # no "1.36x QPS vs best" nor "0.00x cores vs best" for the control
    assert set(baseline.vs_baseline) == {None}
    assert not any(card.is_best(baseline, i) for i in range(len(METRICS)))
    assert card.rows[-1].name == "baseline"
    cilium = next(r for r in card.rows if r.name == "cilium")
    assert cilium.vs_baseline[KEYS.index("qps")] == pytest.approx(4750 / 9800)
    assert cilium.vs_baseline[KEYS.index("p99_ms")] == pytest.approx(10.2 / 6.1)
    assert cilium.vs_baseline[KEYS.index("cores_load")] is None  # the baseline runs no mesh: zero cores


def test_text_shows_no_ratio_line_for_the_baseline(scores: Path, capsys: pytest.CaptureFixture[str]):
    assert compare([str(scores)]) == 0
    lines = capsys.readouterr().out.splitlines()
    base = next(i for i, line in enumerate(lines) if line.startswith("baseline "))
    assert "(no mesh)" in lines[base]
    assert "*" not in lines[base]
    assert not lines[base + 1].startswith("  vs ")  # the control has no "vs best" line
    assert sum(line.startswith("  vs best mesh ") for line in lines) == 2  # one per mesh
    assert sum(line.startswith("  vs no mesh ") for line in lines) == 2
    assert not any(" vs best" in line and "1.36x" in line for line in lines)


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
    text = " ".join(capsys.readouterr().out.split())  # notes wrap at the table's width
    assert "quoted from the Istio blog (2024), not measured" in text
    assert "+56% QPS at -20% tail latency" in text
    assert "2,178 vs 1,815" in text
    assert "Cilium -30% CPU (excluding kernel work)" in text


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not JSON"),
        ('{"schema": "other/v1"}', "schema must be 'meshscale.score/v2' or 'meshscale.score/v1', got 'other/v1'"),
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


def test_versions_are_a_column_and_the_baseline_names_no_version(scores: Path, capsys: pytest.CaptureFixture[str]):
    _edit(scores, "baseline", mesh_version="v1.31.0-meshscale-sim")  # what the sim's baseline reports
    _edit(scores, "cilium", mesh_version="1.16.3-custom-build.20261126")
    assert compare([str(scores)]) == 0
    text = capsys.readouterr().out
    assert "meshscale-sim" not in text  # the Kubernetes build is not a mesh version
    assert "1.16.3-custom-build.20261126" in text  # the column is as wide as the longest version
    assert "  vs best mesh " in text
    assert not any(" vs best" in line and ("1.16" in line or "1.24" in line) for line in text.splitlines())
    html = (scores / "scorecard.html").read_text()
    assert "- of best" not in html  # baseline queries per core: no value, so no ratio either
    assert "<span class='ratio'></span>" in html


def _table(text: str) -> list[str]:
    """The mesh and baseline rows of the text table (the lines between the second and third rule)."""
    rules = [i for i, line in enumerate(text.splitlines()) if set(line) == {"-"}]
    rows = text.splitlines()[rules[1] + 1 : rules[-1]]
    return [r for r in rows if r and not r.startswith(("  ", "-"))]


def _full_scale(scores: Path) -> None:
    """Full-scale-sized numbers (the seed's 500 namespaces): millions of QPS, hundreds of cores."""
    _edit(scores, "cilium", qps=1382399.4, error_rate=5.35e-06, mesh_cores_idle=80.2, mesh_cores_load=760.4,
          mesh_memory_idle_bytes=1.9e12, mesh_memory_load_bytes=2.3e12, latency_s={
              "50": 0.0412, "75": 0.0655, "90": 0.102, "99": 0.275, "99.9": 0.611})  # fmt: skip
    _edit(scores, "istio-ambient", qps=2160000.0, error_rate=0.0005, mesh_cores_idle=112.0, mesh_cores_load=985.0,
          mesh_memory_idle_bytes=2.6e12, mesh_memory_load_bytes=3.1e12, latency_s={
              "50": 0.0301, "75": 0.0488, "90": 0.0803, "99": 0.22, "99.9": 0.498})  # fmt: skip
    _edit(scores, "baseline", qps=3150000.0, error_rate=0.0)


def test_full_scale_numbers_fit_their_columns_without_scientific_notation(
    scores: Path, capsys: pytest.CaptureFixture[str]
):
    _full_scale(scores)
    assert compare([str(scores)]) == 0
    text = capsys.readouterr().out
    rows = _table(text)
    assert [r.split()[0] for r in rows] == ["cilium", "istio-ambient", "baseline"]
    assert all(len(r.split()) == 2 + len(METRICS) + (r.startswith("baseline") and 1) for r in rows), rows
    # every value of a column ends at the same place, under the end of its header
    header = text.splitlines()[3]
    ends = [[m.end() for m in re.finditer(r"[\d%-](?=[* ]|$)", row)][-len(METRICS) :] for row in rows]
    assert ends[0] == ends[1] == ends[2]
    assert all(header[e - 1] != " " for e in ends[0])
    assert "1,382,399 " in text and "2,160,000*" in text
    assert "0.05%" in text and "<0.001%" in text  # a percentage, never 5.35e-04
    assert "760*" in text and "985 " in text  # whole cores from 100 up
    for name in ("scorecard.txt", "scorecard.html", "scorecard.svg"):
        assert not re.search(r"\d[eE][-+]\d", (scores / name).read_text()), name  # 5.35e-04, 1.4e+06


def test_error_rate_is_a_percentage(scores: Path, capsys: pytest.CaptureFixture[str]):
    _edit(scores, "istio-ambient", error_rate=0.0005)
    assert compare([str(scores)]) == 0
    row = next(r for r in _table(capsys.readouterr().out) if r.startswith("istio-ambient"))
    assert " 0.05% " in row
    assert "errors" in (scores / "scorecard.txt").read_text().splitlines()[3]


def test_one_mesh_ranks_nothing(scores: Path, capsys: pytest.CaptureFixture[str]):
    (next(scores.glob("score-istio-ambient-*"))).unlink()
    (next(scores.glob("score-baseline-*"))).unlink()
    assert compare([str(scores)]) == 0
    text = capsys.readouterr().out
    card = build_scorecard(load_scores([scores]))
    assert card.best == (None,) * len(METRICS)
    assert not any(card.is_best(card.rows[0], i) for i in range(len(METRICS)))
    assert "*" not in "".join(_table(text))
    assert "vs best" not in text
    assert "one mesh: nothing is ranked" in text
    assert "class='best'" not in (scores / "scorecard.html").read_text()
    assert json.loads((scores / "scorecard.json").read_text())["best"]["qps"] is None


def test_one_mesh_and_the_baseline_shows_the_overhead_only(scores: Path, capsys: pytest.CaptureFixture[str]):
    (next(scores.glob("score-istio-ambient-*"))).unlink()
    assert compare([str(scores)]) == 0
    text = capsys.readouterr().out
    assert "*" not in "".join(_table(text))
    assert "vs best" not in text
    vs_no_mesh = next(line for line in text.splitlines() if line.startswith("  vs no mesh"))
    assert f"{4750 / 9800:.2f}x" in vs_no_mesh
    data = json.loads((scores / "scorecard.json").read_text())
    cilium = next(r for r in data["rows"] if r["mesh"] == "cilium")
    assert cilium["ratio_to_baseline"]["qps"] == pytest.approx(4750 / 9800)
    assert cilium["ratio_to_best"]["qps"] is None


def test_simulated_reference_says_agreement_is_by_construction(scores: Path, capsys: pytest.CaptureFixture[str]):
    assert compare([str(scores)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "calibrated from these blog figures" in text
    assert "by construction, not a confirmation" in text
    assert text.index("Istio blog (2024) [quoted]") < text.index("by construction")
    assert "by construction, not a confirmation" in (scores / "scorecard.html").read_text()
    assert json.loads((scores / "scorecard.json").read_text())["reference"]["calibration_note"]
    for mesh in ("istio-ambient", "cilium", "baseline"):
        _edit(scores, mesh, simulated=False, cluster_kind="existing")
    assert compare([str(scores)]) == 0
    assert "by construction" not in capsys.readouterr().out  # measured numbers may confirm or refute it
    assert "by construction" not in (scores / "scorecard.html").read_text()


def test_values_equal_at_the_shown_precision_are_a_tie(scores: Path, capsys: pytest.CaptureFixture[str]):
    # a rate-limited run: both meshes reach the requested 300 QPS, give or take a fraction
    _edit(scores, "cilium", qps=300.4)
    _edit(scores, "istio-ambient", qps=299.9)
    assert compare([str(scores)]) == 0
    rows = _table(capsys.readouterr().out)
    assert [r.split()[2] for r in rows[:2]] == ["300*", "300*"]


def test_the_scorecard_says_which_planes_were_real(scores: Path, capsys: pytest.CaptureFixture[str]):
    kwok = "control plane: kube-apiserver v1.37.2 (real), data plane: SIMULATED"
    for mesh in ("cilium", "istio-ambient", "baseline"):
        _edit(scores, mesh, cluster_kind="kwok", planes=kwok)
    assert compare([str(scores)]) == 0
    assert f"cluster kwok ({kwok})" in capsys.readouterr().out
    assert json.loads((scores / "scorecard.json").read_text())["clusters"] == [f"kwok ({kwok})"]
    assert f"cluster kwok ({kwok})" in (scores / "scorecard.html").read_text()
