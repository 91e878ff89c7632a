"""The collector settings of the processes that hold a cluster in memory (sim/heap.py)."""

from __future__ import annotations

import gc

from pytest_meshscale.sim.heap import THRESHOLDS, tune_gc


def test_tune_gc_collects_less_often_and_freezes_the_start_up_objects() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == THRESHOLDS and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
