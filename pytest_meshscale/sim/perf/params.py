"""The performance model's parameters (each one carries its source in its file): the shared ones (the direct path,
deny latencies, capacity, churn, apps) from fixtures/sim/perf.yaml, and each mesh's own (its paths, their capacity
per core, its components) from fixtures/meshes/<mesh>/sim-perf.yaml (SimMesh.perf_file).

MESHSCALE_SIM_PERF replaces the shared file; what it defines wins over the meshes' files, so a complete perf.yaml
of the old single-file layout still works as an override of everything.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from ...data import data_path
from .kernel import KernelParams, MeshKernel
from .latency import Latency

if TYPE_CHECKING:
    from ..meshes.base import SimMesh

__all__ = ["DEFAULT_PARAMS_FILE", "DIRECT_PATH", "PARAMS_ENV", "Component", "PerfParams", "PerfParamsError",
           "load_params", "perf_paths"]

PARAMS_ENV = "MESHSCALE_SIM_PERF"  # another perf.yaml (e.g. when the package is installed without fixtures/)
DEFAULT_PARAMS_FILE = data_path("sim", "perf.yaml")
DIRECT_PATH = "baseline"  # the path of requests no mesh component handles, named for the no-mesh control
KernelT = TypeVar("KernelT", KernelParams, MeshKernel)
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
    kernel: KernelParams = KernelParams()
    mesh_kernel: Mapping[str, MeshKernel] = field(default_factory=dict)  # mesh name -> its kernel work

    def kernel_of(self, mesh: str) -> MeshKernel:
        return self.mesh_kernel.get(mesh, MeshKernel())


def _num(data: Mapping[str, Any], key: str, where: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
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


def _kernel(cls: type[KernelT], data: Mapping[str, Any] | None, where: str) -> KernelT:
    """A `kernel:` section: each field a number >= 0; one the file leaves out is 0 (no such work)."""
    data = data or {}
    return cls(**{f.name: _num(data, f.name, where) for f in fields(cls) if f.name in data})


def _meshes() -> tuple[SimMesh, ...]:
    from ..meshes import SIM_MESHES  # late: the meshes' modules are built on the perf model

    return tuple(SIM_MESHES.values())


def perf_paths() -> tuple[str, ...]:
    """Every modelled path: the direct one, then each registered mesh's."""
    return (DIRECT_PATH, *(p for mesh in _meshes() for p in mesh.perf_paths))


def _merged(shared: Mapping[str, Any], mesh_docs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The shared file with the meshes' paths, capacities per core and components added (the shared file wins)."""
    data = dict(shared)
    paths: dict[str, Any] = {}
    per_core: dict[str, Any] = {}
    components: dict[str, Any] = {}
    for mesh in mesh_docs:
        paths.update(mesh.get("paths") or {})
        per_core.update((mesh.get("capacity") or {}).get("qps_per_server_core") or {})
        components.update(mesh.get("components") or {})
    capacity = dict(shared.get("capacity") or {})
    capacity["qps_per_server_core"] = {**per_core, **(capacity.get("qps_per_server_core") or {})}
    data.update(paths={**paths, **(shared.get("paths") or {})}, capacity=capacity,
                components={**components, **(shared.get("components") or {})})
    return data


def load_params(path: Path | None = None) -> PerfParams:
    source = path or Path(os.environ.get(PARAMS_ENV) or DEFAULT_PARAMS_FILE)
    if not source.is_file():
        raise PerfParamsError(f"performance model parameters not found at {source}; set {PARAMS_ENV} to a perf.yaml")
    mesh_files = {m.name: m.perf_file() for m in _meshes() if m.perf_file().is_file()}
    mesh_docs = {name: yaml.safe_load(f.read_text()) or {} for name, f in mesh_files.items()}  # each read once
    data = _merged(yaml.safe_load(source.read_text()), mesh_docs.values())
    paths, expected = data["paths"], perf_paths()
    missing = [p for p in expected if p not in paths]
    if missing:
        where = ", ".join(str(f) for f in (source, *mesh_files.values()))
        raise PerfParamsError(f"paths is missing {', '.join(missing)}; expected {', '.join(expected)} in {where}")
    cap, churn = data["capacity"], data["churn"]
    per_core = {p: _num(cap["qps_per_server_core"], p, "capacity.qps_per_server_core") for p in expected}
    return PerfParams(
        paths={p: _latency(p, paths[p]) for p in expected},
        deny={k: _num(data["deny"], k, "deny") for k in ("l7_403_s", "reset_s", "refused_s")},
        app_qps_per_pod=_num(cap, "app_qps_per_pod", "capacity"),
        qps_per_server_core=per_core,
        client_core_qps=_num(cap, "client_core_qps", "capacity"),
        churn_latency_per_write=_num(churn, "latency_factor_per_write_per_s", "churn"),
        pod_latency_per_10k=_num(churn, "pod_latency_factor_per_10k_pods", "churn"),
        components=tuple(_component(n, d) for n, d in (data.get("components") or {}).items()),
        apps={n: _component(n, d) for n, d in (data.get("apps") or {}).items()},
        kernel=_kernel(KernelParams, data.get("kernel"), "kernel"),
        mesh_kernel={name: _kernel(MeshKernel, doc.get("kernel"), f"{name} kernel") for name, doc in mesh_docs.items()},
    )
