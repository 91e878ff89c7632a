"""SVG building blocks shared by the charts: a document frame, text, axes ticks and a palette.

Pure string building (no matplotlib): the charts must render in an offline Allure report and in CI
without a plotting stack, and a text diff of a golden SVG is readable.
"""

from __future__ import annotations

import math
from html import escape

from ..meshes import mesh_colour
from .simulated import mark_title as chart_title

__all__ = [
    "chart_title",
    "PALETTE",
    "Frame",
    "color_for",
    "legend",
    "nice_ticks",
    "svg_document",
    "text",
    "time_axis",
]

# Colour-blind-safe (Okabe-Ito); meshes keep one colour across every chart of a report.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def color_for(name: str, index: int) -> str:
    """The mesh's own colour (its driver's), else one from the palette by position."""
    return mesh_colour(name) or PALETTE[index % len(PALETTE)]


def text(x: float, y: float, body: str, size: int = 12, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>{escape(body)}</text>'


def svg_document(width: int, height: int, title: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">'
    )
    parts = [
        head,
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    parts.append(text(width / 2, 24, title, size=15, anchor="middle", font_weight="bold"))
    return "\n".join(parts + body + ["</svg>", ""])


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1-2-5 steps), so axes read like a person drew them."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    return [round(first + i * step, 12) for i in range(int(math.ceil((high - first) / step)) + 1)]


class Frame:
    """The plotting rectangle inside margins, with linear or log10 scales for x and y."""

    def __init__(self, width: int, height: int, margin: tuple[int, int, int, int] = (50, 30, 60, 70)) -> None:
        top, right, bottom, left = margin
        self.left, self.top = left, top
        self.width, self.height = width - left - right, height - top - bottom

    def x(self, value: float, low: float, high: float, log: bool = False) -> float:
        return self.left + self.width * _fraction(value, low, high, log)

    def y(self, value: float, low: float, high: float) -> float:
        return self.top + self.height * (1 - _fraction(value, low, high, False))

    def axes(self) -> str:
        bottom, right = self.top + self.height, self.left + self.width
        path = f"M{self.left},{self.top} V{bottom} H{right}"
        return f'<path d="{path}" fill="none" stroke="#333" stroke-width="1"/>'

    def y_grid(self, ticks: list[float], high: float, label: str) -> list[str]:
        parts = []
        for tick in ticks:
            ypos = self.y(tick, ticks[0], high)
            parts.append(
                f'<line x1="{self.left}" y1="{ypos:.1f}" x2="{self.left + self.width}" y2="{ypos:.1f}" stroke="#ddd"/>'
            )
            parts.append(text(self.left - 6, ypos + 4, f"{tick:g}", size=11, anchor="end"))
        mid = self.top + self.height / 2
        parts.append(text(16, mid, label, size=12, anchor="middle", transform=f"rotate(-90 16 {mid:.1f})"))
        return parts


def time_axis(frame: Frame, span: tuple[float, float], label: str = "time since start (s)") -> list[str]:
    """Tick labels under the x-axis of a chart over time, and the axis' name at its right end."""
    parts = [
        text(frame.x(tick, *span), frame.top + frame.height + 14, f"{tick:g}", size=10, anchor="middle")
        for tick in nice_ticks(*span)
        if span[0] <= tick <= span[1]
    ]
    parts.append(text(frame.left + frame.width, frame.top + frame.height + 28, label, size=11, anchor="end"))
    return parts


def _fraction(value: float, low: float, high: float, log: bool) -> float:
    if log:
        value, low, high = (math.log10(max(v, 1e-12)) for v in (value, low, high))
    return 0.0 if high == low else (value - low) / (high - low)


def legend(names: list[str], frame: Frame) -> list[str]:
    """Colour keys in one row under the x-axis label."""
    parts, x = [], float(frame.left)
    y = frame.top + frame.height + 52
    for index, name in enumerate(names):
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{color_for(name, index)}"/>')
        parts.append(text(x + 16, y, name, size=12))
        x += 30 + 7 * len(name)
    return parts
