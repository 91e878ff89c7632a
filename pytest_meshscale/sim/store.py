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

What the store does as kube-apiserver's registry would: every namespace carries the
`kubernetes.io/metadata.name` label; deleting a namespace marks it Terminating (its contents go at once,
new content is refused with 403) and the namespace controller finalizes it (`finalize_namespace`); a
CustomResourceDefinition is checked, established and served (`kinds`), and its kind's watch history starts
there; every write can be a dry run (checked, answered, not stored); lists can be paged (`list_page`).
"""

from __future__ import annotations

import bisect
import builtins
import json
import random
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from .server.crds import crd_problems, crd_status, with_defaults
from .server.events import EventHub, Subscriber
from .server.kinds import Kind, KindRegistry
from .server.kinds import by_resource as builtin_kind
from .server.owners import OwnerIndex
from .server.selectors import SelectorError, field_predicate, label_predicate
from .server.storetypes import ApiError, Event, StoreWatch, clone
from .server.validation import invalid_fields

__all__ = ["CRDS", "NAME_LABEL", "ApiError", "Entry", "Event", "Page", "Store", "StoreWatch", "clone"]

Obj = dict[str, Any]
NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every namespace, always = its name
CRDS = "customresourcedefinitions.apiextensions.k8s.io"
Prepare = Callable[[Obj | None, Obj], None]  # (stored object or None, the object about to be written)


class Page:
    """One page of a list: entries, the list's resourceVersion, the key to continue after, items left."""

    __slots__ = ("entries", "rv", "after", "remaining")

    def __init__(self, entries: builtins.list[Entry], rv: str, after: tuple[str, str] | None,
                 remaining: int | None) -> None:
        self.entries, self.rv, self.after, self.remaining = entries, rv, after, remaining


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
        self.kinds = KindRegistry()
        self._served_since: dict[str, int] = {}  # CRD kinds: watches from before their CRD are 410 Expired
        self._terminating: dict[str, float] = {}  # namespace -> monotonic time its deletion started
        self.write_counts: dict[str, int] = {"create": 0, "update": 0, "delete": 0}
        # Mutating admission (a mesh's sidecar injector): admission(resource, new) may replace new's parts (never
        # change them in place: they may be the caller's) before a create is stored; under the lock, no writes.
        self.admission: builtins.list[Callable[[str, Obj], None]] = []

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

    def list_page(
        self,
        resource: str,
        namespace: str | None,
        label_selector: str | None,
        field_selector: str | None,
        limit: int,
        after: tuple[str, str] | None = None,
    ) -> Page:
        """At most `limit` matching entries in (namespace, name) order after the key `after` (a continue
        token's); stops scanning at the first match past the page, so paging a large kind stays cheap."""
        try:
            labels, fields = label_predicate(label_selector), field_predicate(field_selector)
        except SelectorError as exc:
            raise ApiError(400, "BadRequest", str(exc)) from None
        out: builtins.list[Entry] = []
        with self._lock:
            for _, bucket, names in self._after(resource, namespace, after):
                for name in names:
                    entry = bucket[name]
                    if (labels and not labels(entry.obj["metadata"].get("labels") or {})) or (
                        fields and not fields(entry.obj)
                    ):
                        continue
                    if len(out) == limit:
                        last = out[-1].obj["metadata"]
                        key = (last.get("namespace") or "", last["name"])
                        left = None if labels or fields else self._count_after(resource, namespace, key)
                        return Page(out, str(self._rv), key, left)
                    out.append(entry)
            return Page(out, str(self._rv), None, None)

    def _after(self, resource: str, namespace: str | None, after: tuple[str, str] | None
               ) -> Iterator[tuple[str, dict[str, Entry], builtins.list[str]]]:
        buckets = self._data.get(resource, {})
        for ns in [namespace or ""] if namespace else sorted(buckets):
            if after and ns < after[0]:
                continue
            bucket = buckets.get(ns, {})
            names = sorted(bucket)
            if after and ns == after[0]:
                names = names[bisect.bisect_right(names, after[1]):]
            yield ns, bucket, names

    def _count_after(self, resource: str, namespace: str | None, key: tuple[str, str]) -> int:
        return sum(len(names) for _, _, names in self._after(resource, namespace, key))

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
    def create(self, resource: str, obj: Obj, dry_run: bool = False, prepare: Prepare | None = None) -> Obj:
        """Store a new object; a dry run checks and answers the same (no resourceVersion) and stores nothing.
        `prepare(None, new)` runs under the lock just before the write (it may change `new` or raise)."""
        kind = self.kinds.by_resource(resource)
        meta = dict(obj.get("metadata") or {})
        with self._lock:
            ns = self._scope(kind, resource, meta)
            bucket = self._data.get(resource, {}).get(ns, {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = self._generate_name(str(meta["generateName"]), bucket)
            if resource == "namespaces" and meta.get("name"):
                meta["labels"] = {**(meta.get("labels") or {}), NAME_LABEL: meta["name"]}
            self._validate(kind, resource, meta)
            if meta["name"] in bucket:
                raise ApiError(
                    409,
                    "AlreadyExists",
                    f'{resource} "{meta["name"]}" already exists',
                    ApiError.details_for(resource, meta["name"]),
                )
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=_now(), generation=1)
            meta.pop("deletionTimestamp", None)
            meta.pop("resourceVersion", None)
            new = {**obj, "metadata": meta}
            if kind:
                new["apiVersion"], new["kind"] = obj.get("apiVersion") or kind.api_version(), kind.kind
            self._defaults(resource, new, None)
            for admit in self.admission:
                admit(resource, new)
            if prepare is not None:
                prepare(None, new)
            meta = new["metadata"] = dict(new["metadata"])  # admission or prepare may have replaced it
            if dry_run:
                return new
            self._rv += 1
            meta["resourceVersion"] = str(self._rv)
            self._data.setdefault(resource, {}).setdefault(ns, {})[meta["name"]] = Entry(new)
            self._owners.track((resource, ns, meta["name"]), meta, None)
            if resource == CRDS:
                self._serve(new)
            self._commit("ADDED", resource, new, None)
            self.write_counts["create"] += 1
        self._drain()
        return new

    def update(
        self, resource: str, obj: Obj, subresource: str | None = None, dry_run: bool = False,
        prepare: Prepare | None = None,
    ) -> Obj:
        kind = self.kinds.by_resource(resource)
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
            if prepare is not None:
                prepare(old, new)
            result = self._replace(kind, resource, ns, entry, new, dry_run)
        self._drain()
        return result

    def mutate(
        self, resource: str, namespace: str | None, name: str, fn: Callable[[Obj], None], dry_run: bool = False
    ) -> Obj:
        """Atomic read-modify-write: fn edits a private deep copy in place (spec, status or metadata).

        fn runs under the store lock: keep it short and do not call the store from it.
        """
        with self._lock:
            entry = self._entry(resource, namespace or "", name)
            new = clone(entry.obj)
            fn(new)
            result = self._replace(self.kinds.by_resource(resource), resource, namespace or "", entry, new, dry_run)
        self._drain()
        return result

    def delete(self, resource: str, namespace: str | None, name: str, dry_run: bool = False) -> Obj:
        """Delete now, except a namespace: it turns Terminating and loses its contents at once, and is gone
        when finalize_namespace() is called (the namespace controller does). An owner takes its dependents
        along; a run-time CRD its custom resources. A dry run answers the same and changes nothing."""
        with self._lock:
            entry = self._entry(resource, namespace or "", name)
            if resource == "namespaces":
                result = self._terminate(entry, dry_run)
            elif dry_run:
                result = entry.obj
            else:
                result = self._remove(resource, namespace or "", name)
        self._drain()
        return result

    def finalize_namespace(self, name: str) -> bool:
        """Remove a Terminating namespace (and anything still in it); False when it is not terminating."""
        with self._lock:
            if self._terminating.pop(name, None) is None or self.try_get("namespaces", None, name) is None:
                return False
            self._remove("namespaces", "", name)
        self._drain()
        return True

    def terminating_for(self, name: str) -> float | None:
        """Seconds since the namespace's deletion started, or None when it is not terminating."""
        since = self._terminating.get(name)
        return None if since is None else time.monotonic() - since

    # ---- internals --------------------------------------------------------------------------------
    def _scope(self, kind: Kind | None, resource: str, meta: Obj, check_namespace: bool = True) -> str:
        namespaced = kind.namespaced if kind else bool(meta.get("namespace"))
        if not namespaced:
            meta.pop("namespace", None)
            return ""
        ns = meta.get("namespace")
        if not ns:
            raise ApiError.invalid(resource, str(meta.get("name", "")), [("metadata.namespace", ns, "Required value")])
        if check_namespace:
            home = self._data.get("namespaces", {}).get("", {}).get(ns)
            if home is None:
                raise ApiError.not_found("namespaces", ns)
            if ns in self._terminating:
                name = str(meta.get("name") or meta.get("generateName") or "")
                cause = {"reason": "NamespaceTerminating", "message": f"namespace {ns} is being terminated",
                         "field": "metadata.namespace"}
                raise ApiError(403, "Forbidden", f'{resource} "{name}" is forbidden: unable to create new content in '
                               f"namespace {ns} because it is being terminated",
                               ApiError.details_for(resource, name, [cause]))
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

    def _replace(self, kind: Kind | None, resource: str, ns: str, entry: Entry, new: Obj, dry_run: bool = False) -> Obj:
        old = entry.obj
        old_meta, meta = old["metadata"], dict(new.get("metadata") or {})
        for key in ("uid", "creationTimestamp", "name", "generation", "resourceVersion"):
            meta[key] = old_meta[key]
        if old_meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = old_meta["deletionTimestamp"]  # a deletion cannot be taken back
        if ns:
            meta["namespace"] = ns
        if resource == "namespaces":
            meta["labels"] = {**(meta.get("labels") or {}), NAME_LABEL: meta["name"]}
        new["metadata"] = meta
        if kind:
            new["kind"], new["apiVersion"] = kind.kind, new.get("apiVersion") or kind.api_version()
        self._defaults(resource, new, old)
        if new == old:
            return old  # a no-op write: no new resourceVersion, no event (as the real API server)
        if meta.get("labels") != old_meta.get("labels"):
            self._validate(kind, resource, meta)
        if not _content_equal(new, old, ("metadata", "status", "apiVersion", "kind")):
            meta["generation"] = old_meta["generation"] + 1
        if dry_run:
            return new
        if resource == CRDS:
            self._serve(new)
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
            self._terminating.pop(name, None)
            self._empty_namespace(name)
        if resource == CRDS:
            self._unserve(entry.obj)
        for res, dns, dname in self._owners.orphans_of(meta["uid"]):
            self._collect(res, dns, dname)
        return gone

    def _empty_namespace(self, name: str) -> None:
        for res, buckets in list(self._data.items()):
            for child in list(buckets.get(name, {})):
                if child in buckets.get(name, {}):  # an owner's removal may have collected it already
                    self._remove(res, name, child)

    def _terminate(self, entry: Entry, dry_run: bool) -> Obj:
        """Under the lock: mark a namespace Terminating (MODIFIED) and delete its contents."""
        obj = entry.obj
        if obj["metadata"].get("deletionTimestamp"):
            return obj
        meta = {**obj["metadata"], "deletionTimestamp": _now()}
        new = {**obj, "metadata": meta, "status": {**(obj.get("status") or {}), "phase": "Terminating"}}
        if dry_run:
            return new
        name = meta["name"]
        self._terminating[name] = time.monotonic()
        result = self._replace(self.kinds.by_resource("namespaces"), "namespaces", "", entry, new)
        self._empty_namespace(name)
        return result

    def _defaults(self, resource: str, new: Obj, old: Obj | None) -> None:
        """Under the lock: what the API server fills in or owns (namespace finalizers and phase; CRD status)."""
        if resource == "namespaces":
            new.setdefault("spec", {"finalizers": ["kubernetes"]})
            if old is None:
                new["status"] = {"phase": "Active"}
        elif resource == CRDS:
            crd = with_defaults(new)
            problems = crd_problems(crd)
            if problems:
                raise ApiError.invalid("CustomResourceDefinition", str(new["metadata"].get("name", "")), problems)
            new["spec"], new["status"] = crd["spec"], crd_status(crd)

    def _serve(self, crd: Obj) -> None:
        """Under the lock: the CRD's kind is served from now on; older watch positions are too old for it."""
        kind = self.kinds.register(crd)
        resource = kind.resource if kind else crd["metadata"]["name"]
        self._served_since.setdefault(resource, self._rv)

    def _unserve(self, crd: Obj) -> None:
        """Under the lock: a run-time CRD's custom resources go with it (a built-in kind stays served)."""
        resource = str(crd["metadata"]["name"])
        if builtin_kind(resource) is not None:
            return
        for ns, bucket in list(self._data.get(resource, {}).items()):
            for name in list(bucket):
                self._remove(resource, ns, name)
        self.kinds.unregister(resource)
        self._served_since.pop(resource, None)

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
            floor = self._served_since.get(resource, 0)
            if resource_version not in (None, "", "0") and str(resource_version).isdigit() and (
                int(resource_version) < floor
            ):
                raise ApiError(410, "Expired", f"too old resource version: {resource_version} ({floor})")
            w = StoreWatch(self._events.close_watch, resource, namespace or None, self._rv)
            snapshot = ((self._rv, "ADDED", resource, e.obj, None) for e in self._iter(resource, namespace))
            return self._events.open_watch(w, resource_version, snapshot)

    def _commit(self, kind: str, resource: str, obj: Obj, previous: Obj | None) -> None:
        self._events.commit((self._rv, kind, resource, obj, previous))

    def _drain(self) -> None:
        self._events.drain()
