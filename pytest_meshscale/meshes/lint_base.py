"""What every mesh's lint checks share: a finding, and how an object is named in one."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..model import Intent

__all__ = ["Check", "Finding", "Obj", "name_of", "spec_of"]

Obj = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    object: str  # "Kind namespace/name"
    reason: str

    def __str__(self) -> str:
        return f"{self.object}: {self.code}: {self.reason}"


# check(obj, all objects, intents, paths_declared(namespace) by any policy) -> findings
Check = Callable[[Obj, list[Obj], Sequence[Intent], Callable[[Any], bool]], list[Finding]]


def name_of(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind', '?')} {ns}{meta.get('name', '?')}"


def spec_of(obj: Obj) -> Mapping[str, Any]:
    return obj.get("spec") or {}
