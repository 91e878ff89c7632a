"""The simulated cluster's in-memory object store: the one contract the API server, the controllers and
the world code against.

Objects are plain JSON-shaped dicts keyed by resource ("pods", "deployments.apps", "<plural>.<group>"),
namespace ("" for cluster-scoped kinds) and name. Speed matters (the full profile holds ~52,000 pods),
so the store shares dicts instead of copying them. The ownership rule:

- objects returned by get/try_get/list/create/update/mutate/delete and passed to subscribers are the
  store's own: NEVER mutate them (copy first, or use `mutate`);
- create/update take ownership of the dict you pass in (its top level and metadata are copied; nested
  values such as spec are kept): do not change it afterwards.

Subscribers are called for every change, in commit order, outside the store lock (they may call the
store; writes they make are delivered after the current event has reached every subscriber).
"""

from __future__ import annotations

import builtins
import json
import random
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from .server.events import EventHub, Subscriber
from .server.kinds import Kind, by_resource
from .server.owners import OwnerIndex
from .server.selectors import SelectorError, field_predicate, label_predicate
from .server.storetypes import ApiError, Event, StoreWatch, clone
from .server.validation import invalid_fields

__all__ = ["ApiError", "Entry", "Event", "Store", "StoreWatch", "clone"]

Obj = dict[str, Any]


class Entry:
    """A stored object plus its JSON encoding, made once on first read (lists of 50k pods stay fast)."""

    __slots__ = ("_cache", "obj")

    def __init__(self, obj: Obj) -> None:
        self.obj = obj
        self._cache: tuple[Obj, bytes] | None = None

    def json(self) -> bytes:
        # The cache remembers which dict it encodes: a writer swapping `obj` mid-encode cannot leave
        # the old object's bytes behind for the new one.
        obj, cache = self.obj, self._cache
        if cache is not None and cache[0] is obj:
            return cache[1]
        raw = json.dumps(obj, separators=(",", ":")).encode()
        self._cache = (obj, raw)
        return raw


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _content_equal(a: Obj, b: Obj, skip: tuple[str, ...]) -> bool:
    keys = (set(a) | set(b)) - set(skip)
    return all(a.get(k) == b.get(k) for k in keys)


class Store:
    """Thread-safe object store with ordered change notification, watches and GC (see module doc)."""

    def __init__(self, history: int = 250_000) -> None:
        self._lock = threading.RLock()
        self._data: dict[str, dict[str, dict[str, Entry]]] = {}
        self._rv = 0
        self._events = EventHub(history, self._lock)
        self._owners = OwnerIndex()
        self.write_counts: dict[str, int] = {"create": 0, "update": 0, "delete": 0}

    # ---- reads ----------------------------------------------------------------------------------
    @property
    def resource_version(self) -> str:
        return str(self._rv)

    def get(self, resource: str, namespace: str | None, name: str) -> Obj:
        with self._lock:
            return self._entry(resource, namespace or "", name).obj

    def get_entry(self, resource: str, namespace: str | None, name: str) -> Entry:
        with self._lock:
            return self._entry(resource, namespace or "", name)

    def try_get(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        entry = self._data.get(resource, {}).get(namespace or "", {}).get(name)
        return entry.obj if entry else None

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[builtins.list[Obj], str]:
        entries, rv = self.list_entries(resource, namespace, label_selector, field_selector)
        return [e.obj for e in entries], rv

    def list_entries(
        self,
        resource: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[builtins.list[Entry], str]:
        try:
            labels, fields = label_predicate(label_selector), field_predicate(field_selector)
        except SelectorError as exc:
            raise ApiError(400, "BadRequest", str(exc)) from None
        with self._lock:
            entries = list(self._iter(resource, namespace))
            rv = str(self._rv)
        if labels:
            entries = [e for e in entries if labels(e.obj["metadata"].get("labels") or {})]
        if fields:
            entries = [e for e in entries if fields(e.obj)]
        return entries, rv

    def object_counts(self) -> dict[str, int]:
        with self._lock:
            return {r: sum(len(b) for b in nss.values()) for r, nss in self._data.items()}

    def _iter(self, resource: str, namespace: str | None) -> Iterator[Entry]:
        buckets = self._data.get(resource, {})
        names = [namespace] if namespace else sorted(buckets)
        for ns in names:
            bucket = buckets.get(ns, {})
            for name in sorted(bucket):
                yield bucket[name]

    def _entry(self, resource: str, namespace: str, name: str) -> Entry:
        entry = self._data.get(resource, {}).get(namespace, {}).get(name)
        if entry is None:
            raise ApiError.not_found(resource, name)
        return entry

    # ---- writes ---------------------------------------------------------------------------------
    def create(self, resource: str, obj: Obj) -> Obj:
        kind = by_resource(resource)
        meta = dict(obj.get("metadata") or {})
        with self._lock:
            ns = self._scope(kind, resource, meta)
            bucket = self._data.setdefault(resource, {}).setdefault(ns, {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = self._generate_name(str(meta["generateName"]), bucket)
            self._validate(kind, resource, meta)
            if meta["name"] in bucket:
                raise ApiError(
                    409,
                    "AlreadyExists",
                    f'{resource} "{meta["name"]}" already exists',
                    ApiError.details_for(resource, meta["name"]),
                )
            self._rv += 1
            meta.update(uid=str(uuid.uuid4()), resourceVersion=str(self._rv), creationTimestamp=_now(), generation=1)
            meta.pop("deletionTimestamp", None)
            new = {**obj, "metadata": meta}
            if kind:
                new["apiVersion"], new["kind"] = obj.get("apiVersion") or kind.api_version(), kind.kind
            if resource == "namespaces":
                new["status"] = {"phase": "Active"}
            bucket[meta["name"]] = Entry(new)
            self._owners.track((resource, ns, meta["name"]), meta, None)
            self._commit("ADDED", resource, new, None)
            self.write_counts["create"] += 1
        self._drain()
        return new

    def update(self, resource: str, obj: Obj, subresource: str | None = None) -> Obj:
        kind = by_resource(resource)
        meta = obj.get("metadata") or {}
        with self._lock:
            ns = self._scope(kind, resource, meta, check_namespace=False)
            entry = self._entry(resource, ns, str(meta.get("name", "")))
            old = entry.obj
            stale = meta.get("resourceVersion")
            if stale and stale != old["metadata"]["resourceVersion"]:
                raise ApiError.conflict(resource, old["metadata"]["name"])
            if subresource == "status":
                new = {**old, "status": obj.get("status")}
            else:
                new = {**obj, "metadata": dict(meta)}
                if kind and kind.status:
                    new.pop("status", None)
                    if "status" in old:
                        new["status"] = old["status"]
            result = self._replace(kind, resource, ns, entry, new)
        self._drain()
        return result

    def mutate(self, resource: str, namespace: str | None, name: str, fn: Callable[[Obj], None]) -> Obj:
        """Atomic read-modify-write: fn edits a private deep copy in place (spec, status or metadata).

        fn runs under the store lock: keep it short and do not call the store from it.
        """
        with self._lock:
            entry = self._entry(resource, namespace or "", name)
            new = clone(entry.obj)
            fn(new)
            result = self._replace(by_resource(resource), resource, namespace or "", entry, new)
        self._drain()
        return result

    def delete(self, resource: str, namespace: str | None, name: str) -> Obj:
        """Delete now; a namespace takes everything in it along, an owner takes its dependents."""
        with self._lock:
            self._entry(resource, namespace or "", name)
            removed = self._remove(resource, namespace or "", name)
        self._drain()
        return removed

    # ---- internals --------------------------------------------------------------------------------
    def _scope(self, kind: Kind | None, resource: str, meta: Obj, check_namespace: bool = True) -> str:
        namespaced = kind.namespaced if kind else bool(meta.get("namespace"))
        if not namespaced:
            meta.pop("namespace", None)
            return ""
        ns = meta.get("namespace")
        if not ns:
            raise ApiError.invalid(resource, str(meta.get("name", "")), [("metadata.namespace", ns, "Required value")])
        if check_namespace and ns not in self._data.get("namespaces", {}).get("", {}):
            raise ApiError.not_found("namespaces", ns)
        return str(ns)

    def _generate_name(self, prefix: str, bucket: dict[str, Entry]) -> str:
        while True:
            name = prefix + "".join(random.choices(string.ascii_lowercase + string.digits, k=5))
            if name not in bucket:
                return name

    def _validate(self, kind: Kind | None, resource: str, meta: Obj) -> None:
        errors = invalid_fields(resource, meta)
        if errors:
            raise ApiError.invalid(kind.kind if kind else resource, str(meta.get("name", "")), errors)

    def _replace(self, kind: Kind | None, resource: str, ns: str, entry: Entry, new: Obj) -> Obj:
        old = entry.obj
        old_meta, meta = old["metadata"], dict(new.get("metadata") or {})
        for key in ("uid", "creationTimestamp", "name", "generation", "resourceVersion"):
            meta[key] = old_meta[key]
        if ns:
            meta["namespace"] = ns
        new["metadata"] = meta
        if kind:
            new["kind"], new["apiVersion"] = kind.kind, new.get("apiVersion") or kind.api_version()
        if new == old:
            return old  # a no-op write: no new resourceVersion, no event (as the real API server)
        if meta.get("labels") != old_meta.get("labels"):
            self._validate(kind, resource, meta)
        if not _content_equal(new, old, ("metadata", "status", "apiVersion", "kind")):
            meta["generation"] = old_meta["generation"] + 1
        self._rv += 1
        meta["resourceVersion"] = str(self._rv)
        self._owners.track((resource, ns, meta["name"]), meta, old_meta)
        entry.obj = new
        self._commit("MODIFIED", resource, new, old)
        self.write_counts["update"] += 1
        return new

    def _remove(self, resource: str, ns: str, name: str) -> Obj:
        entry = self._data[resource][ns].pop(name)
        self._rv += 1
        meta = {**entry.obj["metadata"], "resourceVersion": str(self._rv), "deletionTimestamp": _now()}
        gone = {**entry.obj, "metadata": meta}
        self._owners.track((resource, ns, name), None, meta)
        self._commit("DELETED", resource, gone, None)
        self.write_counts["delete"] += 1
        if resource == "namespaces":
            for res, buckets in list(self._data.items()):
                for child in list(buckets.get(name, {})):
                    self._remove(res, name, child)
        for res, dns, dname in self._owners.orphans_of(meta["uid"]):
            self._collect(res, dns, dname)
        return gone

    def _collect(self, resource: str, ns: str, name: str) -> None:
        """Garbage-collect a dependent whose owner went away, unless another owner still exists."""
        entry = self._data.get(resource, {}).get(ns, {}).get(name)
        if entry is None:
            return
        owners = entry.obj["metadata"].get("ownerReferences") or []
        if not any(self._owners.alive(o.get("uid")) for o in owners):
            self._remove(resource, ns, name)

    # ---- events -----------------------------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> None:
        """callback(event_type, resource, obj) for every change from now on, in order, outside the lock."""
        with self._lock:
            self._events.subscribers.append(callback)

    def unsubscribe(self, callback: Subscriber) -> None:
        with self._lock:
            self._events.subscribers.remove(callback)

    def watch(self, resource: str, namespace: str | None = None, resource_version: str | None = None) -> StoreWatch:
        """A watch from resource_version (None/""/"0": synthetic ADDED for what exists now, then changes).
        Raises ApiError 410 Expired when resource_version is older than the kept history."""
        with self._lock:
            w = StoreWatch(self._events.close_watch, resource, namespace or None, self._rv)
            snapshot = ((self._rv, "ADDED", resource, e.obj, None) for e in self._iter(resource, namespace))
            return self._events.open_watch(w, resource_version, snapshot)

    def _commit(self, kind: str, resource: str, obj: Obj, previous: Obj | None) -> None:
        self._events.commit((self._rv, kind, resource, obj, previous))

    def _drain(self) -> None:
        self._events.drain()
