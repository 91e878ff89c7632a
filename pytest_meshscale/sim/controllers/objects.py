"""Small helpers every controller shares: owner references, conditions, readiness, names, quantities."""

from __future__ import annotations

import hashlib
import json
import random
import time
from typing import Any

__all__ = [
    "Obj",
    "condition",
    "controller_ref",
    "is_ready",
    "is_terminal",
    "meta",
    "now_iso",
    "owned_by",
    "owner_ref",
    "parse_cpu_m",
    "parse_memory",
    "random_suffix",
    "template_hash",
    "with_conditions",
]

Obj = dict[str, Any]
# The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alike digits).
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_MEMORY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9}


_stamp: tuple[int, str] = (0, "")


def now_iso() -> str:
    """RFC 3339 UTC to the second (as Kubernetes timestamps), formatted once per second."""
    global _stamp
    second = int(time.time())
    if _stamp[0] != second:
        _stamp = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return _stamp[1]


def meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def owner_ref(owner: Obj) -> Obj:
    m = meta(owner)
    return {
        "apiVersion": owner.get("apiVersion"),
        "kind": owner.get("kind"),
        "name": m["name"],
        "uid": m["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def controller_ref(obj: Obj) -> Obj | None:
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def owned_by(objs: list[Obj], owner: Obj) -> list[Obj]:
    uid = meta(owner).get("uid")
    return [o for o in objs if any(r.get("uid") == uid for r in meta(o).get("ownerReferences") or [])]


def is_ready(pod: Obj) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return bool(c.get("status") == "True")
    return False


def is_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def condition(kind: str, ok: bool, reason: str = "", message: str = "") -> Obj:
    cond: Obj = {"type": kind, "status": "True" if ok else "False"}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def with_conditions(old: list[Obj] | None, new: list[Obj], update_time: bool = False) -> list[Obj]:
    """New conditions, keeping each one's lastTransitionTime while its status (and reason) is unchanged.

    Keeping the old timestamps makes an unchanged status an identical object, so the store skips the
    write and no watch event is sent (as a real controller's no-op update). Only Deployment conditions
    carry lastUpdateTime too (update_time=True)."""
    before = {c.get("type"): c for c in old or []}
    out = []
    for cond in new:
        prev = before.get(cond["type"])
        same = prev and prev.get("status") == cond["status"] and prev.get("reason") == cond.get("reason")
        stamp = prev.get("lastTransitionTime") if same and prev else now_iso()
        times = {"lastTransitionTime": stamp, "lastUpdateTime": stamp} if update_time else {"lastTransitionTime": stamp}
        out.append({**cond, **times})
    return out


def random_suffix(rng: random.Random, n: int = 5) -> str:
    return "".join(rng.choices(SUFFIX_ALPHABET, k=n))


def template_hash(template: Obj) -> str:
    """A stable pod-template-hash (Kubernetes uses FNV over the template; any stable digest will do)."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(SUFFIX_ALPHABET[b % len(SUFFIX_ALPHABET)] for b in digest[:10])


def parse_cpu_m(value: object) -> int:
    """'250m' -> 250, '2' -> 2000, 0.5 -> 500 (millicores); unparsable or missing -> 0."""
    text = str(value or "0")
    try:
        return int(float(text[:-1])) if text.endswith("m") else int(float(text) * 1000)
    except ValueError:
        return 0


def parse_memory(value: object) -> int:
    """'128Mi' -> bytes; plain numbers are bytes; unparsable or missing -> 0."""
    text = str(value or "0")
    for unit, factor in _MEMORY_UNITS.items():
        if text.endswith(unit):
            text, scale = text[: -len(unit)], factor
            break
    else:
        scale = 1
    try:
        return int(float(text) * scale)
    except ValueError:
        return 0
