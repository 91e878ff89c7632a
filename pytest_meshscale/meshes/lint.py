"""Static checks for the policy defects found in the seed (therealmitchconnors/tools many-svc-scenario).

Works on rendered or user manifests (plain dicts). Each finding names the object and says why it
defeats the intent; the policy tests find the same defects by probing, lint explains them. The checks
of each kind live in its mesh's folder (meshes/<mesh>/lint.py); only the mesh-neutral ones are here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from ..model import Intent
from . import DRIVERS
from .lint_base import Finding, Obj, name_of

__all__ = ["Finding", "lint"]


def lint(manifests: Iterable[Obj], intents: Sequence[Intent] = ()) -> list[Finding]:
    """Every defect found, in manifest order; `intents` enables the check against the intended paths."""
    objects = list(manifests)
    checks = {kind: check for d in DRIVERS.values() for kind, check in d.lint_checks.items()}

    def paths_declared(ns: Any) -> bool:
        return any(d.declares_paths(o) for d in DRIVERS.values() for o in objects
                   if (o.get("metadata") or {}).get("namespace") == ns)

    findings = _missing_api_version(objects) + _duplicates(objects)
    for obj in objects:
        check = checks.get(str(obj.get("kind")))
        if check is not None:
            findings += check(obj, objects, intents, paths_declared)
    return findings


def _missing_api_version(objects: list[Obj]) -> list[Finding]:
    reason = "no apiVersion: kubectl apply refuses it (the seed's ProxyConfig never applied)"
    return [Finding("missing-api-version", name_of(o), reason) for o in objects if not o.get("apiVersion")]


def _duplicates(objects: list[Obj]) -> list[Finding]:
    counts = Counter(name_of(o) for o in objects if o.get("kind") != "Namespace")
    reason = "defined {} times: the last one silently replaces the others (the seed's two tcp-policy)"
    return [Finding("duplicate-name", name, reason.format(n)) for name, n in counts.items() if n > 1]
