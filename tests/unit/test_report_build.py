"""`meshscale report` end to end with the pinned Allure 3 (skipped when `npm ci` was not run), and its
one-line answers when Node or the results are missing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_report_allure import FACTS, _run_two_meshes
from test_report_api_pressure_files import _result

from pytest_meshscale.report import allure_cli
from pytest_meshscale.report.allure_cli import AllureMissing, find_allure
from pytest_meshscale.report.build_command import main as build
from pytest_meshscale.report.build_command import report_name
from pytest_meshscale.report.run_files import write_run_files

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")
SCORES = Path(__file__).parent / "golden" / "scores"


def _allure_or_skip() -> None:
    try:
        find_allure()
    except AllureMissing as exc:
        pytest.skip(f"Allure 3 not available ({exc})")


@pytest.fixture
def results(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    alluredir = _run_two_meshes(pytester, monkeypatch)
    write_run_files(alluredir, FACTS, environ={})
    shutil.copytree(SCORES, pytester.path / "meshscale-results")
    return pytester.path


def test_report_has_one_environment_per_mesh_and_the_scorecard(results: Path, capsys: pytest.CaptureFixture[str]):
    _allure_or_skip()
    before = sorted(p.name for p in (results / "allure-results").iterdir())
    pressure = results / "meshscale-results" / "api-pressure-cilium-pr-run1.json"
    pressure.write_text(json.dumps(_result("cilium", 0.05).to_dict()))
    out, history = results / "report", results / "history.jsonl"
    args = [str(results / "allure-results"), str(results / "meshscale-results"), "-o", str(out)]
    assert build([*args, "--history", str(history)]) == 0
    printed = capsys.readouterr().out
    assert printed.index("Mesh scorecard - SIMULATED") < printed.index("API pressure during churn")
    assert (out / "scorecard" / "api-pressure.txt").is_file()
    assert (out / "scorecard" / "api-pressure-over-time.svg").is_file()
    assert (out / "index.html").is_file()
    page = (out / "index.html").read_text()
    assert "googletagmanager" not in page  # no third-party request
    assert (out / "scorecard" / "scorecard.html").is_file()
    # the comparison is the first screen: the scorecard table, SIMULATED, above Allure's app
    assert page.count("<section id='meshscale-scorecard'") == 1
    assert page.index("<caption>Scorecard - SIMULATED") < page.index('<div id="app">')
    envs = {e["id"]: e["name"] for e in json.loads((out / "widgets" / "environments.json").read_text())}
    assert envs["cilium"] == "cilium (SIMULATED)"
    assert envs["istio-ambient"] == "istio-ambient (SIMULATED)"
    by_id = json.loads((out / "test-results.json").read_text())["byId"].values()
    assert sorted(r["environment"] for r in by_id) == [envs["cilium"]] * 3 + [envs["istio-ambient"]] * 3
    assert json.loads((out / "summary.json").read_text())["name"] == "pytest-meshscale - SIMULATED"
    attached = json.loads((out / "widgets" / "globals.json").read_text())["attachments"]
    assert {"Scorecard (all meshes)", "API pressure (all meshes)", "API pressure over time"} <= {
        a["name"] for a in attached}
    env_rows = {e["name"]: e["values"] for e in json.loads((out / "widgets" / "allure_environment.json").read_text())}
    assert env_rows["mesh.cilium.version"] == ["1.16.3"]
    assert env_rows["simulated"] == ["true"]
    assert sorted(p.name for p in (results / "allure-results").iterdir()) == before  # inputs untouched

    assert build([*args, "--history", str(history), "--single-file", "--name", "nightly"]) == 0
    assert len(history.read_text().splitlines()) == 2
    assert not (out / "data").exists() or (out / "index.html").stat().st_size > 1_000_000
    assert (out / "index.html").read_text().count("<section id='meshscale-scorecard'") == 1  # single file too


def test_without_node_one_line_and_results_kept(results: Path, monkeypatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("PATH", str(results / "empty-bin"))
    assert build([str(results / "allure-results"), "-o", str(results / "report")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no `node` on PATH" in err
    assert "npm ci" in err
    assert "Node >= 20" in err
    assert not (results / "report").exists()
    assert any((results / "allure-results").glob("*-result.json"))


def test_no_results_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert build([str(tmp_path), "-o", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no Allure results" in err
    assert "--alluredir" in err


def test_report_name_marks_simulation_once():
    assert report_name("nightly", True) == "nightly - SIMULATED"
    assert report_name("nightly SIMULATED", True) == "nightly SIMULATED"
    assert report_name("nightly", False) == "nightly"


def test_refuses_to_replace_a_folder_that_is_not_a_report(results: Path, capsys: pytest.CaptureFixture[str]):
    _allure_or_skip()
    precious = results / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    assert build([str(results / "allure-results"), "-o", str(precious)]) == 2
    assert "is not a previous report" in capsys.readouterr().err
    assert (precious / "notes.txt").read_text() == "keep me"


def test_missing_allure_package_names_npm_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if shutil.which("node") is None:
        pytest.skip("no node on PATH: the no-node message is tested above")
    (tmp_path / "package.json").write_text("{}")
    monkeypatch.setattr(allure_cli, "_roots", lambda starts: [tmp_path])
    with pytest.raises(AllureMissing, match=rf"npm package `allure` is not installed.*`npm ci` in {tmp_path}"):
        find_allure(tmp_path)
