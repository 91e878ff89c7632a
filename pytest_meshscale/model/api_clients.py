"""A mesh's API-server clients as data (fixtures/meshes/<mesh>/api-clients.yaml): who watches what, how fast
it may call, and which churn event makes it write what, each with its upstream source. Parsed here (pure);
read by data/api_clients.py; emulated by scenario/api_clients.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ModelError

__all__ = ["EVENTS", "WriteCall", "ApiClient", "ClientWatch", "ClientWrite", "MeshClients", "parse_api_clients"]

# What makes an emulated client write: a pod on its node went Running with an IP; such a pod was deleted; the
# labels of a namespace with pods on its node changed; a CiliumEndpoint was created, changed or deleted.
EVENTS = frozenset({"pod-running", "pod-deleted", "namespace-relabelled", "endpoint-changed"})
VERBS = frozenset({"create", "update", "patch", "delete"})


@dataclass(frozen=True, slots=True)
class ClientWatch:
    group: str
    version: str
    resource: str
    field: str  # a field selector, "{node}" standing for the client's node; "" = every object
    source: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass(frozen=True, slots=True)
class ClientWrite:
    when: str  # one of EVENTS (a YAML key `on` would read as the boolean true)
    verb: str
    group: str
    version: str
    resource: str
    source: str
    once_per: str = ""  # "identity": one write per new label set, whichever client sees it first
    only_if_namespace_label: str = ""  # "key=value": only for pods whose namespace carries it
    batch_s: float = 0.0  # changes collected this long, then one write per changed object
    qps: float = 0.0  # a workqueue limit of its own (0: the client's)
    burst: int = 0
    per_object: int = 0  # how many members one object holds (a CiliumEndpointSlice: 100 CiliumEndpoints)


@dataclass(frozen=True, slots=True)
class WriteCall:
    """One request an emulated write makes (built by meshes/<mesh>/api_writes.py)."""

    method: str
    path: str
    body: Any
    content_type: str


@dataclass(frozen=True, slots=True)
class ApiClient:
    name: str
    per_node: bool
    replicas: int  # when not per node
    qps: float
    burst: int
    watches: tuple[ClientWatch, ...]
    writes: tuple[ClientWrite, ...]
    source: str

    def count(self, nodes: int) -> int:
        return nodes if self.per_node else self.replicas


@dataclass(frozen=True, slots=True)
class MeshClients:
    mesh: str
    clients: tuple[ApiClient, ...]  # the mesh's own, then those of the files it includes
    includes: tuple[str, ...]
    crds: str  # a file of stand-in CRDs next to it, "" for none
    not_emulated: tuple[str, ...]


def _str(raw: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise ModelError(f"{where}.{key}: must be a non-empty string, got {value!r}")
    return value


def _num(raw: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ModelError(f"{where}.{key}: must be a number >= 0, got {value!r}")
    return float(value)


def _list(raw: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ModelError(f"{where}.{key}: must be a list, got {value!r}")
    return value


def _watch(raw: Any, where: str) -> ClientWatch:
    if not isinstance(raw, Mapping):
        raise ModelError(f"{where}: must be a mapping, got {raw!r}")
    return ClientWatch(_str(raw, "group", where, ""), _str(raw, "version", where), _str(raw, "resource", where),
                       _str(raw, "field", where, ""), _str(raw, "source", where))


def _write(raw: Any, where: str) -> ClientWrite:
    if not isinstance(raw, Mapping):
        raise ModelError(f"{where}: must be a mapping, got {raw!r}")
    when, verb = _str(raw, "when", where), _str(raw, "verb", where)
    if when not in EVENTS:
        raise ModelError(f"{where}.when: {when!r} is not one of {', '.join(sorted(EVENTS))}")
    if verb not in VERBS:
        raise ModelError(f"{where}.verb: {verb!r} is not one of {', '.join(sorted(VERBS))}")
    return ClientWrite(when, verb, _str(raw, "group", where, ""), _str(raw, "version", where),
                       _str(raw, "resource", where), _str(raw, "source", where), _str(raw, "once_per", where, ""),
                       _str(raw, "only_if_namespace_label", where, ""), _num(raw, "batch_s", where, 0),
                       _num(raw, "qps", where, 0), int(_num(raw, "burst", where, 0)),
                       int(_num(raw, "per_object", where, 0)))


def _client(raw: Any, where: str) -> ApiClient:
    if not isinstance(raw, Mapping):
        raise ModelError(f"{where}: must be a mapping, got {raw!r}")
    name = _str(raw, "name", where)
    where = f"{where} ({name})"
    per = raw.get("per")
    if per not in (None, "node"):
        raise ModelError(f"{where}.per: only 'node' is accepted (or replicas: N), got {per!r}")
    if per is None and "replicas" not in raw:
        raise ModelError(f"{where}: needs `per: node` or `replicas: N`")
    return ApiClient(name, per == "node", int(_num(raw, "replicas", where, 1)), _num(raw, "qps", where),
                     int(_num(raw, "burst", where)),
                     tuple(_watch(w, f"{where}.watches[{i}]") for i, w in enumerate(_list(raw, "watches", where))),
                     tuple(_write(w, f"{where}.writes[{i}]") for i, w in enumerate(_list(raw, "writes", where))),
                     _str(raw, "source", where))


def parse_api_clients(mesh: str, doc: Any, where: str) -> MeshClients:
    """One mesh's file (its includes are resolved by the reader)."""
    if not isinstance(doc, Mapping):
        raise ModelError(f"{where}: must be a mapping with clients, got {type(doc).__name__}")
    unknown = set(doc) - {"clients", "includes", "crds", "not_emulated"}
    if unknown:
        raise ModelError(f"{where}: unknown keys {sorted(unknown)}; accepted: clients, includes, crds, not_emulated")
    clients = tuple(_client(c, f"{where}: clients[{i}]") for i, c in enumerate(_list(doc, "clients", where)))
    includes = tuple(str(x) for x in _list(doc, "includes", where))
    notes = tuple(str(x) for x in _list(doc, "not_emulated", where))
    return MeshClients(mesh, clients, includes, _str(doc, "crds", where, ""), notes)
