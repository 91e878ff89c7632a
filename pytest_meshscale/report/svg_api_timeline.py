"""The API-pressure window over time, one line per mesh: requests/s (top) and the p99 of single-object calls in ms
(bottom, with ClusterLoader2's 1 s SLO when the scale reaches it), churn events as ticks on both time axes (short:
rescale, tall: relabel). Only scraped intervals are drawn: an interval without a p99 breaks the line, nothing is
interpolated across it."""

from __future__ import annotations

from collections.abc import Sequence

from ..model.api_pressure import SINGLE_S
from ..model.api_timeline import ApiTimeline
from ..scenario.api_pressure import PressureResult
from .simulated import SIMULATED_MARK
from .svg_common import Frame, chart_title, color_for, legend, nice_ticks, svg_document, text, time_axis

__all__ = ["NO_HISTOGRAMS", "api_timeline_svg"]

WIDTH, PANEL = 760, 300
NO_HISTOGRAMS = "no latency histograms on this backend"
Series = list[tuple[float, float | None]]


def api_timeline_svg(results: Sequence[PressureResult]) -> str | None:
    """None when no result has a timeline (older results, or the window was not measured)."""
    runs = {r.mesh: r.timeline for r in results if r.timeline is not None}
    if not runs:
        return None
    ends = [p.t_s for t in runs.values() for p in t.points] + [m.t_s for t in runs.values() for m in t.marks]
    span = (0.0, max([*ends, 1.0]))
    rates = {mesh: [(p.t_s, p.requests_per_s) for p in t.points] for mesh, t in runs.items()}
    p99s = {mesh: [(p.t_s, p.p99_s * 1000 if p.p99_s is not None else None) for p in t.points]
            for mesh, t in runs.items()}
    top, _ = _panel(rates, "requests/s (all verbs)", 0, span, runs, None)
    bottom, frame = _panel(p99s, "p99 ms, single-object calls", PANEL, span, runs, SINGLE_S * 1000)
    body = top + bottom + _latency_note(runs, frame) + legend(list(runs), frame) + _footer(runs, frame)
    if any(r.cluster_kind == "kwok" for r in results):
        body.append(text(WIDTH / 2, 40, "kube-apiserver and etcd are REAL (kwok): figures from their own /metrics",
                         size=11, anchor="middle", fill="#444"))
    return svg_document(WIDTH, 2 * PANEL + 40, _title(results), body)


def _title(results: Sequence[PressureResult]) -> str:
    """As the pressure table says it: the sim is SIMULATED throughout; on kwok only the API server is real."""
    kinds = ", ".join(sorted({r.cluster_kind for r in results}))
    title = f"API server during churn ({kinds})"
    if any(r.cluster_kind == "sim" or r.missing for r in results):
        return chart_title(title, True)
    if any(r.emulated is not None for r in results):
        return f"{title} - mesh clients EMULATED, data plane {SIMULATED_MARK}"  # fits the width; REAL: subtitle
    return title


def _panel(series: dict[str, Series], label: str, offset: int, span: tuple[float, float],
           runs: dict[str, ApiTimeline], slo: float | None) -> tuple[list[str], Frame]:
    frame = Frame(WIDTH, PANEL)
    frame.top, frame.height = 50 + offset, PANEL - 90  # two panels share one document
    values = [v for points in series.values() for _, v in points if v is not None]
    ticks = nice_ticks(0, max(values, default=1.0))
    body = frame.y_grid(ticks, ticks[-1], label)
    if slo is not None and values:  # no p99 at all (the sim): no scale to place the SLO on
        body += _slo_line(frame, slo, ticks[-1])
    for index, (mesh, points) in enumerate(series.items()):
        body.append(_lines(frame, mesh, index, points, span, ticks[-1]))
        body += _churn_ticks(frame, mesh, index, runs[mesh], span)
    return body + time_axis(frame, span, "seconds since the window started") + [frame.axes()], frame


def _lines(frame: Frame, mesh: str, index: int, points: Series, span: tuple[float, float], high: float) -> str:
    colour, runs, run = color_for(mesh, index), [], []
    for t, v in [*points, (0.0, None)]:  # the sentinel closes the last run
        if v is not None:
            run.append((frame.x(t, *span), frame.y(v, 0, high)))
        elif run:
            runs.append(run)
            run = []
    parts = [f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in r)}" fill="none" stroke="{colour}" '
             f'stroke-width="2"/>' for r in runs]
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>' for r in runs for x, y in r]
    return f'<g class="series" data-mesh="{mesh}"><title>{mesh}</title>{"".join(parts)}</g>'


def _churn_ticks(frame: Frame, mesh: str, index: int, timeline: ApiTimeline, span: tuple[float, float]) -> list[str]:
    bottom, colour = frame.top + frame.height, color_for(mesh, index)
    parts = []
    for m in timeline.marks:
        x, tall = frame.x(m.t_s, *span), 14 if m.action == "relabel" else 6
        dash = "" if m.ok else ' stroke-dasharray="2,2"'  # a churn call the API server refused
        parts.append(f'<line class="churn-mark" data-action="{m.action}" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" '
                     f'y2="{bottom - tall}" stroke="{colour}" stroke-width="1"{dash}/>')
    return parts


def _slo_line(frame: Frame, slo: float, high: float) -> list[str]:
    if slo > high:  # off the scale: said, not drawn, so the measured lines keep their resolution
        return [text(frame.left + frame.width, frame.top - 4, f"SLO {slo / 1000:g} s: above the scale", size=10,
                     anchor="end", fill="#b00")]
    y = frame.y(slo, 0, high)
    return [f'<line class="slo" x1="{frame.left}" y1="{y:.1f}" x2="{frame.left + frame.width}" y2="{y:.1f}" '
            f'stroke="#b00" stroke-dasharray="6,4"/>',
            text(frame.left + frame.width - 4, y - 4, f"SLO {slo / 1000:g} s (ClusterLoader2, single object)",
                 size=10, anchor="end", fill="#b00")]


def _latency_note(runs: dict[str, ApiTimeline], frame: Frame) -> list[str]:
    lacking = [mesh for mesh, t in runs.items() if not t.latency_histograms]
    if not lacking:
        return []
    note = NO_HISTOGRAMS if len(lacking) == len(runs) else f"{', '.join(lacking)}: {NO_HISTOGRAMS}"
    return [text(frame.left + frame.width / 2, frame.top + frame.height / 2, note, size=13, anchor="middle",
                 fill="#666")]


def _footer(runs: dict[str, ApiTimeline], frame: Frame) -> list[str]:
    failed = {m: f" ({len(t.errors)} failed)" if t.errors else "" for m, t in runs.items()}
    scrapes = ", ".join(f"{m} {t.scrapes}{failed[m]}" for m, t in runs.items())
    line = f"ticks: churn (short rescale, tall relabel, dashed refused); scrapes of /metrics: {scrapes}"
    return [text(frame.left, frame.top + frame.height + 70, line, size=10, fill="#444")]
