"""Suite-wide defaults only; the plugin itself loads through its pytest11 entry point.

`pytester` is wrapped so an in-process inner pytest run never shares Allure's process-wide hook registry
(allure_commons.plugin_manager) with the outer run: with `pytest --alluredir DIR`, the outer AllureListener
would otherwise receive the inner run's fixture and test events (KeyError in allure_commons) and the inner
run's labels. Each inner run gets a fresh registry, and the outer one is back when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

pytest_plugins = ["pytester"]


@contextmanager
def allure_isolated() -> Iterator[None]:
    """A fresh allure_commons hook registry inside the block; the outer one (and its listeners) after it."""
    try:
        from allure_commons._core import MetaPluginManager
    except ImportError:  # allure-pytest not installed: nothing to isolate
        yield
        return
    outer = MetaPluginManager._plugin_manager
    MetaPluginManager._plugin_manager = None  # type: ignore[assignment]  # created again, empty, on first use
    try:
        yield
    finally:
        MetaPluginManager._plugin_manager = outer


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The pytester fixture, with every in-process run (runpytest, runpytest_inprocess, inline_run: they all
    go through inline_run, which configures and unconfigures the inner run) isolated from the outer run's
    Allure listeners. Subprocess runs need nothing: they are another process."""
    inline_run = pytester.inline_run

    def isolated(*args: Any, **kwargs: Any) -> Any:
        with allure_isolated():
            return inline_run(*args, **kwargs)

    monkeypatch.setattr(pytester, "inline_run", isolated)
    return pytester
