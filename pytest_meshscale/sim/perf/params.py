"""The performance model's parameters, read from fixtures/sim/perf.yaml (each one carries its source there)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ...data import data_path
from .latency import Latency

__all__ = ["DEFAULT_PARAMS_FILE", "PARAMS_ENV", "Component", "PerfParams", "PerfParamsError", "load_params"]

PARAMS_ENV = "MESHSCALE_SIM_PERF"  # another perf.yaml (e.g. when the package is installed without fixtures/)
DEFAULT_PARAMS_FILE = data_path("sim", "perf.yaml")
PATHS = ("baseline", "ambient-l4", "ambient-l7", "cilium-l4", "cilium-l7")
COEFFICIENTS = (
    "idle_cores",
    "cores_per_kqps",
    "cores_per_write_per_s",
    "cores_per_kpod",
    "idle_bytes",
    "bytes_per_pod",
    "bytes_per_service",
    "bytes_per_policy",
    "bytes_per_kqps",
)


class PerfParamsError(ValueError):
    """perf.yaml is missing a field or has a bad value; the message names it."""


@dataclass(frozen=True, slots=True)
class Component:
    """A mesh or app container: how to recognise it and its linear usage coefficients."""

    name: str
    label: str = ""  # "key=value" or "key" (presence) on the pod
    container: str = ""
    coef: Mapping[str, float] = field(default_factory=dict)

    def matches(self, labels: Mapping[str, str]) -> bool:
        key, _, value = self.label.partition("=")
        return bool(key) and key in labels and (not value or labels[key] == value)


@dataclass(frozen=True, slots=True)
class PerfParams:
    paths: Mapping[str, Latency]
    deny: Mapping[str, float]
    app_qps_per_pod: float
    qps_per_server_core: Mapping[str, float]
    client_core_qps: float
    churn_latency_per_write: float
    pod_latency_per_10k: float
    components: tuple[Component, ...]
    apps: Mapping[str, Component]


def _num(data: Mapping[str, Any], key: str, where: str) -> float:
    value = data.get(key)
    if not isinstance(value, int | float) or value < 0:
        raise PerfParamsError(f"{where}.{key}: expected a number >= 0, got {value!r}")
    return float(value)


def _latency(name: str, d: Mapping[str, Any]) -> Latency:
    where = f"paths.{name}"
    return Latency(
        _num(d, "median_s", where),
        _num(d, "sigma", where),
        _num(d, "tail_share", where),
        _num(d, "tail_multiple", where),
        _num(d, "tail_sigma", where),
    )


def _component(name: str, d: Mapping[str, Any]) -> Component:
    match = d.get("match") or {}
    coef = {k: _num(d, k, f"components.{name}") for k in COEFFICIENTS if k in d}
    return Component(name, str(match.get("label", "")), str(match.get("container", "")), coef)


def load_params(path: Path | None = None) -> PerfParams:
    source = path or Path(os.environ.get(PARAMS_ENV) or DEFAULT_PARAMS_FILE)
    if not source.is_file():
        raise PerfParamsError(f"performance model parameters not found at {source}; set {PARAMS_ENV} to a perf.yaml")
    data = yaml.safe_load(source.read_text())
    paths = data.get("paths") or {}
    missing = [p for p in PATHS if p not in paths]
    if missing:
        raise PerfParamsError(f"{source}: paths is missing {', '.join(missing)}; expected {', '.join(PATHS)}")
    cap, churn = data["capacity"], data["churn"]
    per_core = {p: _num(cap["qps_per_server_core"], p, "capacity.qps_per_server_core") for p in PATHS}
    return PerfParams(
        paths={p: _latency(p, paths[p]) for p in PATHS},
        deny={k: _num(data["deny"], k, "deny") for k in ("l7_403_s", "reset_s", "refused_s")},
        app_qps_per_pod=_num(cap, "app_qps_per_pod", "capacity"),
        qps_per_server_core=per_core,
        client_core_qps=_num(cap, "client_core_qps", "capacity"),
        churn_latency_per_write=_num(churn, "latency_factor_per_write_per_s", "churn"),
        pod_latency_per_10k=_num(churn, "pod_latency_factor_per_10k_pods", "churn"),
        components=tuple(_component(n, d) for n, d in (data.get("components") or {}).items()),
        apps={n: _component(n, d) for n, d in (data.get("apps") or {}).items()},
    )
