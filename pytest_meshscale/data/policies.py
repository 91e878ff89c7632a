"""Finding and reading policy files (fixtures/policies/*.yaml): mesh-neutral intents plus probe cells.

The cells name workloads `client` and `server`; they resolve to the fleet built by scenario/workloads.py, so
labels, service accounts and Service names have one source.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from ..model import Endpoint, PolicyCase, PolicyError, parse_policy_case
from ..model.fleet_names import CLIENT, SERVER
from . import data_path

__all__ = ["fleet_workloads", "load_policy_case", "policy_names", "policy_path"]


def policy_names() -> list[str]:
    """The shipped policy files, by name (file stem)."""
    return sorted(p.stem for p in (data_path("policies")).glob("*.yaml"))


def policy_path(name: str) -> Path:
    if name in policy_names():
        return data_path("policies") / f"{name}.yaml"
    return Path(name)


def fleet_workloads() -> dict[str, Endpoint]:
    """The workloads cells may name; namespace is filled per cell."""
    def pod(app: str, account: str, service: str | None) -> Endpoint:
        return Endpoint("", app, {"app": app, "meshscale.io/service": app}, account, service)

    return {"client": pod(CLIENT, CLIENT, None), "server": pod(SERVER, "default", SERVER)}


def load_policy_case(name: str, namespaces: Sequence[str]) -> PolicyCase:
    """Load a shipped policy by name, or a YAML path; every failure is a PolicyError naming the file."""
    path = policy_path(name)
    if not path.is_file():
        accepted = ", ".join(policy_names())
        raise PolicyError(str(path), "<file>", name, f"must be one of {accepted} or a path to a policy YAML")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise PolicyError(str(path), "<file>", type(exc).__name__, f"must be valid YAML ({exc})") from None
    return parse_policy_case(data, str(path), namespaces, fleet_workloads())
