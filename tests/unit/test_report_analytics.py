"""The report page makes no third-party request: Allure 3's hard-coded Google Analytics tag is removed."""

from __future__ import annotations

from pathlib import Path

from pytest_meshscale.report.analytics import strip_analytics, strip_analytics_file

# As plugin-awesome 3.18.0 writes it (dist/generators.js template, analyticsEnable: true).
PAGE = """<body>
    <script   src="app-b3323b2606f19801ef1b.js"></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
        gtag('config', 'G-LNDJ3J7WT0', {
          "report": "awesome",
          "reportUuid": "cc689dbd-d798-4843-8844-02558e2d5175",
        });
    </script>
    <script async>
        window.allureReportDataReady = true;
    </script>
</body>
"""


def test_tag_and_config_removed_everything_else_kept():
    html, removed = strip_analytics(PAGE)
    assert removed == 1
    assert "googletagmanager" not in html
    assert "gtag" not in html
    assert "reportUuid" not in html
    assert '<script   src="app-b3323b2606f19801ef1b.js"></script>' in html
    assert "window.allureReportDataReady = true;" in html


def test_page_without_the_tag_is_untouched(tmp_path: Path):
    page = tmp_path / "index.html"
    clean = PAGE.split('    <script async src="https://www.google')[0] + "</body>\n"
    page.write_text(clean)
    assert strip_analytics_file(page) == 0
    assert page.read_text() == clean
    assert strip_analytics_file(tmp_path / "missing.html") == 0
