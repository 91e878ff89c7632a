"""The performance model (SIMULATED numbers): latency histograms in fortio's format, throughput under
capacity limits, and CPU/memory of mesh components from load and object counts. Parameters and their
sources: fixtures/sim/perf.yaml and each mesh's fixtures/meshes/<mesh>/sim-perf.yaml."""

from .histogram import BUCKET_VALUES, Histogram
from .latency import Latency
from .loadbook import Flow, LoadBook
from .params import DEFAULT_PARAMS_FILE, DIRECT_PATH, Component, PerfParams, PerfParamsError, load_params
from .run import Mix, RunResult, RunSpec, Saturation, plan_rate, simulate_run
from .usage import Counts, usage_of

__all__ = [
    "BUCKET_VALUES",
    "DEFAULT_PARAMS_FILE",
    "DIRECT_PATH",
    "Component",
    "Counts",
    "Flow",
    "Histogram",
    "Latency",
    "LoadBook",
    "Mix",
    "PerfParams",
    "PerfParamsError",
    "RunResult",
    "RunSpec",
    "Saturation",
    "load_params",
    "plan_rate",
    "simulate_run",
    "usage_of",
]
