"""The garbage collector's settings for the processes that hold a cluster in memory (the sim's API server with its
Store, the agent with its Mirror): at full scale they hold millions of small dicts and lists, all acyclic JSON.

With CPython's default thresholds (700, 10, 10) a collection runs every 700 allocations and a full one each
time the long-lived objects grow by a quarter, so the thread that happens to allocate (the agent decoding a
watch event, a controller creating a pod) walks the whole heap again and again and finds nothing to free.
Measured with benchmarks/sim_scale.py --scale full (the sim with its agent, watches already sent in chunks):
time to Available 24.8 / 25.1 s with the defaults, 20.8 s with the collector off, 19.4-19.9 s (3 runs) with
these thresholds, peak RSS 0.81 GiB in every case. Cycles are still collected, only less often.

    tune_gc()   # once, at start-up, before the cluster is built
"""

from __future__ import annotations

import gc

__all__ = ["THRESHOLDS", "tune_gc"]

# young collection every 100,000 allocations; middle every 50 of those; a full one after 100 middle ones
THRESHOLDS = (100_000, 50, 100)


def tune_gc() -> None:
    """Move what start-up made (modules, classes) out of the collector's view and collect far less often."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
