"""The Score of one mesh run: load, latency, errors and the mesh's own CPU/memory, as versioned JSON.

queries_per_core = qps / mesh cores under load (the seed blog's "Queries Per Core"); it is None when the
cores are unknown or zero, never a division by zero or a made-up number.

Kernel-inclusive cost (model/kernel.py): the cluster's unaccounted cores (node CPU - its pods' CPU) idle and under
load are measured; the kernel cores attributed to the mesh need the `baseline` mesh's figures (`with_baseline`),
and say why when there are none (`kernel_note`). total cores = user-space mesh cores + kernel cores; dollars per
million requests is a price model from the profile's node prices (`usd_per_core_hour`), None with `price_note`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from .errors import ModelError
from .fortio import DEFAULT_PERCENTILES, MergedLoad, percentile_label
from .kernel import NO_BASELINE, NO_PRICE, kernel_cores, usd_per_million

__all__ = ["BASELINE_MESH", "SCORE_SCHEMA", "ComponentUsage", "MeshUsage", "RunMeta", "Score", "Unaccounted",
           "score_from"]

SCORE_SCHEMA = "meshscale.score/v2"
# v2 added planes, the unaccounted and kernel cores and the price; a v1 file lacks them and reads as not measured.
# Written as v2 so that a plugin that knows only v1 says "schema must be ... v1" rather than "unknown field".
READABLE_SCHEMAS = (SCORE_SCHEMA, "meshscale.score/v1")
BASELINE_MESH = "baseline"
REQUIRED_PERCENTILES = tuple(percentile_label(p) for p in DEFAULT_PERCENTILES)


@dataclass(frozen=True, slots=True)
class ComponentUsage:
    """One mesh component (istiod, ztunnel, cilium-agent, ...); None = not measured."""

    cores_idle: float | None = None
    cores_load: float | None = None
    memory_idle_bytes: float | None = None
    memory_load_bytes: float | None = None


@dataclass(frozen=True, slots=True)
class MeshUsage(ComponentUsage):
    """The whole mesh's CPU (cores) and memory (bytes), idle and under load, plus each component's."""

    components: Mapping[str, ComponentUsage] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunMeta:
    mesh: str
    mesh_version: str
    scale: str
    cluster_kind: str
    simulated: bool
    run_id: str
    started_at: str  # ISO 8601
    duration_s: float
    notes: tuple[str, ...] = ()
    planes: str = ""  # "control plane: ..., data plane: ..." (cluster.base.planes)


@dataclass(frozen=True, slots=True)
class Score:
    mesh: str
    mesh_version: str
    scale: str
    cluster_kind: str
    simulated: bool
    run_id: str
    started_at: str
    duration_s: float
    clients: int
    requests: int
    qps: float
    errors: int
    error_rate: float
    ret_codes: Mapping[str, int]
    latency_s: Mapping[str, float]  # "50", "90", "99", "99.9" (+ requested) -> seconds
    mesh_cores_idle: float | None = None
    mesh_cores_load: float | None = None
    mesh_memory_idle_bytes: float | None = None
    mesh_memory_load_bytes: float | None = None
    components: Mapping[str, ComponentUsage] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    planes: str = ""  # which of the cluster's planes were real: "control plane: ..., data plane: ..."
    # the cluster's CPU no pod accounts for (sum over nodes of node CPU - its pods' CPU); None = not measured
    unaccounted_cores_idle: float | None = None
    unaccounted_cores_load: float | None = None
    kernel_cores: float | None = None  # attributed to the mesh against the baseline; None: see kernel_note
    kernel_note: str = NO_BASELINE
    usd_per_core_hour: float | None = None  # the profile's node pools' list prices / their vCPUs
    price_note: str = NO_PRICE

    @property
    def queries_per_core(self) -> float | None:
        cores = self.mesh_cores_load
        return self.qps / cores if cores else None

    @property
    def user_cores(self) -> float | None:
        """The mesh's user-space cores under load (its pods' containers): today's figure."""
        return self.mesh_cores_load

    @property
    def total_cores(self) -> float | None:
        if self.user_cores is None or self.kernel_cores is None:
            return None
        return self.user_cores + self.kernel_cores

    @property
    def queries_per_total_core(self) -> float | None:
        cores = self.total_cores
        return self.qps / cores if cores and cores > 0 else None

    @property
    def usd_per_million_requests(self) -> float | None:
        """A price model, not a bill: total cores x USD per core-hour / requests per hour x 1e6."""
        if self.total_cores is None or self.usd_per_core_hour is None:
            return None
        return usd_per_million(self.total_cores, self.usd_per_core_hour, self.qps)

    def with_baseline(self, base: Score, source: str) -> Score:
        """This Score with its kernel cores attributed against `base` (the baseline mesh's Score, named by
        `source`: "same run" or a file); unchanged notes say why when the figures are missing."""
        if self.unaccounted_cores_load is None:
            return replace(self, kernel_cores=None, kernel_note=f"{NO_BASELINE} (this Score has no unaccounted CPU)")
        if base.unaccounted_cores_idle is None or base.unaccounted_cores_load is None or base.qps <= 0:
            why = "no QPS" if base.qps <= 0 else "no unaccounted CPU"
            return replace(self, kernel_cores=None, kernel_note=f"{NO_BASELINE} (baseline {source}: {why})")
        cores = kernel_cores(self.unaccounted_cores_load, base.unaccounted_cores_idle, base.unaccounted_cores_load,
                             self.qps, base.qps)
        return replace(self, kernel_cores=cores, kernel_note=f"against baseline ({source})")

    def to_dict(self) -> dict[str, Any]:
        data = {"schema": SCORE_SCHEMA, **asdict(self), "queries_per_core": self.queries_per_core}
        data.update(user_cores=self.user_cores, total_cores=self.total_cores,
                    queries_per_total_core=self.queries_per_total_core,
                    usd_per_million_requests=self.usd_per_million_requests)
        data["notes"] = list(self.notes)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False)

    @classmethod
    def from_json(cls, data: str | Mapping[str, Any], source: str = "score") -> Score:
        return _parse(data, source)


@dataclass(frozen=True, slots=True)
class Unaccounted:
    """The cluster's unaccounted cores idle and under load, the nodes left out, the price per core-hour."""

    cores_idle: float | None = None
    cores_load: float | None = None
    rejected_nodes: tuple[str, ...] = ()
    usd_per_core_hour: float | None = None
    price_note: str = NO_PRICE


def score_from(merged: MergedLoad, usage: MeshUsage, meta: RunMeta, cost: Unaccounted | None = None) -> Score:
    """Build the Score of a run from the merged load, the mesh's measured usage and the run's metadata."""
    notes = list(meta.notes) + [f"client {src} failed: {exc}" for src, exc in merged.failed_clients]
    cost = cost or Unaccounted()
    if meta.simulated:
        notes.insert(0, "simulated: numbers come from the simulator, not a real cluster")
    if cost.rejected_nodes:
        notes.append("nodes left out of the unaccounted CPU (their pods' CPU exceeds the node's): "
                     + ", ".join(cost.rejected_nodes))
    score = Score(
        mesh=meta.mesh, mesh_version=meta.mesh_version, scale=meta.scale, cluster_kind=meta.cluster_kind,
        simulated=meta.simulated, run_id=meta.run_id, started_at=meta.started_at, duration_s=meta.duration_s,
        clients=merged.clients, requests=merged.count, qps=merged.qps, errors=merged.errors,
        error_rate=merged.error_rate, ret_codes=dict(merged.ret_codes), latency_s=dict(merged.percentiles),
        mesh_cores_idle=usage.cores_idle, mesh_cores_load=usage.cores_load,
        mesh_memory_idle_bytes=usage.memory_idle_bytes, mesh_memory_load_bytes=usage.memory_load_bytes,
        components=dict(usage.components), notes=tuple(notes), planes=meta.planes,
        unaccounted_cores_idle=cost.cores_idle, unaccounted_cores_load=cost.cores_load,
        usd_per_core_hour=cost.usd_per_core_hour, price_note=cost.price_note,
    )  # fmt: skip
    # the baseline is its own reference: its kernel cost over itself is zero by definition
    return score.with_baseline(score, "same run") if meta.mesh == BASELINE_MESH else score


# field -> (accepted JSON types, may be null)
_NUM = (int, float)
_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "mesh": ((str,), False), "mesh_version": ((str,), False), "scale": ((str,), False),
    "cluster_kind": ((str,), False), "simulated": ((bool,), False), "run_id": ((str,), False),
    "started_at": ((str,), False), "duration_s": (_NUM, False), "clients": ((int,), False),
    "requests": ((int,), False), "qps": (_NUM, False), "errors": ((int,), False), "error_rate": (_NUM, False),
    "mesh_cores_idle": (_NUM, True), "mesh_cores_load": (_NUM, True),
    "mesh_memory_idle_bytes": (_NUM, True), "mesh_memory_load_bytes": (_NUM, True),
    "unaccounted_cores_idle": (_NUM, True), "unaccounted_cores_load": (_NUM, True), "kernel_cores": (_NUM, True),
    "usd_per_core_hour": (_NUM, True),
}  # fmt: skip
# absent in Score files written before they existed: the defaults say nothing was measured or attributed
_TEXTS = {"planes": "", "kernel_note": NO_BASELINE, "price_note": NO_PRICE}
_DERIVED = {"queries_per_core", "user_cores", "total_cores", "queries_per_total_core", "usd_per_million_requests"}
_OTHER_KEYS = {"schema", "ret_codes", "latency_s", "components", "notes", *_TEXTS, *_DERIVED}
_COMPONENT_FIELDS = ("cores_idle", "cores_load", "memory_idle_bytes", "memory_load_bytes")


def _value(data: Mapping[str, Any], key: str, types: tuple[type, ...], nullable: bool, source: str) -> Any:
    if key not in data and not nullable:
        raise ModelError(f"score {source}: field '{key}' is required")
    value = data.get(key)
    if value is None and nullable:
        return None
    is_bool = isinstance(value, bool)
    if (is_bool and bool not in types) or not isinstance(value, types) or value != value:
        expected = "/".join(t.__name__ for t in types)
        raise ModelError(f"score {source}: field '{key}' must be {expected}, got {value!r}")
    return float(data[key]) if types is _NUM else value


def _mapping(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ModelError(f"score {source}: field '{key}' must be an object, got {value!r}")
    return value


def _numbers(data: Mapping[str, Any], key: str, types: tuple[type, ...], source: str) -> dict[str, Any]:
    inner = _mapping(data, key, source)
    return {k: _value(inner, k, types, False, f"{source} {key}") for k in inner}


def _components(data: Mapping[str, Any], source: str) -> dict[str, ComponentUsage]:
    out = {}
    for name, raw in _mapping(data, "components", source).items():
        where = f"{source} components.{name}"
        if not isinstance(raw, Mapping):
            raise ModelError(f"score {where}: must be an object, got {raw!r}")
        extra = sorted(set(raw) - set(_COMPONENT_FIELDS))
        if extra:
            accepted = ", ".join(_COMPONENT_FIELDS)
            raise ModelError(f"score {where}: unknown field {extra[0]!r}; accepted: {accepted}")
        out[name] = ComponentUsage(**{k: _value(raw, k, _NUM, True, where) for k in _COMPONENT_FIELDS})
    return out


def _parse(data: str | Mapping[str, Any], source: str) -> Score:
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as e:
            raise ModelError(f"score {source}: not JSON ({e})") from None
    if not isinstance(data, Mapping):
        raise ModelError(f"score {source}: must be a JSON object")
    if data.get("schema") not in READABLE_SCHEMAS:
        accepted = " or ".join(repr(s) for s in READABLE_SCHEMAS)
        raise ModelError(f"score {source}: schema must be {accepted}, got {data.get('schema')!r}")
    unknown = sorted(set(data) - set(_FIELDS) - _OTHER_KEYS)
    if unknown:
        raise ModelError(f"score {source}: unknown field {unknown[0]!r} (schema {data['schema']})")
    latency = _numbers(data, "latency_s", _NUM, source)
    missing = [p for p in REQUIRED_PERCENTILES if p not in latency]
    if missing:
        raise ModelError(f"score {source}: latency_s lacks percentiles {missing}")
    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise ModelError(f"score {source}: field 'notes' must be a list of strings, got {notes!r}")
    plain = {k: _value(data, k, types, nullable, source) for k, (types, nullable) in _FIELDS.items()}
    texts = {k: data.get(k, default) for k, default in _TEXTS.items()}
    for key, value in texts.items():
        if not isinstance(value, str):
            raise ModelError(f"score {source}: field '{key}' must be str, got {value!r}")
    try:
        datetime.fromisoformat(plain["started_at"])
    except ValueError:
        raise ModelError(
            f"score {source}: field 'started_at' must be an ISO 8601 time, got {plain['started_at']!r}"
        ) from None
    return Score(
        **plain,
        ret_codes=_numbers(data, "ret_codes", (int,), source),
        latency_s=latency,
        components=_components(data, source),
        notes=tuple(notes),
        **texts,
    )
