"""The scorecard as one self-contained HTML page (table + inline SVG chart); its tables also go on the
Allure report's first screen (first_screen).

Self-contained because it is attached to the Allure report and opened from CI artefacts, offline.
"""

from __future__ import annotations

from html import escape

from .scorecard import CALIBRATION_NOTE, KERNEL_NOTE, METRICS, PRICE_NOTE, REFERENCE, Row, Scorecard
from .scorecard_text import format_ratio, format_value
from .simulated import SIMULATED_MARK, SIMULATED_NOTE
from .svg_scorecard import scorecard_svg

__all__ = ["STYLE", "reference_table", "scorecard_html", "scorecard_summary", "scorecard_table"]

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } .sim { background: #fff3cd; border: 1px solid #e0b100; padding: 8px 12px; }
table { border-collapse: collapse; margin: 12px 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.best { background: #e3f4e8; font-weight: bold; } .ratio { color: #666; font-size: 11px; display: block; }
tr.reference td, tr.control td { background: #f4f4f4; font-style: italic; }
caption { text-align: left; font-weight: bold; }
"""


def _table_mark(card: Scorecard) -> str:
    return f"{SIMULATED_MARK} ({SIMULATED_NOTE})" if card.simulated else "measured"


def _ratio_spans(row: Row, index: int) -> str:
    """Under a mesh's value: its ratio to the best mesh's and to the baseline's, one line each."""
    parts = [
        f"{format_ratio(ratio)} {what}"
        for ratio, what in ((row.ratios[index], "best"), (row.vs_baseline[index], "no mesh"))
        if ratio is not None
    ]
    return "".join(f"<span class='ratio'>{escape(p)}</span>" for p in parts) or "<span class='ratio'></span>"


def _mesh_rows(card: Scorecard) -> list[str]:
    rows = []
    for row in (*card.meshes, *(r for r in card.rows if r.is_baseline)):
        version = "no mesh (the control)" if row.is_baseline else row.loaded.score.mesh_version
        cells = [f"<td>{escape(row.name)}<span class='ratio'>{escape(version)}</span></td>"]
        for i, (metric, value) in enumerate(zip(METRICS, row.values, strict=True)):
            best = " class='best'" if card.is_best(row, i) else ""
            cells.append(f"<td{best}>{escape(format_value(metric, value))}{_ratio_spans(row, i)}</td>")
        rows.append(("<tr class='control'>" if row.is_baseline else "<tr>") + "".join(cells) + "</tr>")
    return rows


def _explained(card: Scorecard) -> str:
    if card.ranked:
        text = "Best mesh per metric in green; under each mesh's value, 'best': value / the best mesh's value"
    else:
        text = "One mesh: nothing is ranked" if card.meshes else "No mesh: nothing is ranked"
    if card.baseline is not None and card.meshes:
        text += "; 'no mesh': value / the baseline's (the no-mesh control, never ranked)"
    costs = "; ".join(card.cost_notes)
    return text + f". CPU and memory: the mesh's own components (user space). {KERNEL_NOTE}. {PRICE_NOTE}: {costs}."


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


def _header() -> str:
    """The text table's short names and units; the full name is the tooltip."""
    return "".join(
        f"<th title='{escape(m.label)} ({escape(m.unit)})'>{escape(m.head[0])}"
        f"<span class='ratio'>{escape(m.head[1])}</span></th>"
        for m in METRICS
    )


def scorecard_table(card: Scorecard) -> str:
    """The comparison itself: one row per mesh, the baseline last; its caption says SIMULATED or measured."""
    return "\n".join(
        [
            f"<table><caption>Scorecard - {escape(_table_mark(card))}</caption>",
            f"<tr><th>mesh</th>{_header()}</tr>",
            *_mesh_rows(card),
            "</table>",
        ]
    )


def reference_table(card: Scorecard) -> str:
    """The blog's quoted ratios next to this run's, and for a simulated run why agreeing proves nothing."""
    pair = f"{REFERENCE.numerator} / {REFERENCE.denominator}"
    parts = [
        f"<table><caption>Reference: ratios {escape(pair)} - {escape(_table_mark(card))} vs quoted</caption>",
        f"<tr><th>source</th>{_header()}</tr>",
        *_reference_rows(card),
        "</table>",
        f"<p><em>{escape(REFERENCE.note)}.</em></p>",
        f"<p class='sim'>{SIMULATED_MARK}: {escape(CALIBRATION_NOTE)}.</p>" if card.simulated else "",
    ]
    return "\n".join(p for p in parts if p)


def scorecard_summary(card: Scorecard) -> str:
    context = f"scale {', '.join(card.scales)}; cluster {', '.join(c or '?' for c in card.clusters)}"
    return f"{context}. {_explained(card)}"


def scorecard_html(card: Scorecard) -> str:
    banner = f"<p class='sim'>{SIMULATED_MARK}: every number on this page is {SIMULATED_NOTE}.</p>"
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{escape(card.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(card.title)}</h1>",
        banner if card.simulated else "",
        f"<p>{escape(scorecard_summary(card))}</p>",
        scorecard_table(card),
        reference_table(card),
        scorecard_svg(card),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
