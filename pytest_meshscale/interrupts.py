"""SIGINT and SIGTERM at any point of a run (Ctrl-C, a CI timeout): teardown still runs, once.

The first signal outside a teardown stops the tests the way Ctrl-C does (KeyboardInterrupt), so pytest
tears its fixtures down and deletes what the run created; inside a teardown it is only recorded, so the
teardown finishes (bounded by its own timeout) and the run then stops. Either way the exit status is
pytest's "interrupted" (2). A second signal exits at once and says what may be left and how to remove it.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from . import progress

__all__ = ["EXIT_INTERRUPTED", "Interrupts"]

EXIT_INTERRUPTED = 2  # pytest.ExitCode.INTERRUPTED
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    def __init__(self, left_behind: Callable[[], str]) -> None:
        self.left_behind = left_behind  # one line: what a second signal may leave, and how to remove it
        self.received: str | None = None
        self._shields = 0
        self._pending = False  # a signal arrived inside a teardown: stop once the teardown is done
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread (embedded pytest runs)
        for sig in SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        """Give the signals back. A top-level run (no handler of an outer pytest to restore) is past its
        teardown by now: a late Ctrl-C is then ignored rather than a traceback from pytest's exit path."""
        for sig, previous in self._previous.items():
            outermost = previous in (signal.default_int_handler, signal.SIG_DFL)
            signal.signal(sig, signal.SIG_IGN if outermost else previous)
        self._previous.clear()

    @property
    def interrupted(self) -> bool:
        return self.received is not None

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """A teardown: a first signal inside does not cut it short; the run stops right after it."""
        self._shields += 1
        try:
            yield
        finally:
            self._shields -= 1
        if self._pending and not self._shields:
            self._pending = False
            raise KeyboardInterrupt(f"{self.received}: stopping after teardown")

    def enter_final_teardown(self) -> None:
        """From session end on, every teardown is shielded and nothing is raised any more."""
        self._shields += 1

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.received is not None:
            progress.say(f"second signal ({name}): exiting now without finishing teardown; "
                         f"{self.left_behind()}")
            os._exit(EXIT_INTERRUPTED)
        self.received = name
        if self._shields:
            self._pending = True
            progress.say(f"{name}: finishing the teardown in progress, then stopping "
                         "(send it again to exit at once)")
            return
        progress.say(f"{name}: stopping the tests; deleting what this run created "
                     "(send it again to exit at once)")
        raise KeyboardInterrupt(name)
