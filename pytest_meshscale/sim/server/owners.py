"""Who owns whom, for garbage collection: live uids and, per owner uid, the objects whose
ownerReferences name it. Kept by the store under its lock."""

from __future__ import annotations

from typing import Any

__all__ = ["Key", "OwnerIndex"]

Key = tuple[str, str, str]  # (resource, namespace or "", name)


class OwnerIndex:
    def __init__(self) -> None:
        self._uids: dict[str, Key] = {}
        self._dependents: dict[str, set[Key]] = {}

    def alive(self, uid: str | None) -> bool:
        return uid in self._uids

    def track(self, key: Key, meta: dict[str, Any] | None, old_meta: dict[str, Any] | None) -> None:
        """Record a create (old_meta None), an update, or a delete (meta None)."""
        if meta is not None:
            self._uids[meta["uid"]] = key
        elif old_meta is not None:
            self._uids.pop(old_meta["uid"], None)
        old_refs = (old_meta or {}).get("ownerReferences") or []
        new_refs = (meta or {}).get("ownerReferences") or []
        if old_refs == new_refs and meta is not None:
            return
        for ref in old_refs:
            self._dependents.get(ref.get("uid", ""), set()).discard(key)
        for ref in new_refs:
            self._dependents.setdefault(ref.get("uid", ""), set()).add(key)

    def orphans_of(self, uid: str) -> list[Key]:
        """The dependents of a deleted owner, forgotten here; the store decides whether each still has an owner."""
        return sorted(self._dependents.pop(uid, set()))
