"""The scorecard as a fixed-width text table (terminal summary, `meshscale compare`, golden files)."""

from __future__ import annotations

from .scorecard import METRICS, REFERENCE, Scorecard
from .simulated import SIMULATED_MARK, SIMULATED_NOTE

__all__ = ["format_number", "format_ratio", "scorecard_text"]

NAME_WIDTH, CELL = 26, 9


def format_number(value: float | None) -> str:
    """Three significant digits for small values, thousands separators for large ones; '-' if absent."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if value == 0:
        return "0"
    return f"{value:.3g}" if abs(value) >= 0.001 else f"{value:.2e}"


def format_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def _line(name: str, cells: list[str]) -> str:
    return f"{name:<{NAME_WIDTH}}" + "".join(f"{c:>{CELL}}" for c in cells)


def _version_label(version: str) -> str:
    """The name cell of a ratio line: a long version is shortened, never the "vs best" that says what the
    ratios on the line are (a baseline's version is the Kubernetes build, e.g. v1.31.0-meshscale-sim)."""
    room = NAME_WIDTH - len("  ") - len(" vs best") - 1  # one blank before the first cell
    if len(version) > room:
        version = version[: room - 1] + "~"
    return f"  {version} vs best" if version else "  vs best"


def _header() -> list[str]:
    return [_line("mesh", [m.head[0] for m in METRICS]), _line("", [m.head[1] for m in METRICS])]


def _rows(card: Scorecard) -> list[str]:
    lines = []
    for row in card.rows:
        score = row.loaded.score
        marks = ["*" if card.is_best(row, i) else "" for i in range(len(METRICS))]
        lines.append(_line(row.name, [format_number(v) + m for v, m in zip(row.values, marks, strict=True)]))
        lines.append(_line(_version_label(score.mesh_version), [format_ratio(r) for r in row.ratios]))
    return lines


def _reference_lines(card: Scorecard) -> list[str]:
    keys = [m.key for m in METRICS]
    pair = f"({REFERENCE.numerator} / {REFERENCE.denominator})"
    quoted = [format_ratio(REFERENCE.ratios[k]) if k in REFERENCE.ratios else "" for k in keys]
    lines = [f"reference {pair}:", _line(f"{REFERENCE.label} [quoted]", quoted)]
    if card.measured_ratios is not None:
        mark = SIMULATED_MARK if card.simulated else "measured"
        lines.append(
            _line(
                f"this run [{mark}]",
                [format_ratio(card.measured_ratios.get(k)) if k in REFERENCE.ratios else "" for k in keys],
            )
        )
    return lines + [f"[quoted] {REFERENCE.note}."]


def scorecard_text(card: Scorecard) -> str:
    context = f"scale {', '.join(card.scales)}; cluster {', '.join(c or '?' for c in card.clusters)}"
    table_mark = f"{SIMULATED_MARK} numbers ({SIMULATED_NOTE})" if card.simulated else "measured numbers"
    rule = "-" * (NAME_WIDTH + CELL * len(METRICS))
    lines = [
        card.title,
        context,
        rule,
        f"{table_mark}; * = best mesh; 'vs best' = value / best value",
        *_header(),
        rule,
        *_rows(card),
        rule,
        *_reference_lines(card),
    ]
    return "\n".join(lines) + "\n"
