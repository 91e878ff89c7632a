"""Latency charts from fortio-format histograms: the bucket histogram (log x) and the percentile curve.

Input is fortio's own `DurationHistogram` shape ({"Data": [{"Start", "End", "Count"}], "Percentiles":
[{"Percentile", "Value"}]}), seconds, one per series (usually one per mesh), so the charts read the same
JSON the load clients wrote and the merged histogram the plugin computed, with no conversion layer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .svg_common import Frame, chart_title, color_for, legend, nice_ticks, svg_document, text

__all__ = ["latency_histogram_svg", "percentile_chart_svg"]

Histogram = Mapping[str, Any]
WIDTH, HEIGHT = 760, 400


def _buckets(histogram: Histogram) -> list[tuple[float, float, float]]:
    """(start_s, end_s, percent of requests); a zero-width last bucket gets a sliver so it stays visible."""
    data = histogram.get("Data") or []
    total = sum(float(b["Count"]) for b in data) or 1.0
    return [
        (float(b["Start"]), max(float(b["End"]), float(b["Start"]) * 1.02), 100.0 * float(b["Count"]) / total)
        for b in data
    ]


def _percentiles(histogram: Histogram) -> list[tuple[float, float]]:
    return [(float(p["Percentile"]), float(p["Value"])) for p in histogram.get("Percentiles") or []]


def latency_histogram_svg(histograms: Mapping[str, Histogram], title: str, simulated: bool) -> str:
    """One outlined bucket series per name, log-scaled x in ms, y = share of requests in the bucket."""
    series = {name: _buckets(h) for name, h in histograms.items()}
    edges = [edge for buckets in series.values() for b in buckets for edge in b[:2] if edge > 0]
    low, high = (min(edges), max(edges)) if edges else (1e-4, 1.0)
    low, high = 10 ** math.floor(math.log10(low)), 10 ** math.ceil(math.log10(high))
    top = max((b[2] for buckets in series.values() for b in buckets), default=1.0)
    frame = Frame(WIDTH, HEIGHT)
    ticks = nice_ticks(0, top)
    body = frame.y_grid(ticks, ticks[-1], "% of requests in bucket")
    for index, (name, buckets) in enumerate(series.items()):
        color = color_for(name, index)
        for start, end, share in buckets:
            x0, x1 = frame.x(start, low, high, log=True), frame.x(end, low, high, log=True)
            y = frame.y(share, 0, ticks[-1])
            body.append(
                f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0, 1):.1f}" '
                f'height="{frame.top + frame.height - y:.1f}" fill="{color}" fill-opacity="0.35" '
                f'stroke="{color}"><title>{name}: {start * 1e3:.3g}-{end * 1e3:.3g} ms: '
                f"{share:.2f}%</title></rect>"
            )
    body += _log_x_axis(frame, low, high) + [frame.axes()] + legend(list(series), frame)
    return svg_document(WIDTH, HEIGHT, chart_title(title, simulated), body)


def _log_x_axis(frame: Frame, low: float, high: float) -> list[str]:
    parts, decade = [], low
    while decade <= high * 1.0001:
        x = frame.x(decade, low, high, log=True)
        parts.append(
            f'<line x1="{x:.1f}" y1="{frame.top}" x2="{x:.1f}" y2="{frame.top + frame.height}" stroke="#eee"/>'
        )
        parts.append(text(x, frame.top + frame.height + 16, f"{decade * 1e3:g}", size=11, anchor="middle"))
        decade *= 10
    parts.append(
        text(
            frame.left + frame.width / 2,
            frame.top + frame.height + 36,
            "latency (ms, log scale)",
            anchor="middle",
        )
    )
    return parts


def _nines(percentile: float) -> float:
    """Position on a "nines" axis: p50 -> 0.3, p90 -> 1, p99 -> 2, p99.9 -> 3 (tails get the room)."""
    return -math.log10(max(1 - percentile / 100.0, 1e-6))


def percentile_chart_svg(histograms: Mapping[str, Histogram], title: str, simulated: bool) -> str:
    """Latency (ms) at each reported percentile, one line per series, x spaced by nines."""
    series = {name: _percentiles(h) for name, h in histograms.items()}
    points = [p for pts in series.values() for p in pts]
    top_ms = max((v * 1e3 for _, v in points), default=1.0)
    xs = sorted({p for p, _ in points}) or [50.0]
    low_x, high_x = _nines(min(xs)) - 0.2, _nines(max(xs)) + 0.2
    frame = Frame(WIDTH, HEIGHT)
    ticks = nice_ticks(0, top_ms)
    body = frame.y_grid(ticks, ticks[-1], "latency (ms)")
    for pct in xs:
        x = frame.x(_nines(pct), low_x, high_x)
        body.append(text(x, frame.top + frame.height + 16, f"p{pct:g}", size=11, anchor="middle"))
    for index, (name, pts) in enumerate(series.items()):
        coords = [(frame.x(_nines(p), low_x, high_x), frame.y(v * 1e3, 0, ticks[-1]), p, v) for p, v in pts]
        color = color_for(name, index)
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _, _) in enumerate(coords))
        body.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y, p, v in coords:
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}">'
                f"<title>{name} p{p:g}: {v * 1e3:.3f} ms</title></circle>"
            )
            body.append(text(x + 6, y - 6, f"{v * 1e3:.3g}", size=10, fill=color))
    body.append(text(frame.left + frame.width / 2, frame.top + frame.height + 36, "percentile", anchor="middle"))
    body += [frame.axes()] + legend(list(series), frame)
    return svg_document(WIDTH, HEIGHT, chart_title(title, simulated), body)
