"""The mesh comparison as the first thing a reviewer sees in the Allure report.

Allure 3 (plugin-awesome 3.18.0) has no place for run-level content on its overview: run-level attachments
sit in a "Global Attachments" tab, the report name is one line, and its "metrics" section sums a metric
across meshes. So `meshscale report` puts the scorecard table (the same HTML as scorecard.html, with its
SIMULATED caption) into the page itself, above Allure's app, as it already post-processes the page to
remove the analytics tag. The rest of the page is left as Allure wrote it.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from .html_scorecard import reference_table, scorecard_summary, scorecard_table
from .scorecard import Scorecard

__all__ = ["FULL_SCORECARD", "PANEL_ID", "add_scorecard", "add_scorecard_file", "scorecard_panel"]

PANEL_ID = "meshscale-scorecard"
FULL_SCORECARD = "scorecard/scorecard.html"  # `meshscale report` copies the scorecard files there
_START, _END = "<!-- meshscale:scorecard -->", "<!-- /meshscale:scorecard -->"
_APP = re.compile(r'^([ \t]*)<div id="app">', re.MULTILINE)
_PREVIOUS = re.compile(re.escape(_START) + r".*?" + re.escape(_END) + r"\n?", re.DOTALL)

# Scoped to the panel: Allure's own stylesheet loads after it and must not restyle it, nor it Allure.
_STYLE = f"""
#{PANEL_ID} {{ font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #22252a;
  background: #fff; border: 1px solid #e1e4ea; border-radius: 12px; max-width: 1320px; margin: 16px auto 0;
  padding: 12px 20px 4px; box-sizing: border-box; }}
#{PANEL_ID} summary {{ cursor: pointer; }}
#{PANEL_ID} h2 {{ display: inline; font-size: 18px; margin: 0; }}
#{PANEL_ID} p {{ margin: 6px 0; }}
#{PANEL_ID} .sim {{ background: #fff3cd; border: 1px solid #e0b100; border-radius: 6px; padding: 4px 10px; }}
#{PANEL_ID} .scroll {{ overflow-x: auto; }}
#{PANEL_ID} table {{ border-collapse: collapse; margin: 8px 0; font-size: 13px; font-variant-numeric: tabular-nums; }}
#{PANEL_ID} caption {{ text-align: left; font-weight: 600; padding-bottom: 4px; }}
#{PANEL_ID} th, #{PANEL_ID} td {{ border: 1px solid #d5d9e0; padding: 3px 8px; text-align: right;
  white-space: nowrap; vertical-align: top; }}
#{PANEL_ID} th:first-child, #{PANEL_ID} td:first-child {{ text-align: left; }}
#{PANEL_ID} th {{ background: #f3f5f8; font-weight: 600; }}
#{PANEL_ID} td.best {{ background: #e3f4e8; font-weight: 700; }}
#{PANEL_ID} .ratio {{ display: block; color: #5c6370; font-size: 11px; font-weight: 400; }}
#{PANEL_ID} tr.reference td, #{PANEL_ID} tr.control td {{ background: #f4f4f4; font-style: italic; }}
#{PANEL_ID} a {{ color: #2f6fde; }}
@media (prefers-color-scheme: dark) {{
  #{PANEL_ID} {{ background: #232326; color: #e5e5e7; border-color: #3a3a3e; }}
  #{PANEL_ID} th, #{PANEL_ID} tr.reference td, #{PANEL_ID} tr.control td {{ background: #2c2c30; }}
  #{PANEL_ID} th, #{PANEL_ID} td {{ border-color: #45454a; }}
  #{PANEL_ID} td.best {{ background: #1f4d2e; }}
  #{PANEL_ID} .sim {{ background: #4a3b00; border-color: #a07f00; }}
  #{PANEL_ID} .ratio {{ color: #a8adb7; }}
}}
"""

# Allure routes by the URL hash (#<test result id>, ...): the panel is open on the overview and folded to
# its one-line title elsewhere, so a test's page is not pushed below the comparison.
_FOLLOW_ROUTE = f"""(function () {{
  var panel = document.querySelector("#{PANEL_ID} > details");
  function follow() {{ panel.open = !location.hash.replace(/^#\\/?/, ""); }}
  ["hashchange", "popstate", "pushState", "replaceState"].forEach(function (e) {{ addEventListener(e, follow); }});
  follow();
}})();"""


def scorecard_panel(card: Scorecard) -> str:
    """The comparison, open: the table first; the quoted reference one click away; the test results below."""
    parts = [
        _START,
        f"<section id='{PANEL_ID}' aria-label='{escape(card.title)}'><style>{_STYLE}</style>",
        f"<details open><summary><h2>{escape(card.title)}</h2></summary>",
        f"<p>{escape(scorecard_summary(card))}</p>",
        f"<div class='scroll'>{scorecard_table(card)}</div>",
        "<details><summary>Reference: the Istio blog's published ratios (quoted, not measured)</summary>",
        f"<div class='scroll'>{reference_table(card)}</div></details>",
        f"<p><a href='{FULL_SCORECARD}'>Scorecard page with the chart</a>. "
        "Test results per mesh (Allure environments) are below.</p>",
        "</details></section>",
        f"<script>{_FOLLOW_ROUTE}</script>",
        _END,
    ]
    return "\n".join(p for p in parts if p) + "\n"


def add_scorecard(page: str, card: Scorecard) -> tuple[str, bool]:
    """The page with the panel just above Allure's app (a previous panel is replaced); False when the
    page has no `<div id="app">` to put it above (then it is returned unchanged)."""
    page = _PREVIOUS.sub("", page)
    match = _APP.search(page)
    if match is None:
        return page, False
    return page[: match.start()] + scorecard_panel(card) + page[match.start() :], True


def add_scorecard_file(page: Path, card: Scorecard) -> bool:
    if not page.is_file():
        return False
    html, added = add_scorecard(page.read_text(encoding="utf-8"), card)
    if added:
        page.write_text(html, encoding="utf-8")
    return added
