"""The scorecard as one self-contained HTML page (table + inline SVG chart), and as JSON.

Self-contained because it is attached to the Allure report and opened from CI artefacts, offline.
"""

from __future__ import annotations

from html import escape
from typing import Any

from .scorecard import METRICS, REFERENCE, Scorecard
from .scorecard_text import format_number, format_ratio
from .simulated import SIMULATED_MARK, SIMULATED_NOTE
from .svg_scorecard import scorecard_svg

__all__ = ["SCORECARD_SCHEMA", "scorecard_html", "scorecard_json"]

SCORECARD_SCHEMA = "meshscale.scorecard/v1"
STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } .sim { background: #fff3cd; border: 1px solid #e0b100; padding: 8px 12px; }
table { border-collapse: collapse; margin: 12px 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.best { background: #e3f4e8; font-weight: bold; } .ratio { color: #666; font-size: 11px; display: block; }
tr.reference td { background: #f4f4f4; font-style: italic; } caption { text-align: left; font-weight: bold; }
"""


def _table_mark(card: Scorecard) -> str:
    return f"{SIMULATED_MARK} ({SIMULATED_NOTE})" if card.simulated else "measured"


def _mesh_rows(card: Scorecard) -> list[str]:
    rows = []
    for row in card.rows:
        cells = [f"<td>{escape(row.name)}<span class='ratio'>{escape(row.loaded.score.mesh_version)}</span></td>"]
        for i, (value, ratio) in enumerate(zip(row.values, row.ratios, strict=True)):
            best = " class='best'" if card.is_best(row, i) else ""
            ratio_text = "" if ratio is None else format_ratio(ratio) + " of best"
            cells.append(f"<td{best}>{format_number(value)}<span class='ratio'>{ratio_text}</span></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return rows


def _reference_rows(card: Scorecard) -> list[str]:
    keys = [m.key for m in METRICS]
    sources = [(f"{REFERENCE.label}: quoted, not measured", REFERENCE.ratios)]
    if card.measured_ratios is not None:
        sources.append((f"this run: {_table_mark(card)}", card.measured_ratios))
    return [
        "<tr class='reference'><td>"
        + escape(label)
        + "</td>"
        + "".join(f"<td>{format_ratio(ratios[k]) if k in ratios else ''}</td>" for k in keys)
        + "</tr>"
        for label, ratios in sources
    ]


def scorecard_html(card: Scorecard) -> str:
    header = "".join(f"<th>{escape(m.label)}<span class='ratio'>{escape(m.unit)}</span></th>" for m in METRICS)
    banner = f"<p class='sim'>{SIMULATED_MARK}: every number on this page is {SIMULATED_NOTE}.</p>"
    context = f"scale {', '.join(card.scales)}; cluster {', '.join(c or '?' for c in card.clusters)}"
    pair = f"{REFERENCE.numerator} / {REFERENCE.denominator}"
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{escape(card.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(card.title)}</h1>",
        banner if card.simulated else "",
        f"<p>{escape(context)}. Best mesh per metric in green; each cell shows value / best value.</p>",
        f"<table><caption>Scorecard - {escape(_table_mark(card))}</caption>",
        f"<tr><th>mesh</th>{header}</tr>",
        *_mesh_rows(card),
        "</table>",
        f"<table><caption>Reference: ratios {escape(pair)} - {escape(_table_mark(card))} vs quoted</caption>",
        f"<tr><th>source</th>{header}</tr>",
        *_reference_rows(card),
        "</table>",
        f"<p><em>{escape(REFERENCE.note)}.</em></p>",
        scorecard_svg(card),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def scorecard_json(card: Scorecard) -> dict[str, Any]:
    return {
        "schema": SCORECARD_SCHEMA,
        "title": card.title,
        "simulated": card.simulated,
        "scales": list(card.scales),
        "clusters": list(card.clusters),
        "metrics": [
            {"key": m.key, "label": m.label, "unit": m.unit, "higher_is_better": m.higher_is_better} for m in METRICS
        ],
        "best": {m.key: best for m, best in zip(METRICS, card.best, strict=True)},
        "rows": [
            {
                "name": r.name,
                "mesh": r.loaded.score.mesh,
                "mesh_version": r.loaded.score.mesh_version,
                "run_id": r.loaded.score.run_id,
                "simulated": r.loaded.score.simulated,
                "source": str(r.loaded.path),
                "values": {m.key: v for m, v in zip(METRICS, r.values, strict=True)},
                "ratio_to_best": {m.key: q for m, q in zip(METRICS, r.ratios, strict=True)},
            }
            for r in card.rows
        ],
        "reference": {
            "label": REFERENCE.label,
            "note": REFERENCE.note,
            "quoted": True,
            "pair": [REFERENCE.numerator, REFERENCE.denominator],
            "ratios": REFERENCE.ratios,
            "this_run": card.measured_ratios,
        },
    }
