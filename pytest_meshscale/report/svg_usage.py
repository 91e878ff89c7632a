"""CPU and memory of each mesh component over the run, as two stacked line charts in one SVG.

Input: per component, samples (t_s since the run started, cores, memory bytes), as the metrics module
reads them (cAdvisor rates on a real cluster, the model on the sim). Phases (idle, churn, load) are
drawn as shaded bands so a reader sees which window each number of the scorecard came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .svg_common import Frame, chart_title, color_for, legend, nice_ticks, svg_document, text, time_axis

__all__ = ["Sample", "usage_svg"]

Sample = tuple[float, float, float]  # (t_s, cores, memory_bytes)
WIDTH, PANEL = 760, 300
MIB = 1024.0 * 1024.0


def usage_svg(
    samples: Mapping[str, Sequence[Sample]],
    title: str,
    simulated: bool,
    phases: Sequence[tuple[str, float, float]] = (),
) -> str:
    """Top panel: cores per component; bottom panel: working-set memory (MiB) per component."""
    times = [s[0] for series in samples.values() for s in series] or [0.0, 1.0]
    span = (min(times), max(max(times), min(times) + 1.0))
    cpu, _ = _panel(samples, 1, 1.0, "cores", span, phases, offset=0)
    mem, frame = _panel(samples, 2, MIB, "memory (MiB)", span, phases, offset=PANEL)
    body = cpu + mem + legend(list(samples), frame)
    return svg_document(WIDTH, 2 * PANEL + 20, chart_title(title, simulated), body)


def _panel(
    samples: Mapping[str, Sequence[Sample]],
    column: int,
    unit: float,
    label: str,
    span: tuple[float, float],
    phases: Sequence[tuple[str, float, float]],
    offset: int,
) -> tuple[list[str], Frame]:
    frame = Frame(WIDTH, PANEL)
    frame.top, frame.height = 50 + offset, PANEL - 90  # two panels share one document
    values = [s[column] / unit for series in samples.values() for s in series] or [1.0]
    ticks = nice_ticks(0, max(values))
    body = _phase_bands(frame, span, phases) + frame.y_grid(ticks, ticks[-1], label)
    for index, (name, series) in enumerate(samples.items()):
        coords = [(frame.x(s[0], *span), frame.y(s[column] / unit, 0, ticks[-1])) for s in series]
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
        if path:
            body.append(
                f'<path d="{path}" fill="none" stroke="{color_for(name, index)}" stroke-width="2">'
                f"<title>{name}</title></path>"
            )
    return body + time_axis(frame, span) + [frame.axes()], frame


def _phase_bands(frame: Frame, span: tuple[float, float], phases: Sequence[tuple[str, float, float]]) -> list[str]:
    shades = ("#f3f6fa", "#fdf3e6", "#eef8f1")
    parts = []
    for index, (name, start, end) in enumerate(phases):
        x0, x1 = frame.x(max(start, span[0]), *span), frame.x(min(end, span[1]), *span)
        parts.append(
            f'<rect x="{x0:.1f}" y="{frame.top}" width="{max(x1 - x0, 0):.1f}" height="{frame.height}" '
            f'fill="{shades[index % len(shades)]}"/>'
        )
        parts.append(text(x0 + 4, frame.top + 12, name, size=10, fill="#666"))
    return parts
