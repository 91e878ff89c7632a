"""What `up` creates on the real API server: the profile's nodes, the mesh's upstream CRDs, and the mesh's
components as a helm install leaves them.

Nodes and components come from the same pure builders as the simulated cluster (sim/controllers/nodes.py,
sim/components/kube_system.py and each mesh's SimMesh.install), so both backends show the plugin the same
cluster: AKS-style node names, pool labels and taints, a /24 pod CIDR per node inside 10.128.0.0/10; the mesh's
DaemonSets, Deployments and ConfigMaps with the images and settings the drivers detect. Differences from the sim:
nodes are created without conditions (KWOK makes them Ready, see fixtures/kwok/stages.yaml) and carry the
annotation KWOK selects; the `kubernetes` Service and its Endpoints are the API server's own; kube-dns moves into
10.96.0.0/16.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from ...model import Profile
from ..components import kube_system
from ..controllers.nodes import node_objects
from ..faults import Faults
from ..meshes import SimContext, sim_mesh

__all__ = ["CrdError", "crds", "default_crd_dir", "mesh_objects", "node_manifests"]

Obj = dict[str, Any]
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: Istio's 850 kB of CRDs in 0.2 s, not 1.5 s
KWOK_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
KUBE_DNS_IP = "10.96.0.10"


class CrdError(RuntimeError):
    """The CRD folder is missing or incomplete: one line saying what to pass."""


def default_crd_dir() -> Path:
    """The shared upstream CRDs next to the checkout: <repo>/../shared/upstream/crds."""
    return Path(__file__).resolve().parents[3] / ".." / "shared" / "upstream" / "crds"


def node_manifests(profile: Profile) -> list[Obj]:
    nodes = node_objects(profile)
    for node in nodes:
        node["status"].pop("conditions", None)  # KWOK's node-initialize stage sets them, Ready included
        node["metadata"]["annotations"][KWOK_ANNOTATION[0]] = KWOK_ANNOTATION[1]
    return nodes


class _Recorder:
    """Stands in for the sim's Store under the installs: records what they would create, in order."""

    def __init__(self) -> None:
        self.objects: list[Obj] = []

    def try_get(self, resource: str, namespace: str | None, name: str) -> None:
        return None

    def create(self, resource: str, obj: Obj) -> Obj:
        self.objects.append(copy.deepcopy(obj))
        return obj


def _kube_system() -> list[Obj]:
    rec = _Recorder()
    kube_system.install_kube_system(rec)  # type: ignore[arg-type]
    out = []
    for obj in rec.objects:
        if obj["metadata"].get("namespace") == "default":
            continue  # the `kubernetes` Service and Endpoints: the API server's own
        if obj["kind"] == "Service" and obj["spec"].get("clusterIP"):
            obj["spec"]["clusterIP"] = KUBE_DNS_IP
        out.append(obj)
    return out


def mesh_objects(mesh: str, profile: Profile) -> list[Obj]:
    """kube-system basics plus the mesh's components, namespaces first."""
    model, rec = sim_mesh(mesh), _Recorder()
    model.install(rec, SimContext(profile, Faults()))  # type: ignore[arg-type]
    objects = _kube_system() + rec.objects
    return sorted(objects, key=lambda o: o["kind"] != "Namespace")  # stable: otherwise in install order


def _source(crd_dir: Path, folder: str) -> str:
    """Where a folder's CRDs come from, from SOURCE.txt (`repository ..., tag ...` or the folder's own)."""
    for path in (crd_dir / "SOURCE.txt", crd_dir / folder / "SOURCE.txt"):
        text = path.read_text() if path.is_file() else ""
        found = re.search(rf"^{re.escape(folder)}/.*\n\s+(repository [^\n(]+)", text, re.M)
        if found:
            return found.group(1).strip()
        commit = re.search(r"^\s+commit (\w{12})", text, re.M)
        if path.parent.name == folder and commit:
            return f"{text.splitlines()[0].rstrip('.')} (commit {commit.group(1)})"
    return "source not recorded"


def _crd_hint(folders: tuple[str, ...]) -> str:
    return f"pass --mesh-crds DIR: a folder with {', '.join(f + '/' for f in folders)} of upstream CRD YAML"


def crd_problem(mesh: str, crd_dir: Path | None = None) -> str:
    """Why the mesh's CRD folders are not there (one line), or "" when they are. A user's clone has no
    ../shared, so the kwok tests skip on this line and the launcher refuses with it."""
    folders = sim_mesh(mesh).crd_folders
    where = Path(crd_dir) if crd_dir else default_crd_dir()
    missing = [f for f in folders if not (where / f).is_dir()]
    if not missing:
        return ""
    return f"{mesh} needs its CRDs but {where.resolve()} has no {', '.join(missing)}/: {_crd_hint(folders)}"


def crds(mesh: str, crd_dir: Path | None) -> tuple[list[Obj], list[str]]:
    """The mesh's CustomResourceDefinitions from `crd_dir` (default: the shared upstream copy), and one
    line per folder saying how many and from where."""
    folders = sim_mesh(mesh).crd_folders
    if not folders:
        return [], []
    if problem := crd_problem(mesh, crd_dir):
        raise CrdError(problem)
    where = Path(crd_dir) if crd_dir else default_crd_dir()
    hint = _crd_hint(folders)
    found, lines = [], []
    for folder in folders:
        docs = [d for p in sorted((where / folder).glob("*.y*ml")) for d in yaml.load_all(p.read_text(), _LOADER)
                if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]
        if not docs:
            raise CrdError(f"{where.resolve() / folder} holds no CustomResourceDefinition: {hint}")
        found += docs
        lines.append(f"{len(docs)} CRDs from {folder}/ ({_source(where, folder)})")
    return found, lines
