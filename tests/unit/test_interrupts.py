"""Interrupts with real signals sent to this process: outside a teardown the first signal stops the run
(KeyboardInterrupt); inside one it is recorded, the teardown finishes, and the run stops right after."""

from __future__ import annotations

import os
import signal
import time

import pytest

from pytest_meshscale import progress
from pytest_meshscale.interrupts import Interrupts


@pytest.fixture
def interrupts() -> Interrupts:
    handler = Interrupts(lambda: "nothing left")
    handler.install()
    yield handler
    handler.uninstall()


def _signal_self(sig: signal.Signals) -> None:
    os.kill(os.getpid(), sig)
    time.sleep(0.05)  # the handler runs between bytecodes of this thread


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_first_signal_stops_the_run(interrupts: Interrupts, sig: signal.Signals) -> None:
    with pytest.raises(KeyboardInterrupt):
        _signal_self(sig)
    assert interrupts.received == sig.name


def test_a_signal_inside_a_teardown_lets_it_finish_then_stops(interrupts: Interrupts) -> None:
    said: list[str] = []
    steps = []

    def teardown() -> None:
        with interrupts.shielded():
            steps.append("deleting")
            _signal_self(signal.SIGINT)
            steps.append("deleted")  # reached: the signal did not cut the teardown short

    with progress.sink(said.append), pytest.raises(KeyboardInterrupt):
        teardown()
    assert steps == ["deleting", "deleted"]
    assert interrupts.interrupted
    assert any("finishing the teardown in progress" in line for line in said)


def test_in_the_final_teardown_a_signal_only_marks_the_run_interrupted(interrupts: Interrupts) -> None:
    interrupts.enter_final_teardown()
    with interrupts.shielded():
        _signal_self(signal.SIGTERM)
    assert interrupts.received == "SIGTERM"
