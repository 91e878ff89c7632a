"""pytest hooks and option declarations only; the logic lives in the modules they call."""

from __future__ import annotations

import json
from typing import Any

import pytest

from . import options, report_hooks, session
from .session import SETTINGS, STATE

pytest_plugins = ["pytest_meshscale.fixtures"]

MARKERS = (
    "mesh_requires(*features): skip unless the mesh under test has every feature "
    "(e.g. l7-policy, wireguard, mtls, fips); the skip message says which is missing",
    "scale_tier(*names): run only at these scales (smoke, pr, full); deselected otherwise",
    "meshscale_last: run after every other test (cross-mesh checks read what the others recorded)",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    settings = options.resolve_settings(config)
    config.stash[SETTINGS] = settings
    config.stash[STATE] = session.new_state(config, settings)
    config.pluginmanager.register(LastOrdering(), "meshscale-ordering")
    if config.pluginmanager.hasplugin("xdist"):
        # Tests of one mesh share its fleet and policies: keep each mesh on one worker.
        if getattr(config.option, "dist", "no") == "load":
            config.option.dist = "loadgroup"
            config.option.loadgroup = True  # what xdist workers read to suffix node ids with the group
        config.pluginmanager.register(XdistHooks(), "meshscale-xdist")


def pytest_unconfigure(config: pytest.Config) -> None:
    if STATE in config.stash:
        config.stash[STATE].close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return options.header_lines(config.stash[SETTINGS]) + [f"meshscale: run id {config.stash[STATE].run_id}"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "mesh_name" in metafunc.fixturenames:
        meshes = metafunc.config.stash[SETTINGS].meshes
        metafunc.parametrize("mesh_name", meshes, indirect=True, scope="session", ids=list(meshes))


@pytest.hookimpl(tryfirst=True)  # before xdist turns xdist_group markers into node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    scale = config.stash[SETTINGS].scale
    kept, dropped = [], []
    for item in items:
        tier = item.get_closest_marker("scale_tier")
        (dropped if tier and scale not in tier.args else kept).append(item)
        mesh = getattr(item, "callspec", None) and item.callspec.params.get("mesh_name")
        if mesh:  # one xdist group per mesh: a mesh's fleet and policies are never shared between workers
            item.add_marker(pytest.mark.xdist_group(f"mesh-{mesh}"))
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    state = config.stash[STATE]
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand what it learned to the controller
        workeroutput[session.WORKER_KEY] = state.export()
        return
    alluredir = getattr(config.option, "allure_report_dir", None)
    if alluredir and state.meshes:
        report_hooks.write_allure_run_files(alluredir, state)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    text = report_hooks.scorecard_text(config.stash[STATE].run_dir)
    if text:
        terminalreporter.write_sep("=", "meshscale scorecard")
        for line in text.splitlines():
            terminalreporter.write_line(line)


class LastOrdering:
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """After pytest grouped the tests by mesh, move cross-mesh checks to the very end."""
        items.sort(key=lambda item: item.get_closest_marker("meshscale_last") is not None)


class XdistHooks:
    """Registered only when pytest-xdist is installed (its hooks are unknown to pytest otherwise)."""

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[session.WORKER_KEY] = node.config.stash[STATE].worker_input()

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        exported = getattr(node, "workeroutput", {}).get(session.WORKER_KEY)
        if exported:
            node.config.stash[STATE].merge(json.loads(exported))
