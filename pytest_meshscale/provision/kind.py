"""kind clusters through pytest-kind-ng's `KindCluster.create(config_file=...)`, one per mesh, with the
kind config from fixtures/kind/<mesh>.yaml and local binaries only.

pytest-kind-ng downloads kind (GitHub releases) and kubectl (dl.k8s.io) whenever the path it is handed
does not exist (`KindCluster.ensure_kind` / `ensure_kubectl`). We never let it: both binaries are resolved
here first, from --mesh-kind-bin / --mesh-kubectl-bin or PATH, and handed over as existing paths, so its
download code never runs; a missing one is one line saying what to install.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cluster.base import ClusterError
from ..data import data_path
from .tools import find_tool

__all__ = ["KIND_CONFIGS", "KindSpec", "kind_cluster", "kind_paths", "kind_spec"]

KIND_CONFIGS = data_path("kind")
KIND_DIR = ".pytest-kind"  # KindCluster's own folder: it creates .pytest-kind/<name>/ in the working directory


@dataclass(frozen=True, slots=True)
class KindSpec:
    name: str
    config_file: Path
    image: str | None  # the pinned node image (versions.yaml kind_node_image); None: kind's default
    kind_bin: str
    kubectl_bin: str
    kubeconfig: Path

    @property
    def context(self) -> str:
        return f"kind-{self.name}"


def kind_paths(mesh: str, cwd: Path | None = None) -> tuple[str, Path]:
    """(cluster name, kubeconfig path) of a mesh's kind cluster, as KindCluster lays them out."""
    name = f"meshscale-{mesh}"
    return name, (cwd or Path.cwd()) / KIND_DIR / name / "kubeconfig"


def kind_spec(mesh: str, tools: Mapping[str, str], image: str | None, cwd: Path | None = None) -> KindSpec:
    name, kubeconfig = kind_paths(mesh, cwd)
    return KindSpec(name, KIND_CONFIGS / f"{mesh}.yaml", image, find_tool("kind", tools),
                    find_tool("kubectl", tools), kubeconfig)


def _kind(spec: KindSpec, *args: str) -> str:
    done = subprocess.run([spec.kind_bin, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise ClusterError(f"`kind {' '.join(args)}` failed (exit {done.returncode}): {tail[0]}")
    return done.stdout


def cluster_exists(spec: KindSpec) -> bool:
    return spec.name in _kind(spec, "get", "clusters").split()


@contextmanager
def kind_cluster(spec: KindSpec, keep: bool) -> Iterator[bool]:
    """Create the cluster unless it exists; yield whether this run created it. At the end a cluster the
    run created is deleted (unless keep); a cluster that was there before is never deleted."""
    from pytest_kind import KindCluster  # lazy: pulls in pykube and requests

    existed = cluster_exists(spec)
    # Both paths exist (find_tool checked them): KindCluster's ensure_kind()/ensure_kubectl() download only
    # when their path is missing, so handing them over is what keeps pytest-kind-ng from downloading.
    cluster = KindCluster(spec.name, spec.kubeconfig, image=spec.image,
                          kind_path=Path(spec.kind_bin), kubectl_path=Path(spec.kubectl_bin))
    if existed:  # create() re-uses it, then reads kubeconfig_path, which only `kind create` would have filled
        _kind(spec, "export", "kubeconfig", "--name", spec.name, "--kubeconfig", str(spec.kubeconfig))
    try:
        cluster.create(config_file=spec.config_file)
    except subprocess.CalledProcessError as exc:
        raise ClusterError(f"kind cluster {spec.name}: `{' '.join(map(str, exc.cmd))}` failed (exit "
                           f"{exc.returncode}; kind's output is above; kind needs a running Docker daemon)") from None
    try:
        yield not existed
    finally:
        _finish(cluster, spec, created=not existed, keep=keep)


def _finish(cluster: Any, spec: KindSpec, *, created: bool, keep: bool) -> None:
    if not created:
        return
    if keep:
        print(f"meshscale: kept kind cluster {spec.name} (--mesh-keep); kubeconfig {spec.kubeconfig}; "
              f"remove it with: kind delete cluster --name {spec.name}")
        return
    try:
        cluster.delete()
    except subprocess.CalledProcessError as exc:  # at shutdown a traceback helps nobody: say what to do
        print(f"meshscale: kind cluster {spec.name}: delete failed (exit {exc.returncode}); "
              f"remove it with: kind delete cluster --name {spec.name}")
