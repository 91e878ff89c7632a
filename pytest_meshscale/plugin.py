"""pytest hooks and option declarations only; the logic lives in the modules they call."""

from __future__ import annotations

import json
from typing import Any

import pytest

from . import options, progress, run_state
from .cluster.base import ClusterError
from .console import TerminalProgress
from .interrupts import Interrupts
from .provision import dry_run, mesh_setup
from .provision.tools import check_kind_tools
from .report import run_record
from .run_state import CONSOLE, INTERRUPTS, SETTINGS, STATE, WORKER_KEY

pytest_plugins = ["pytest_meshscale.plugin_fixtures"]

MARKERS = (
    "mesh_requires(*features): skip unless the mesh under test has every feature "
    "(e.g. l7-policy, wireguard, mtls, fips); the skip message says which is missing",
    "scale_tier(*names): run only at these scales (smoke, pr, full); deselected otherwise",
    "meshscale_last: run after every other test (cross-mesh checks read what the others recorded)",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """--mesh-dry-run: print every step for the chosen cluster and meshes, run nothing, exit 0."""
    if not options.dry_run_requested(config):
        return None
    print(dry_run.render(options.resolve_settings(config)), end="")
    return 0


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    settings = options.resolve_settings(config)
    config.stash[SETTINGS] = settings
    try:
        state = run_state.new_state(config, settings)
    except OSError as exc:  # the results folder could not be made (a path the checks could not foresee)
        raise pytest.UsageError(f"--mesh-results-dir: cannot create {settings.results_dir}: {exc.strerror}") from None
    config.stash[STATE] = state
    config.stash[CONSOLE] = progress.sink(TerminalProgress(config))
    config.stash[CONSOLE].__enter__()
    config.stash[INTERRUPTS] = Interrupts(state.left_behind)
    config.stash[INTERRUPTS].install()
    config.pluginmanager.register(LastOrdering(), "meshscale-ordering")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(), "meshscale-xdist")


def pytest_unconfigure(config: pytest.Config) -> None:
    if STATE in config.stash:
        with config.stash[INTERRUPTS].shielded():
            config.stash[STATE].close()
        config.stash[INTERRUPTS].uninstall()
        config.stash[CONSOLE].__exit__(None, None, None)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return options.header_lines(config.stash[SETTINGS]) + [f"meshscale: run id {config.stash[STATE].run_id}"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "mesh_name" in metafunc.fixturenames:
        meshes = metafunc.config.stash[SETTINGS].meshes
        metafunc.parametrize("mesh_name", meshes, indirect=True, scope="session", ids=list(meshes))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    scale = config.stash[SETTINGS].scale
    kept, dropped = [], []
    for item in items:
        tier = item.get_closest_marker("scale_tier")
        (dropped if tier and scale not in tier.args else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionstart(session: pytest.Session) -> None:
    # An xdist controller collects nothing: prepare before xdist's own sessionstart (trylast) starts workers.
    if session.config.pluginmanager.has_plugin("dsession") and session.config.stash[SETTINGS].cluster != "sim":
        _prepare_real_clusters(session.config)


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if not hasattr(config, "workerinput") and mesh_setup.prepare_early(
            config.stash[SETTINGS], session.items, config.option.collectonly):
        _prepare_real_clusters(config)


def _prepare_real_clusters(config: pytest.Config) -> None:
    """A kind or existing cluster is prepared (preflight, kind, mesh install) before the first test, so a
    refusal is one line rather than an error per test."""
    settings = config.stash[SETTINGS]
    with config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():  # live progress
        try:
            if settings.cluster == "kind":  # every tool checked before minutes of cluster creation
                check_kind_tools(settings.tools, settings.install, settings.meshes)
            config.stash[STATE].start_clusters_for_workers()
        except ClusterError as exc:
            raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> Any:
    """Around pytest's own session teardown: no signal cuts it short, and a signal means "interrupted".
    Then what the run learned goes to the controller (xdist worker) or the Allure run files. Innermost
    wrapper: xdist's own wrappers send a worker's output, and gather the workers', around this one."""
    config = session.config
    config.stash[INTERRUPTS].enter_final_teardown()
    result = yield
    if config.stash[INTERRUPTS].interrupted:
        session.exitstatus = pytest.ExitCode.INTERRUPTED
    record_session(config)
    return result


def record_session(config: Any) -> None:
    state = config.stash[STATE]
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand what it learned to the controller
        workeroutput[WORKER_KEY] = state.export()
        return
    alluredir = getattr(config.option, "allure_report_dir", None)
    if alluredir and state.meshes:
        run_record.write_allure_run_files(alluredir, state)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    text = run_record.scorecard_text(config.stash[STATE].run_dir)
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

    @pytest.hookimpl(tryfirst=True)  # firstresult: before xdist's own LoadScheduling
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """Tests of one mesh share its fleet and policies: one worker per mesh, cross-mesh checks last.
        Used for the default `-n N` distribution (load); an explicit other --dist is respected."""
        if config.getoption("dist") not in ("load", "loadgroup"):
            return None
        from .xdist_scheduling import MeshScheduling

        return MeshScheduling(config, config.stash[STATE].xdist_groups_file(), log)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        groups_file = config.stash[STATE].groups_file
        if hasattr(config, "workerinput") and groups_file is not None:
            from .xdist_scheduling import write_groups

            write_groups(groups_file, items)

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_KEY] = node.config.stash[STATE].worker_input()

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        exported = getattr(node, "workeroutput", {}).get(WORKER_KEY)
        if exported:
            node.config.stash[STATE].merge(json.loads(exported))
