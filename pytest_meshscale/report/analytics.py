"""Removes the Google Analytics tag that Allure 3 writes into every report page.

plugin-awesome 3.18.0 renders its index.html with `analyticsEnable: true` hard-coded (no option turns it
off): whoever opens the report online sends the report's id and Allure version to googletagmanager.com.
A mesh report carries an organisation's cluster facts and is opened from CI artefacts, so meshscale's
reports make no third-party request; the rest of the page is left byte for byte as Allure wrote it.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["strip_analytics", "strip_analytics_file"]

# The loader tag, then the inline script that configures gtag (dataLayer ... gtag('config', ...)).
_TAG = re.compile(
    r"[ \t]*<script async src=\"https://www\.googletagmanager\.com/gtag/js\?[^\"]*\"></script>\s*"
    r"(?:<script>\s*window\.dataLayer\b(?:(?!</script>).)*</script>[ \t]*\n?)?",
    re.DOTALL,
)


def strip_analytics(html: str) -> tuple[str, int]:
    """The page without the analytics tags, and how many were removed."""
    return _TAG.subn("", html)


def strip_analytics_file(page: Path) -> int:
    if not page.is_file():
        return 0
    html, removed = strip_analytics(page.read_text(encoding="utf-8"))
    if removed:
        page.write_text(html, encoding="utf-8")
    return removed
