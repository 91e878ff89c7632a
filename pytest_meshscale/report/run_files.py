"""Run-level Allure files: environment.properties, categories.json and (in CI) executor.json.

Mesh keys are prefixed with the mesh name (`mesh.cilium.version`) because per-mesh CI jobs each
write their own file, and Allure keeps only one environment.properties per report: `meshscale report`
merges them (`merge_environments`) and nothing collides.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..cluster.base import planes
from ..model import NodePool

__all__ = [
    "CATEGORIES_FILE",
    "MeshFacts",
    "RunFacts",
    "categories",
    "environment_properties",
    "executor",
    "format_properties",
    "merge_environments",
    "read_properties",
    "write_run_files",
]

CATEGORIES_FILE = Path(__file__).with_name("categories.json")  # also read by allurerc.mjs: one source


@dataclass(frozen=True, slots=True)
class MeshFacts:
    name: str
    version: str
    features: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunFacts:
    meshes: tuple[MeshFacts, ...]
    kubernetes_version: str
    pools: tuple[NodePool, ...]
    profile: str
    cluster_kind: str
    simulated: bool
    extra: Mapping[str, str] = field(default_factory=dict)


def _escape(value: str) -> str:
    """Java .properties escaping for the characters that would change the meaning of a line."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("=", "\\=").replace(":", "\\:")


def environment_properties(facts: RunFacts) -> dict[str, str]:
    props = {
        "simulated": "true" if facts.simulated else "false",
        "cluster.kind": facts.cluster_kind,
        "cluster.planes": planes(facts.cluster_kind, facts.kubernetes_version),
        "kubernetes.version": facts.kubernetes_version,
        "profile": facts.profile,
        "nodes": str(sum(p.count for p in facts.pools)),
    }
    for pool in facts.pools:
        props[f"pool.{pool.name}"] = f"{pool.count} x {pool.cores} cores / {pool.memory_gib} GiB ({pool.role})"
    for mesh in facts.meshes:
        props[f"mesh.{mesh.name}.version"] = mesh.version or "unknown"
        props[f"mesh.{mesh.name}.features"] = ", ".join(mesh.features) or "none"
    return props | dict(facts.extra)


def format_properties(props: Mapping[str, str]) -> str:
    return "".join(f"{_escape(k)}={_escape(v)}\n" for k, v in props.items())


def read_properties(path: Path) -> dict[str, str]:
    """Enough of the .properties grammar for the files written here (and by hand): key=value lines."""
    props = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith(("#", "!")) and "=" in line:
            key, _, value = line.partition("=")
            props[key.strip().replace("\\:", ":")] = value.strip().replace("\\:", ":").replace("\\=", "=")
    return props


def merge_environments(files: Iterable[Path]) -> dict[str, str]:
    """Union of keys; a key with different values across jobs keeps them all, comma-separated."""
    values: dict[str, list[str]] = {}
    for path in files:
        for key, value in read_properties(path).items():
            values.setdefault(key, [])
            if value not in values[key]:
                values[key].append(value)
    merged = {key: ", ".join(vals) for key, vals in values.items()}
    if "true" in values.get("simulated", []):
        merged["simulated"] = "true"  # one simulated job makes the whole report simulated
    return merged


def categories() -> list[dict[str, object]]:
    loaded: list[dict[str, object]] = json.loads(CATEGORIES_FILE.read_text(encoding="utf-8"))
    return loaded


def executor(environ: Mapping[str, str]) -> dict[str, object] | None:
    """executor.json content when running in CI (`CI` set), with GitHub Actions links where known."""
    if not environ.get("CI"):
        return None
    server, repo, run = (environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    if not (server and repo and run):
        return {"name": "CI", "type": "ci", "buildName": environ.get("CI_JOB_NAME", "CI run")}
    number = environ.get("GITHUB_RUN_NUMBER", "")
    return {
        "name": "GitHub Actions",
        "type": "github",
        "url": f"{server}/{repo}",
        "buildOrder": int(number) if number.isdigit() else None,
        "buildName": f"{environ.get('GITHUB_WORKFLOW', 'workflow')} #{number}",
        "buildUrl": f"{server}/{repo}/actions/runs/{run}",
    }


def write_run_files(alluredir: Path, facts: RunFacts, environ: Mapping[str, str] | None = None) -> list[Path]:
    """Call once per run (the xdist controller only): writes into the alluredir next to the results."""
    alluredir.mkdir(parents=True, exist_ok=True)
    files = {
        "environment.properties": format_properties(environment_properties(facts)),
        "categories.json": json.dumps(categories(), indent=2) + "\n",
    }
    ci = executor(os.environ if environ is None else environ)
    if ci is not None:
        files["executor.json"] = json.dumps(ci, indent=2) + "\n"
    for name, body in files.items():
        (alluredir / name).write_text(body, encoding="utf-8")
    return [alluredir / name for name in files]
