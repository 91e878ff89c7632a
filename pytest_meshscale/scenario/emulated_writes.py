"""What the emulated mesh clients write, and when (scenario/api_clients.py runs them): the churn reaches a
client through its own watches (its node's pods, the namespaces, the operator's CiliumEndpoints), and each
write its data file names is made as its upstream code makes it, through the client's rate limit. One body
builder per written resource: a mesh that writes something new adds its builder here."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..cluster.async_api import AsyncKube
from ..model.api_clients import ClientWatch, ClientWrite, WriteCall

if TYPE_CHECKING:
    from .api_clients import EmulationCounts, Instance

__all__ = ["Writer"]

Handler = Callable[[str, dict[str, Any]], Awaitable[None]]
BodyBuilder = Callable[[ClientWrite, Mapping[str, Any], int, Mapping[str, str]], WriteCall]
IGNORED_POD_LABELS = frozenset({"pod-template-hash", "controller-revision-hash", "pod-template-generation"})
IGNORED_NS_LABELS = frozenset({"kubernetes.io/metadata.name"})
CLEANUP_CONCURRENCY = 8


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _running(pod: Mapping[str, Any]) -> bool:
    """Running with an IP of its own: a hostNetwork pod has no endpoint (Cilium manages no host-network pods)."""
    status = pod.get("status") or {}
    own_net = not (pod.get("spec") or {}).get("hostNetwork")
    return own_net and status.get("phase") == "Running" and bool(status.get("podIP"))


@dataclass
class Slice:
    name: str
    namespace: str
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: bool = False
    version: str = ""  # its resourceVersion: an update of a custom resource must carry it


class Writer:
    def __init__(self, kube: AsyncKube, counts: EmulationCounts, run_id: str, served: set[tuple[str, str, str]],
                 labels: Mapping[str, str], bodies: Mapping[str, BodyBuilder]) -> None:
        self.kube, self.counts, self.run_id, self.served, self.labels = kube, counts, run_id, served, dict(labels)
        self.bodies = dict(bodies)
        self.tag = run_id.rsplit("-", 1)[-1]
        self.identities: dict[str, int] = {}  # label set -> CiliumIdentity number, shared by every agent
        self.next_identity = 20000 + zlib.crc32(run_id.encode()) % 30000
        self.created: list[str] = []  # paths to delete at cleanup, in creation order
        self.crds: list[str] = []
        self.slices: dict[str, Slice] = {}  # CiliumEndpoint ns/name -> its slice
        self.open_slices: dict[str, Slice] = {}  # namespace -> the slice still taking members
        self.dirty: set[str] = set()
        self._flushers: dict[int, asyncio.Task[None]] = {}
        self._buckets: dict[int, Any] = {}

    # -- setup and cleanup
    async def ensure_crds(self, crds: Iterable[dict[str, Any]]) -> None:
        """The operator's start: create the CRDs the API server does not serve yet (stand-ins), until Established."""
        path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        for crd in crds:
            spec = crd["spec"]
            if all((spec["group"], v["name"], spec["names"]["plural"]) in self.served for v in spec["versions"]):
                continue
            body = {**crd, "metadata": {**crd["metadata"], "labels": self.labels}}
            status, _ = await self.kube.request("POST", path, body)
            self.counts.writes[("create", "customresourcedefinitions", status)] += 1
            if status in (200, 201):
                self.crds.append(f"{path}/{crd['metadata']['name']}")
                await self._established(f"{path}/{crd['metadata']['name']}")

    async def _established(self, path: str, timeout_s: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            _, doc = await self.kube.request("GET", path)
            conditions = ((doc or {}).get("status") or {}).get("conditions") or []
            if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
                return
            await asyncio.sleep(0.2)

    async def cleanup(self) -> None:
        for task in self._flushers.values():
            task.cancel()
        gate = asyncio.Semaphore(CLEANUP_CONCURRENCY)

        async def delete(path: str) -> None:
            async with gate:
                await self.kube.request("DELETE", path)

        await asyncio.gather(*(delete(p) for p in reversed(self.created)), return_exceptions=True)
        await asyncio.gather(*(delete(p) for p in self.crds), return_exceptions=True)

    # -- which watch feeds which writes
    def handler(self, inst: Instance, w: ClientWatch) -> Handler | None:
        whens = {x.when for x in inst.client.writes}
        if w.resource == "pods" and "{node}" in w.field and whens & {"pod-running", "pod-deleted"}:
            return lambda kind, obj: self._pod(inst, kind, obj)
        if w.resource == "namespaces" and (whens & {"namespace-relabelled"} or any(
                x.only_if_namespace_label for x in inst.client.writes)):
            return lambda kind, obj: self._namespace(inst, kind, obj)
        if w.resource == "ciliumendpoints" and "endpoint-changed" in whens:
            return lambda kind, obj: self._endpoint(inst, kind, obj)
        return None

    async def _fire(self, inst: Instance, when: str, pod: dict[str, Any]) -> None:
        for write in inst.client.writes:
            if write.when == when and self._applies(inst, write, pod):
                await self._write(inst, write, pod)

    def _applies(self, inst: Instance, write: ClientWrite, pod: Mapping[str, Any]) -> bool:
        if write.only_if_namespace_label:
            key, _, value = write.only_if_namespace_label.partition("=")
            return inst.namespaces.get(_meta(pod).get("namespace", ""), {}).get(key) == value
        return (write.group, write.version, write.resource) in self.served

    async def _pod(self, inst: Instance, kind: str, pod: dict[str, Any]) -> None:
        uid = _meta(pod).get("uid", "")
        if kind == "DELETED":
            if inst.pods.pop(uid, None) is not None:
                await self._fire(inst, "pod-deleted", pod)
        elif uid not in inst.pods and _running(pod):
            inst.pods[uid] = pod
            await self._fire(inst, "pod-running", pod)

    async def _namespace(self, inst: Instance, kind: str, ns: dict[str, Any]) -> None:
        name = _meta(ns).get("name", "")
        labels = {k: v for k, v in (_meta(ns).get("labels") or {}).items() if k not in IGNORED_NS_LABELS}
        before = inst.namespaces.get(name)
        inst.namespaces[name] = labels
        if kind == "MODIFIED" and before is not None and before != labels:
            for pod in [p for p in inst.pods.values() if _meta(p).get("namespace") == name]:
                await self._fire(inst, "namespace-relabelled", pod)

    # -- the writes
    def _identity_key(self, inst: Instance, pod: Mapping[str, Any]) -> str:
        ns = _meta(pod).get("namespace", "")
        labels = {k: v for k, v in (_meta(pod).get("labels") or {}).items() if k not in IGNORED_POD_LABELS}
        return repr((ns, sorted(labels.items()), sorted(inst.namespaces.get(ns, {}).items())))

    async def _write(self, inst: Instance, write: ClientWrite, pod: dict[str, Any]) -> None:
        if write.resource == "ciliumidentities":
            key = self._identity_key(inst, pod)
            if key in self.identities:  # once per label set: another agent allocated it already
                return
            self.identities[key] = self.next_identity
            self.next_identity += 1
        call = self._request(inst, write, pod)
        await inst.bucket.take()
        status, _ = await self.kube.request(call.method, call.path, call.body, content_type=call.content_type)
        self.counts.writes[(write.verb, write.resource, status)] += 1
        if call.method == "POST" and status in (200, 201):
            self.created.append(f"{call.path}/{call.body['metadata']['name']}")
        elif status >= 400 and status != 404:
            self.counts.error(f"{inst.name} {write.verb} {write.resource}: HTTP {status}")

    def _request(self, inst: Instance, write: ClientWrite, pod: Mapping[str, Any]) -> WriteCall:
        build = self.bodies.get(write.resource)
        if build is None:
            raise ValueError(f"no emulation of {write.verb} {write.resource}: add its body to "
                             f"meshes/<mesh>/api_writes.py (BODIES)")
        return build(write, pod, self.identities.get(self._identity_key(inst, pod), 0), self.labels)

    # -- the operator: CiliumEndpoints batched into CiliumEndpointSlices
    async def _endpoint(self, inst: Instance, kind: str, cep: dict[str, Any]) -> None:
        write = next(w for w in inst.client.writes if w.when == "endpoint-changed")
        if (write.group, write.version, write.resource) not in self.served:
            return
        ns, name = _meta(cep).get("namespace", ""), _meta(cep).get("name", "")
        key = f"{ns}/{name}"
        ces = self.slices.get(key) or self._slice_for(ns, write.per_object or 100)
        self.slices[key] = ces
        if kind == "DELETED":
            ces.members.pop(key, None)
            self.slices.pop(key, None)
        else:
            ces.members[key] = {"name": name, **(cep.get("status") or {})}
        self.dirty.add(ces.name)
        if id(write) not in self._flushers:
            from .api_clients import Bucket

            self._buckets[id(write)] = Bucket(write.qps or inst.client.qps, write.burst or inst.client.burst)
            self._flushers[id(write)] = asyncio.ensure_future(self._flush(inst, write))

    def _slice_for(self, ns: str, size: int) -> Slice:
        current = self.open_slices.get(ns)
        if current is None or len(current.members) >= size:
            current = Slice(f"ces-{self.tag}-{len(self.open_slices)}-{zlib.crc32(ns.encode()) % 10**6}", ns)
            self.open_slices[ns] = current
        return current

    async def _flush(self, inst: Instance, write: ClientWrite) -> None:
        by_name = {s.name: s for s in self.slices.values()}
        while True:
            await asyncio.sleep(write.batch_s or 0.5)
            by_name.update({s.name: s for s in self.slices.values()} | {s.name: s for s in self.open_slices.values()})
            dirty, self.dirty = self.dirty, set()
            for name in sorted(dirty):
                await self._put_slice(inst, write, by_name[name])

    async def _put_slice(self, inst: Instance, write: ClientWrite, ces: Slice) -> None:
        batch = {"name": ces.name, "namespace": ces.namespace, "members": list(ces.members.values()),
                 "version": ces.version}
        call = self.bodies[write.resource](write, batch, 0, self.labels)
        await self._buckets[id(write)].take()
        status, doc = await self.kube.request(call.method, call.path, call.body, content_type=call.content_type)
        self.counts.writes[("update" if ces.created else "create", write.resource, status)] += 1
        if status in (200, 201) and doc:
            ces.version = str(_meta(doc).get("resourceVersion", ""))
        if not ces.created and status in (200, 201):
            ces.created = True
            self.created.append(f"{call.path}/{ces.name}")
        elif status >= 400:
            self.counts.error(f"{inst.name} {call.method} {write.resource}/{ces.name}: HTTP {status}")
