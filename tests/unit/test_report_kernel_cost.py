"""The scorecard's kernel-inclusive columns in text, HTML, SVG and JSON: attributed against the same run's
baseline, against a named baseline Score (`meshscale compare --baseline-score`), or said to be unattributed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_meshscale.report.compare_command import main as compare

SCORES = Path(__file__).parent / "golden" / "scores"
PRICE = {"usd_per_core_hour": 0.0565, "price_note": "price model: UNVERIFIED test price"}


def _edit(folder: Path, mesh: str, **changes: object) -> None:
    path = next(folder.glob(f"score-{mesh}-*.json"))
    path.write_text(json.dumps(json.loads(path.read_text()) | changes), encoding="utf-8")


@pytest.fixture
def scores(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    shutil.copytree(SCORES, folder)
    _edit(folder, "baseline", unaccounted_cores_idle=0.2, unaccounted_cores_load=1.18, **PRICE)  # 9,800 qps
    _edit(folder, "cilium", unaccounted_cores_idle=0.2, unaccounted_cores_load=1.5, **PRICE)  # 4,750 qps
    _edit(folder, "istio-ambient", unaccounted_cores_idle=0.2, unaccounted_cores_load=1.0, **PRICE)  # 7,180 qps
    return folder


def _row(card: dict, mesh: str) -> dict:
    return next(r for r in card["rows"] if r["mesh"] == mesh)


def test_all_four_outputs_show_kernel_total_queries_per_total_core_and_dollars(scores: Path, capsys) -> None:
    out = scores / "out"
    assert compare([str(scores), "-o", str(out)]) == 0
    card = json.loads((out / "scorecard.json").read_text())
    cilium = _row(card, "cilium")["values"]
    # 1.5 - (0.2 + 0.98 x 4750 / 9800) = 0.825 kernel cores; + 2.62 user cores
    assert cilium["kernel_cores"] == pytest.approx(1.5 - (0.2 + 0.98 * 4750 / 9800), rel=1e-3)
    assert cilium["total_cores"] == pytest.approx(cilium["cores_load"] + cilium["kernel_cores"])
    assert cilium["queries_per_total_core"] == pytest.approx(4750 / cilium["total_cores"], rel=1e-2)
    assert cilium["usd_per_million"] == pytest.approx(cilium["total_cores"] * 0.0565 / (4750 * 3600) * 1e6,
                                                      rel=1e-2)
    assert _row(card, "baseline")["values"]["kernel_cores"] == 0
    assert _row(card, "cilium")["kernel_note"] == "against baseline (same run)"
    text = (out / "scorecard.txt").read_text()
    assert "kernel" in text and "$/M req" in text and "/total core" in text and "price model" in text
    html = (out / "scorecard.html").read_text()
    assert "kernel cores attributed to the mesh" in html and "USD per million requests (price model)" in html
    svg = (out / "scorecard.svg").read_text()
    assert "total cores" in svg and "q / total core" in svg and "$ / M requests" in svg


def test_without_a_baseline_kernel_cost_is_not_attributed(scores: Path, capsys) -> None:
    next(scores.glob("score-baseline-*.json")).unlink()
    assert compare([str(scores), "-o", str(scores / "out")]) == 0
    card = json.loads((scores / "out" / "scorecard.json").read_text())
    assert _row(card, "cilium")["values"]["kernel_cores"] is None
    assert _row(card, "cilium")["values"]["usd_per_million"] is None
    assert _row(card, "cilium")["kernel_note"] == "no baseline: kernel cost not attributed"
    assert "cilium: no baseline: kernel cost not attributed" in capsys.readouterr().out


def test_a_named_baseline_score_from_another_run(scores: Path, tmp_path: Path, capsys) -> None:
    other = tmp_path / "other-run"
    other.mkdir()
    moved = next(scores.glob("score-baseline-*.json"))
    named = other / moved.name
    moved.rename(named)
    assert compare([str(scores), "-o", str(scores / "out"), "--baseline-score", str(named)]) == 0
    card = json.loads((scores / "out" / "scorecard.json").read_text())
    assert _row(card, "istio-ambient")["kernel_note"] == f"against baseline ({named})"
    assert _row(card, "istio-ambient")["values"]["kernel_cores"] == pytest.approx(
        1.0 - (0.2 + 0.98 * 7180 / 9800), rel=1e-3)
