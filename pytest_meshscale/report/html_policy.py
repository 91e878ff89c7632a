"""The policy verdict matrix as an HTML attachment: expected vs actual for every probe, mismatches red.

A probe's verdict is a short string such as "allow", "deny: http 403", "deny: connection refused",
"deny: reset" or "deny: timeout"; *how* a request was denied is part of the verdict, because an L7 rule
that surfaces as an L4 drop is a finding too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from ..model.policy_matrix import Matrix, Observation
from .simulated import SIMULATED_MARK, SIMULATED_NOTE, mark_title

__all__ = ["PolicyCell", "policy_cells", "policy_matrix_html"]

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 16px; color: #222; }
table { border-collapse: collapse; font-size: 13px; margin-bottom: 18px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
td.ok { background: #e3f4e8; } td.bad { background: #fbe3e4; font-weight: bold; }
.sim { background: #fff3cd; border: 1px solid #e0b100; padding: 6px 10px; } small { color: #666; }
"""


@dataclass(frozen=True, slots=True)
class PolicyCell:
    """One probe: `source` calls `destination` with `request` (e.g. "GET /admin" or "tcp/8080")."""

    source: str
    destination: str
    request: str
    expected: str
    actual: str
    detail: str = ""  # what was observed, e.g. "HTTP 403 RBAC: access denied" or "connect: connection refused"

    @property
    def matches(self) -> bool:
        return self.expected.strip().lower() == self.actual.strip().lower()


def policy_cells(matrix: Matrix, observed: Mapping[str, Observation]) -> list[PolicyCell]:
    """The model's expected matrix + what each probe saw, keyed like `Matrix.cells()`."""
    cells = []
    for request, expected in zip(matrix.requests, matrix.expected, strict=True):
        seen = observed.get(str(request))
        cells.append(PolicyCell(
            source=str(request.source), destination=f"{request.destination}:{request.port}",
            request=f"{request.method} {request.path}", expected=expected.value,
            actual=seen.verdict.value if seen else "not probed", detail=seen.detail if seen else "",
        ))  # fmt: skip
    return cells


def _grid(cells: Sequence[PolicyCell]) -> list[str]:
    """Sources x (destination, request): each cell says expected -> actual, so one glance shows the gaps."""
    sources = list(dict.fromkeys(c.source for c in cells))
    targets = list(dict.fromkeys((c.destination, c.request) for c in cells))
    index = {(c.source, c.destination, c.request): c for c in cells}
    head = "".join(f"<th>{escape(d)}<br><small>{escape(r)}</small></th>" for d, r in targets)
    rows = [f"<table><tr><th>from \\ to</th>{head}</tr>"]
    for source in sources:
        tds = []
        for dest, request in targets:
            cell = index.get((source, dest, request))
            if cell is None:
                tds.append("<td></td>")
                continue
            shown = (
                escape(cell.actual)
                if cell.matches
                else f"{escape(cell.actual)}<br><small>expected {escape(cell.expected)}</small>"
            )
            tds.append(f"<td class='{'ok' if cell.matches else 'bad'}' title='{escape(cell.detail)}'>{shown}</td>")
        rows.append(f"<tr><th>{escape(source)}</th>{''.join(tds)}</tr>")
    return rows + ["</table>"]


def _details(cells: Sequence[PolicyCell]) -> list[str]:
    rows = ["<table><tr><th>from</th><th>to</th><th>request</th><th>expected</th><th>actual</th><th>observed</th></tr>"]
    for c in sorted(cells, key=lambda c: c.matches):  # mismatches first
        css = "ok" if c.matches else "bad"
        rows.append(
            f"<tr><td>{escape(c.source)}</td><td>{escape(c.destination)}</td><td>{escape(c.request)}</td>"
            f"<td>{escape(c.expected)}</td><td class='{css}'>{escape(c.actual)}</td>"
            f"<td>{escape(c.detail)}</td></tr>"
        )
    return rows + ["</table>"]


def policy_matrix_html(cells: Sequence[PolicyCell], title: str, simulated: bool) -> str:
    full_title = mark_title(title, simulated)
    wrong = sum(not c.matches for c in cells)
    summary = f"{len(cells) - wrong} of {len(cells)} probes as expected; {wrong} differ (red)."
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(full_title)}</title>",
        f"<style>{STYLE}</style></head><body><h2>{escape(full_title)}</h2>",
        f"<p class='sim'>{SIMULATED_MARK}: verdicts from the simulated data plane ({SIMULATED_NOTE}).</p>"
        if simulated
        else "",
        f"<p>{escape(summary)}</p>",
        *_grid(cells),
        "<h3>Every probe (differences first)</h3>",
        *_details(cells),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
