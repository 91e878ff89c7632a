"""Each mesh's API-server clients from its own fixtures folder (fixtures/meshes/<mesh>/api-clients.yaml), with
the files it includes: a mesh added in another branch brings its file and nothing here changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..model.api_clients import MeshClients, parse_api_clients
from ..model.errors import ModelError
from . import data_path

__all__ = ["API_CLIENTS_FILE", "api_clients_path", "load_api_clients", "load_crds"]

API_CLIENTS_FILE = "api-clients.yaml"


def api_clients_path(mesh: str) -> Path:
    return data_path("meshes", mesh, API_CLIENTS_FILE)


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError(f"{path}: cannot be read as YAML: {exc}") from None


def load_api_clients(mesh: str, _seen: tuple[str, ...] = ()) -> MeshClients:
    """The mesh's clients followed by those of its includes (each file once; a loop is an error)."""
    if mesh in _seen:
        raise ModelError(f"{api_clients_path(mesh)}: includes form a loop: {' -> '.join((*_seen, mesh))}")
    path = api_clients_path(mesh)
    if not path.is_file():
        raise ModelError(f"mesh {mesh!r} has no {API_CLIENTS_FILE} in fixtures/meshes/{mesh}/ (its API-server "
                         "clients, see fixtures/meshes/baseline/api-clients.yaml)")
    own = parse_api_clients(mesh, _read(path), str(path))
    included = [load_api_clients(m, (*_seen, mesh)) for m in own.includes]
    clients = own.clients + tuple(c for inc in included for c in inc.clients)
    notes = own.not_emulated + tuple(n for inc in included for n in inc.not_emulated)
    return MeshClients(mesh, clients, own.includes, own.crds, notes)


def load_crds(clients: MeshClients) -> list[dict[str, Any]]:
    """The stand-in CRDs the mesh's file names (documents of the YAML file beside it)."""
    if not clients.crds:
        return []
    path = api_clients_path(clients.mesh).parent / clients.crds
    try:
        return [d for d in yaml.safe_load_all(path.read_text()) if d]
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError(f"{path}: cannot be read as YAML: {exc}") from None
