"""The controllers' timing parameters, read from fixtures/sim/controllers.yaml (sources are in that file)."""

from __future__ import annotations

import random
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from ...data import data_path

__all__ = ["TIMING_FILE", "Timing", "load_timing"]

TIMING_FILE = data_path("sim", "controllers.yaml")


@dataclass(frozen=True, slots=True)
class Timing:
    pod_ready_delay_s: float = 0.2
    pod_ready_jitter_s: float = 0.1
    job_start_delay_s: float = 0.1
    status_coalesce_s: float = 0.1
    endpoints_coalesce_s: float = 0.1
    workers: int = 2
    slow_ready_s: float = 0.0  # from the slow-ready fault, not from the file

    def ready_delay(self, rng: random.Random) -> float:
        jitter = rng.uniform(-self.pod_ready_jitter_s, self.pod_ready_jitter_s)
        return max(0.0, self.pod_ready_delay_s + jitter) + self.slow_ready_s


def load_timing(path: Path = TIMING_FILE, slow_ready_s: float = 0.0) -> Timing:
    """Timing from the YAML file (defaults when it is absent); a bad key or value names itself."""
    data = yaml.safe_load(path.read_text()) if path.is_file() else {}
    known = {f.name for f in fields(Timing)} - {"slow_ready_s"}
    values: dict[str, float | int] = {}
    for key, value in (data or {}).items():
        if key not in known:
            raise ValueError(f"{path}: unknown key {key!r}; accepted: {', '.join(sorted(known))}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{path}: {key} must be a number >= 0, got {value!r}")
        values[key] = int(value) if key == "workers" else float(value)
    return Timing(**values, slow_ready_s=slow_ready_s)  # type: ignore[arg-type]
