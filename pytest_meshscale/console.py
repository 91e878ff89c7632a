"""Progress lines on the terminal during a run, past pytest's output capture (no -s needed): the sink
that `progress.say` writes to while pytest runs. Under xdist a worker has no terminal of its own; its
lines go to stderr, which xdist shows with the worker's output."""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest

__all__ = ["TerminalProgress"]


class TerminalProgress:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def __call__(self, line: str) -> None:
        reporter: Any = self.config.pluginmanager.get_plugin("terminalreporter")
        capture: Any = self.config.pluginmanager.get_plugin("capturemanager")
        stamped = f"{time.strftime('%H:%M:%S')} {line}"
        if reporter is None or capture is None or hasattr(self.config, "workerinput"):
            print(stamped, file=sys.stderr, flush=True)
            return
        with capture.global_and_fixture_disabled():
            if reporter._tw.width_of_current_line:  # after a row of test dots: start a line of our own
                reporter._tw.line()
            reporter.write_line(stamped)
