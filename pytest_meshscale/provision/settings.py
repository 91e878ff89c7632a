"""Settings: everything a run needs to know, fixed once at configure time. Pytest-free, so the layers
below the face (providers, mesh setup, the dry run) can type it; options.py builds it from pytest's
options, environment variables and ini keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..meshes.install.versions import Versions, load_versions
from ..model import Profile

__all__ = ["CLUSTERS", "INSTALL_MODES", "TOOLS", "Settings"]

CLUSTERS = ("sim", "kind", "existing", "kwok")
INSTALL_MODES = ("auto", "skip")
TOOLS = ("kind", "kubectl", "helm")


@dataclass(frozen=True, slots=True)
class Settings:
    meshes: tuple[str, ...]
    scale: str
    profile: Profile
    cluster: str
    context: str
    kubeconfig: str
    keep: bool
    results_dir: Path
    faults: tuple[str, ...]
    sources: dict[str, str]
    install: str = "skip"  # "auto" or "skip", resolved per cluster kind
    tools: dict[str, str] = field(default_factory=dict)  # explicit binaries: {"kind": "/opt/kind"}
    versions: Versions = field(default_factory=load_versions)  # pinned, with the --mesh-*-version overrides
    dry_run: bool = False
    namespace_prefix: str = ""  # --mesh-namespace-prefix: fixed prefix instead of the run id's
    k8s_bin_dir: str = ""  # --mesh-k8s-bin-dir: kwok's five binaries from here instead of building them
    crds: str = ""  # --mesh-crds: folder of upstream CRD YAML for kwok (default: ../shared/upstream/crds)
    baseline_score: str = ""  # --mesh-baseline-score: the baseline's Score JSON of another run, checked
