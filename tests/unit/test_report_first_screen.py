"""The Allure report opens on the mesh comparison: the scorecard panel sits above Allure's app."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pytest_meshscale.report.first_screen import FULL_SCORECARD, PANEL_ID, add_scorecard, add_scorecard_file
from pytest_meshscale.report.score_source import load_scores
from pytest_meshscale.report.scorecard import build_scorecard

SCORES = Path(__file__).parent / "golden" / "scores"
# The body of the page plugin-awesome 3.18.0 writes (dist/generators.js template), shortened.
PAGE = """<!DOCTYPE html>
<html dir="ltr" lang="en">
<head><title> pytest-meshscale - SIMULATED </title></head>
<body>
    <div id="allure-app-loader" class="allure-app-loader" role="status"></div>

    <div id="app"></div>
    <script   src="app-b3323b2606f19801ef1b.js"></script>
</body>
</html>
"""


def _card(tmp_path: Path | None = None, **changes: object):
    if tmp_path is None:
        return build_scorecard(load_scores([SCORES]))
    folder = tmp_path / "scores"
    shutil.copytree(SCORES, folder)
    for path in folder.glob("score-*.json"):
        path.write_text(json.dumps(json.loads(path.read_text()) | changes))
    return build_scorecard(load_scores([folder]))


def test_the_scorecard_table_comes_before_the_app():
    page, added = add_scorecard(PAGE, _card())
    assert added
    panel = page[: page.index('<div id="app">')]
    assert f"<section id='{PANEL_ID}'" in panel
    assert "<details open>" in panel  # open on the overview, not a collapsed attachment
    assert "<h2>Mesh scorecard - SIMULATED (model output, not measured)</h2>" in panel
    assert "<caption>Scorecard - SIMULATED (model output, not measured)</caption>" in panel
    assert panel.index("<caption>Scorecard") < panel.index("Reference:")  # the comparison first
    assert ">7,180<" in panel and ">baseline<" in panel
    assert f"href='{FULL_SCORECARD}'" in panel
    assert page.endswith(PAGE[PAGE.index('    <div id="app">') :])  # Allure's page is kept as written


def test_measured_numbers_are_not_marked_simulated(tmp_path: Path):
    page, _ = add_scorecard(PAGE, _card(tmp_path, simulated=False, cluster_kind="existing"))
    assert "SIMULATED" not in page.split("<title>")[1].split('<div id="app">')[0].split("</head>")[1]
    assert "<caption>Scorecard - measured</caption>" in page


def test_building_twice_keeps_one_panel_and_a_page_without_app_is_untouched(tmp_path: Path):
    once, _ = add_scorecard(PAGE, _card())
    twice, added = add_scorecard(once, _card())
    assert added
    assert twice == once
    other = "<html><body><main></main></body></html>"
    assert add_scorecard(other, _card()) == (other, False)
    page = tmp_path / "index.html"
    page.write_text(PAGE)
    assert add_scorecard_file(page, _card())
    assert page.read_text() == once
    assert not add_scorecard_file(tmp_path / "missing.html", _card())


def test_the_panel_folds_away_on_a_test_page():
    page, _ = add_scorecard(PAGE, _card())
    script = page.split("<script>")[1].split("</script>")[0]
    assert f'document.querySelector("#{PANEL_ID} > details")' in script
    assert 'panel.open = !location.hash.replace(/^#\\/?/, "")' in script  # Allure routes by the URL hash
    assert '"pushState"' in script  # Allure's router dispatches it after history.pushState
