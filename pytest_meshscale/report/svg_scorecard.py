"""The scorecard bar chart, as the seed's: QPS, p99 latency, cores, memory and queries per core; then the
kernel-inclusive figures: total cores, queries per total core and dollars per million requests (a price model).

Every bar is "relative to the best mesh, higher is better": lower-is-better metrics are plotted as
best / value (the seed plotted 1/cores for the same reason), and the absolute value is printed on the
bar so nothing is lost by normalising.
"""

from __future__ import annotations

from .scorecard import METRICS, Row, Scorecard
from .scorecard_text import format_value
from .svg_common import Frame, color_for, legend, nice_ticks, svg_document, text

__all__ = ["CHART_METRICS", "relative_score", "scorecard_svg"]

CHART_METRICS = {
    "qps": "QPS",
    "p99_ms": "p99 latency",
    "cores_load": "cores under load",
    "memory_load_gib": "memory under load",
    "queries_per_core": "queries per core",
    "total_cores": "total cores",
    "queries_per_total_core": "q / total core",
    "usd_per_million": "$ / M requests",
}
WIDTH, HEIGHT = 1100, 440  # eight groups of bars, each label ~120 px


def relative_score(card: Scorecard, row: Row, key: str) -> float | None:
    """1.0 for the best mesh (or the lone mesh), above 1 only for the no-mesh baseline; None when it cannot
    be plotted (no value, or a zero such as the baseline's mesh cores)."""
    index = [m.key for m in METRICS].index(key)
    value, reference = row.values[index], card.chart_reference[index]
    if not value or not reference:
        return None
    return value / reference if METRICS[index].higher_is_better else reference / value


def _bar(frame: Frame, x: float, width: float, score: float, top: float, row: Row, key: str, color: str) -> list[str]:
    y = frame.y(score, 0, top)
    metric = next(m for m in METRICS if m.key == key)
    value = format_value(metric, row.values[[m.key for m in METRICS].index(key)])
    tip = f"{row.name}: {metric.label} {value} {metric.unit} (relative score {score:.2f})"
    return [
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{frame.top + frame.height - y:.1f}" '
        f'fill="{color}"><title>{tip}</title></rect>',
        text(x + width / 2, y - 4, value, size=10, anchor="middle"),
    ]


def scorecard_svg(card: Scorecard) -> str:
    frame = Frame(WIDTH, HEIGHT, (60, 30, 80, 70))
    scores = {(r.name, k): relative_score(card, r, k) for r in card.rows for k in CHART_METRICS}
    ticks = nice_ticks(0, max([s for s in scores.values() if s is not None] + [1.0]))
    lone = card.meshes[0].name if len(card.meshes) == 1 else "the mesh"
    yardstick = "the best mesh" if card.ranked else lone
    body = frame.y_grid(ticks, ticks[-1], f"relative to {yardstick} (higher is better)")
    group = frame.width / len(CHART_METRICS)
    bar = (group * 0.8) / max(len(card.rows), 1)
    for g, key in enumerate(CHART_METRICS):
        metric = next(m for m in METRICS if m.key == key)
        x0 = frame.left + g * group + group * 0.1
        for i, row in enumerate(card.rows):
            score = scores[(row.name, key)]
            if score is not None:
                body += _bar(frame, x0 + i * bar, bar * 0.9, score, ticks[-1], row, key, color_for(row.name, i))
        inverted = "" if metric.higher_is_better else " (inverted)"
        body.append(text(x0 + group * 0.4, frame.top + frame.height + 16, CHART_METRICS[key], size=12, anchor="middle"))
        body.append(
            text(
                x0 + group * 0.4,
                frame.top + frame.height + 30,
                f"{metric.unit}{inverted}",
                size=10,
                anchor="middle",
                fill="#666",
            )
        )
    body += [frame.axes()] + legend([r.name for r in card.rows], frame)
    body.append(
        text(
            WIDTH - 10,
            HEIGHT - 8,
            "bars: best / value for lower-is-better metrics; labels: absolute values",
            size=10,
            anchor="end",
            fill="#666",
        )
    )
    return svg_document(WIDTH, HEIGHT, card.title, body)
