"""The scorecard as a text table (terminal summary, `meshscale compare`, golden files).

Every column is as wide as its widest cell, numbers are fixed-point with thousands separators (never
scientific notation) and units sit in the header, so a full-scale run (1,382,399 QPS) reads like a smoke one.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

from .scorecard import CALIBRATION_NOTE, KERNEL_NOTE, METRICS, PRICE_NOTE, REFERENCE, Metric, Row, Scorecard
from .simulated import SIMULATED_MARK, SIMULATED_NOTE

__all__ = ["format_number", "format_percent", "format_ratio", "format_value", "scorecard_text"]

GAP = "  "
BEST = "*"
NO_MESH = "(no mesh)"
VS_BEST, VS_BASELINE = "  vs best mesh", "  vs no mesh"


def format_number(value: float | None) -> str:
    """Three significant digits (at most three decimals), whole numbers from 100 up, thousands separators;
    '-' if absent. Never scientific notation: a non-zero value below 0.001 is '<0.001'."""
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) < 0.001:
        return "<0.001" if value > 0 else "-<0.001"
    decimals = min(3, 2 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


def format_percent(value: float | None) -> str:
    """A percentage as people write error rates: 0%, 0.05%, 1.20%; '<0.001%' rather than 5.35e-04."""
    if value is None:
        return "-"
    if value == 0:
        return "0%"
    if value < 0.001:
        return "<0.001%"
    return f"{value:,.{2 if value >= 0.01 else 3}f}%"


def format_value(metric: Metric, value: float | None) -> str:
    return format_percent(value) if metric.unit == "%" else format_number(value)


def format_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:,.2f}x"


def _version(row: Row) -> str:
    """A baseline's version is the Kubernetes build (e.g. v1.31.0-meshscale-sim): it has no mesh to name."""
    return NO_MESH if row.is_baseline else row.loaded.score.mesh_version or "?"


def _blank_or_ratio(ratios: Sequence[float | None]) -> list[str]:
    """An undefined ratio is left blank on a ratio line (e.g. mesh cores over a baseline of zero)."""
    return ["" if r is None else format_ratio(r) for r in ratios]


class _Table:
    """Lines of a lead column (name and version, or a label) followed by one right-aligned cell per metric;
    each cell keeps one character after the number for the best mark, so the digits stay aligned."""

    def __init__(self, card: Scorecard) -> None:
        self.card = card
        self.quoted_label = f"{REFERENCE.label} [quoted]"
        self.run_label = f"this run [{SIMULATED_MARK if card.simulated else 'measured'}]"
        names = [r.name for r in card.rows] + ["mesh"]
        versions = [_version(r) for r in card.rows] + ["version"]
        self.name_w, self.version_w = max(map(len, names)), max(map(len, versions))
        labels = [VS_BEST, VS_BASELINE, self.quoted_label, self.run_label]
        self.lead_w = max(self.name_w + len(GAP) + self.version_w, *map(len, labels))
        self.widths = [self._width(i, m) for i, m in enumerate(METRICS)]

    def _width(self, index: int, metric: Metric) -> int:
        cells = [format_value(metric, r.values[index]) for r in self.card.rows]
        cells += [format_ratio(r) for row in self.card.rows for r in (row.ratios[index], row.vs_baseline[index])]
        if metric.key in REFERENCE.ratios:
            cells.append(format_ratio(REFERENCE.ratios[metric.key]))
            cells.append(format_ratio((self.card.measured_ratios or {}).get(metric.key)))
        return max(len(c) for c in [*metric.head, *cells])

    def line(self, lead: str, cells: Sequence[str], marks: Sequence[str] = ()) -> str:
        marks = list(marks) or [" "] * len(cells)
        body = GAP.join(f"{c:>{w}}{m}" for c, w, m in zip(cells, self.widths, marks, strict=True))
        return f"{lead:<{self.lead_w}}{GAP}{body}".rstrip()

    def mesh_lead(self, row: Row) -> str:
        return f"{row.name:<{self.name_w}}{GAP}{_version(row)}"

    @property
    def rule(self) -> str:
        return "-" * (self.lead_w + sum(w + 1 + len(GAP) for w in self.widths))


def _header(t: _Table) -> list[str]:
    first = f"{'mesh':<{t.name_w}}{GAP}version"
    return [t.line(first, [m.head[0] for m in METRICS]), t.line("", [m.head[1] for m in METRICS])]


def _row_lines(t: _Table, row: Row) -> list[str]:
    card = t.card
    marks = [BEST if card.is_best(row, i) else " " for i in range(len(METRICS))]
    lines = [t.line(t.mesh_lead(row), [format_value(m, v) for m, v in zip(METRICS, row.values, strict=True)], marks)]
    if card.ranked and not row.is_baseline:
        lines.append(t.line(VS_BEST, _blank_or_ratio(row.ratios)))
    if card.baseline is not None and not row.is_baseline:
        lines.append(t.line(VS_BASELINE, _blank_or_ratio(row.vs_baseline)))
    return lines


def _wrap(lines: Sequence[str], width: int) -> list[str]:
    """Notes wrap at the table's width (at least 80 columns); a continued line is indented."""
    wrap = textwrap.TextWrapper(max(width, 80), subsequent_indent="  ", break_on_hyphens=False)
    return [part for line in lines for part in (wrap.wrap(line) or [""])]


def _legend(card: Scorecard) -> list[str]:
    lines = []
    if card.ranked:
        lines.append(f"{BEST} best mesh per metric (ties all marked); 'vs best mesh' = value / the best mesh's value")
    elif card.meshes:
        lines.append("one mesh: nothing is ranked")
    if card.baseline is not None and card.meshes:
        lines.append(
            "'vs no mesh' = value / the baseline's value (the mesh's overhead); the baseline is the no-mesh "
            "control, never ranked"
        )
    lines.append("CPU and memory: the mesh's own components (user space), idle and under load")
    return [*lines, f"{KERNEL_NOTE}; {PRICE_NOTE}", *(f"  {note}" for note in card.cost_notes)]


def _reference_lines(t: _Table) -> list[str]:
    card = t.card
    keys = [m.key for m in METRICS]
    quoted = [format_ratio(REFERENCE.ratios[k]) if k in REFERENCE.ratios else "" for k in keys]
    lines = [f"reference: ratios {REFERENCE.numerator} / {REFERENCE.denominator}", t.line(t.quoted_label, quoted)]
    if card.measured_ratios is not None:
        ours = [format_ratio(card.measured_ratios.get(k)) if k in REFERENCE.ratios else "" for k in keys]
        lines.append(t.line(t.run_label, ours))
    lines.append(f"[quoted] {REFERENCE.note}.")
    if card.simulated:
        lines.append(f"{SIMULATED_MARK}: {CALIBRATION_NOTE}.")
    return lines


def scorecard_text(card: Scorecard) -> str:
    t = _Table(card)
    context = f"scale {', '.join(card.scales)}; cluster {', '.join(c or '?' for c in card.clusters)}"
    table_mark = f"{SIMULATED_MARK} numbers ({SIMULATED_NOTE})" if card.simulated else "measured numbers"
    meshes = [line for row in card.meshes for line in _row_lines(t, row)]
    control = [line for row in card.rows if row.is_baseline for line in _row_lines(t, row)]
    lines = [
        card.title,
        f"{context}; {table_mark}",
        t.rule,
        *_header(t),
        t.rule,
        *meshes,
        *([t.rule] if meshes and control else []),
        *control,
        t.rule,
        *_wrap([*_legend(card), "", *_reference_lines(t)], len(t.rule)),
    ]
    return "\n".join(lines) + "\n"
