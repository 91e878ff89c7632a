"""pytest hooks and option declarations only; the logic lives in the modules they call."""

from __future__ import annotations

import pytest

from . import options

SETTINGS = pytest.StashKey[options.Settings]()

MARKERS = (
    "mesh_requires(*features): skip unless the mesh under test has every feature "
    "(e.g. l7-policy, wireguard, mtls, fips); the skip message says which is missing",
    "scale_tier(*names): run only at these scales (smoke, pr, full); deselected otherwise",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    config.stash[SETTINGS] = options.resolve_settings(config)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return options.header_lines(config.stash[SETTINGS])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    scale = config.stash[SETTINGS].scale
    kept, dropped = [], []
    for item in items:
        tier = item.get_closest_marker("scale_tier")
        (dropped if tier and scale not in tier.args else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
