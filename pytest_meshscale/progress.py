"""Where progress lines go, so a long run is never silent: every layer says what it waits for through
`say`, and the pytest face points the sink at the terminal reporter (past pytest's output capture).
Stdlib only; any layer may import it. Without a face (scripts, the sim) lines go to stderr."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["INTERVAL_S", "every", "say", "sink", "waiting"]

INTERVAL_S = 10.0  # at most this long without a line during a long wait


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


_sink: list[Callable[[str], None]] = [_stderr]


def say(line: str) -> None:
    """One progress line, prefixed `meshscale: ` unless it already is."""
    _sink[-1](line if line.startswith("meshscale") else f"meshscale: {line}")


@contextmanager
def sink(write: Callable[[str], None]) -> Iterator[None]:
    """Send progress lines to `write` inside the block (the face's terminal writer)."""
    _sink.append(write)
    try:
        yield
    finally:
        _sink.remove(write)


def every(interval_s: float = INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> Callable[[str, bool], None]:
    """A throttled `say`: a line at most every `interval_s`, and always the last one (`final=True`)."""
    last = [float("-inf")]

    def report(line: str, final: bool = False) -> None:
        if final or clock() - last[0] >= interval_s:
            last[0] = clock()
            say(line)

    return report


def waiting(what: str, seconds: float, sleep: Callable[[float], None] = time.sleep,
            clock: Callable[[], float] = time.monotonic) -> None:
    """Sleep `seconds`, saying so at least every INTERVAL_S (a 2-minute load is 12 lines, not silence)."""
    end = clock() + seconds
    while (left := end - clock()) > 0:
        say(f"{what}: {seconds - left:.0f}/{seconds:.0f} s")
        sleep(min(INTERVAL_S, left))
    say(f"{what}: done ({seconds:.0f} s)")
