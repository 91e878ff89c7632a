"""The EMULATED API-server clients of a mesh (fixtures/meshes/<mesh>/api-clients.yaml): every instance (a
cilium-agent per node, istiod, ...) LISTs and WATCHes what its informers do, at its client-go rate limit, and
writes what its upstream code writes when the churn reaches it (a CiliumEndpoint per pod started on its node,
a CiliumIdentity per new label set, the operator's batched CiliumEndpointSlices, istio-cni's pod annotation).
Watch events are counted and dropped, except those a write depends on (the node's pods, namespaces, the
operator's CiliumEndpoints). Every object written carries the run's labels and is deleted at stop().

What this is not: the mesh. No datapath, no xDS, no policy computation; only the request pattern against the
API server, which on kwok is real (kube-apiserver + etcd) and answers as it would the real clients.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .. import progress
from ..cluster.async_api import AsyncKube, lean_tls_loop, resource_path
from ..cluster.base import MANAGED_BY_LABEL, RUN_LABEL, Cluster, ClusterError
from ..data.api_clients import load_api_clients, load_crds
from ..model.api_clients import ApiClient, ClientWatch, MeshClients
from .emulated_writes import Writer

__all__ = ["ApiClientsEmulator", "EmulationCounts", "NotWarm", "statement"]

WATCH_TIMEOUT_S = (300, 600)  # client-go's reflector: minWatchTimeout 5 min, times 1 + rand
START_CONCURRENCY = 64  # connections opened at once while starting: a ramp, not a thundering herd
PROGRESS_S = 30.0
STALL_S = 180.0  # no informer synced for this long: the API server is not keeping up, or something is wrong


def statement(mesh: str, clients: MeshClients, nodes: int) -> str:
    """The one line every report of these figures carries."""
    made = ", ".join(f"{c.count(nodes)} {c.name}" for c in clients.clients if c.watches or c.writes)
    return (f"EMULATED clients ({mesh}: {made}; fixtures/meshes/{mesh}/api-clients.yaml): their LISTs, WATCHes "
            "and churn-driven writes at their client-go rate limits are made by pytest-meshscale, not by the mesh")


class NotWarm(ClusterError):
    """The emulated clients' informers did not all get their first LIST: the window cannot start. Not a "not
    measured" (that is for a cluster that denies /metrics): the run fails and says how far it got."""


@dataclass
class EmulationCounts:
    lists: int = 0
    watches_started: int = 0
    watches_open: int = 0
    events: int = 0  # watch events received (bookmarks included), then dropped
    writes: Counter[tuple[str, str, int]] = field(default_factory=Counter)  # (verb, resource, HTTP status)
    not_served: set[str] = field(default_factory=set)  # group/version/resource the API server does not serve
    errors: list[str] = field(default_factory=list)  # the first few, one line each

    def error(self, line: str) -> None:
        if len(self.errors) < 20:
            self.errors.append(line)


class Bucket:
    """client-go's token bucket (flowcontrol.NewTokenBucketRateLimiter): `burst` at once, then `qps`."""

    def __init__(self, qps: float, burst: int) -> None:
        self.qps, self.burst = qps, max(burst, 1)
        self.tokens, self.at = float(self.burst), time.monotonic()

    async def take(self) -> None:
        if self.qps <= 0:
            return
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.qps)
        self.at = now
        self.tokens -= 1
        if self.tokens < 0:
            await asyncio.sleep(-self.tokens / self.qps)


@dataclass
class Instance:
    client: ApiClient
    node: str  # "" for a cluster-wide client
    bucket: Bucket
    pods: dict[str, dict[str, Any]] = field(default_factory=dict)  # uid -> pod, of the pods it handled
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> labels

    @property
    def name(self) -> str:
        return f"{self.client.name}@{self.node}" if self.node else self.client.name


class ApiClientsEmulator:
    """`with ApiClientsEmulator(cluster, "cilium", nodes) as em:` (started, warm) ... counts in em.counts."""

    def __init__(self, cluster: Cluster, mesh: str, nodes: Sequence[str], seed: int = 0) -> None:
        self.cluster, self.mesh, self.nodes = cluster, mesh, list(nodes)
        self.clients = load_api_clients(mesh)
        self.counts = EmulationCounts()
        self.statement = statement(mesh, self.clients, len(self.nodes))
        self._rng = random.Random(seed)
        self._loop = lean_tls_loop()  # 16 KB per connection, not 256
        self._thread = threading.Thread(target=self._loop.run_forever, name="meshscale-api-clients", daemon=True)
        self._tasks: list[asyncio.Task[None]] = []
        self._kube: AsyncKube | None = None
        self.writer: Writer | None = None
        self._pending = 0
        self._warm = threading.Event()
        self.synced_s: float | None = None  # start() to every informer's first LIST

    # -- lifecycle (called from the test's thread)
    def start(self, timeout_s: float = 300, stall_s: float = STALL_S,
              say: Callable[[str], None] = progress.say) -> ApiClientsEmulator:
        """Start every informer and wait until each has its first LIST. At 1,000 nodes that is ~16,000 LISTs,
        many of every EndpointSlice, and takes minutes on 2 cores: progress every PROGRESS_S through `say`, and
        NotWarm when no informer synced for `stall_s` or all of them not within `timeout_s`."""
        t0 = time.monotonic()
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout_s)
        total, last_done, last_change = self._pending, -1, t0
        while not self._warm.wait(min(PROGRESS_S, max(0.0, t0 + timeout_s - time.monotonic()))):
            now, done = time.monotonic(), total - self._pending
            if done != last_done:
                last_done, last_change = done, now
            say(f"meshscale: emulated {self.mesh} clients: {done} of {total} informers synced ({now - t0:.0f} s)")
            if now - last_change >= stall_s or now - t0 >= timeout_s:
                why = f"none synced for {now - last_change:.0f} s" if now - last_change >= stall_s \
                    else f"not all within {timeout_s:g} s"
                raise NotWarm(f"emulated {self.mesh} clients: {self._pending} of {total} informers have no first "
                              f"LIST ({why}); first errors: {'; '.join(self.counts.errors[:3]) or 'none'}")
        self.synced_s = time.monotonic() - t0
        return self

    def stop(self, timeout_s: float = 120) -> None:
        if not self._thread.is_alive():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout_s)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> ApiClientsEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inside the loop
    async def _start(self) -> None:
        self._kube = kube = AsyncKube(self.cluster.kubeconfig, getattr(self.cluster, "context", None))
        await kube.open()
        served = await self._served()
        self.writer = Writer(kube, self.counts, self.cluster.run_id, served, self._labels(), write_bodies(self.mesh))
        await self.writer.ensure_crds(load_crds(self.clients))
        served |= await self._served()
        self.writer.served = served
        instances = [Instance(c, node, Bucket(c.qps, c.burst)) for c in self.clients.clients
                     for node in (self.nodes if c.per_node else [""] * c.replicas)]
        gate = asyncio.Semaphore(START_CONCURRENCY)
        for inst in instances:
            for w in inst.client.watches:
                if (w.group, w.version, w.resource) not in served:
                    self.counts.not_served.add(f"{w.api_version}/{w.resource}")
                    continue
                self._pending += 1
                self._tasks.append(asyncio.ensure_future(self._informer(inst, w, gate)))
        if not self._pending:
            self._warm.set()

    def _labels(self) -> dict[str, str]:
        return {RUN_LABEL: self.cluster.run_id, MANAGED_BY_LABEL: "pytest-meshscale",
                "meshscale.io/emulated": "true"}

    async def _served(self) -> set[tuple[str, str, str]]:
        """(group, version, resource) the API server serves, from discovery."""
        assert self._kube is not None
        wanted = {(w.group, w.version) for c in self.clients.clients for w in c.watches}
        wanted |= {(w.group, w.version) for c in self.clients.clients for w in c.writes}
        out: set[tuple[str, str, str]] = set()
        for group, version in sorted(wanted):
            status, doc = await self._kube.request("GET", f"/apis/{group}/{version}" if group else f"/api/{version}")
            if status == 200 and doc:
                out |= {(group, version, r["name"]) for r in doc.get("resources") or [] if "/" not in r["name"]}
        return out

    async def _informer(self, inst: Instance, w: ClientWatch, gate: asyncio.Semaphore) -> None:
        assert self._kube is not None and self.writer is not None
        path = resource_path(w.group, w.version, w.resource)
        query = {"fieldSelector": w.field.replace("{node}", inst.node)} if w.field else {}
        handler = self.writer.handler(inst, w)
        synced = False
        while True:
            try:
                async with gate if not synced else _Nothing():
                    await inst.bucket.take()
                    rv = await self._list(inst, path, {**query, "resourceVersion": "0"}, handler)
                    if not synced:
                        synced = True
                        self._pending -= 1
                        if self._pending == 0:
                            self._warm.set()
                while rv:
                    await inst.bucket.take()
                    timeout = str(self._rng.randint(*WATCH_TIMEOUT_S))
                    watch_q = {**query, "resourceVersion": rv, "allowWatchBookmarks": "true", "timeoutSeconds": timeout}
                    self.counts.watches_started += 1
                    opened = _Opened(self.counts)  # open once the server answered, not while it is still queued
                    try:
                        rv = await self._kube.watch(path, watch_q, _Chunks(self.counts, handler), opened) or rv
                    finally:
                        opened.close()
            except asyncio.CancelledError:
                raise
            except (TimeoutError, aiohttp.ClientError, ClusterError, KeyError, ValueError) as exc:
                self.counts.error(f"{inst.name} {w.resource}: {type(exc).__name__}: {exc}"[:300])
                await asyncio.sleep(1 + self._rng.random())  # then LIST again, as a reflector does

    async def _list(self, inst: Instance, path: str, query: dict[str, str], handler: Any) -> str:
        """The informer's LIST; its items are decoded only for a client whose writes act on them (the node's
        pods, namespaces...), the rest stream through and are dropped (AsyncKube.list_version)."""
        assert self._kube is not None
        if handler is None:
            status, rv = await self._kube.list_version(path, query)
        else:
            status, doc = await self._kube.request("GET", path, query=query)
            rv = str(((doc or {}).get("metadata") or {}).get("resourceVersion") or "")
        self.counts.lists += 1
        if status != 200:
            raise ClusterError(f"{inst.name}: LIST {path}: HTTP {status}")
        if not rv:
            raise ClusterError(f"{inst.name}: LIST {path}: no resourceVersion in the list's metadata")
        if handler is not None:
            for item in doc.get("items") or []:
                await handler("ADDED", item)
        return rv

    async def _stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            if self.writer is not None:
                await self.writer.cleanup()
        finally:
            if self._kube is not None:
                await self._kube.close()


def write_bodies(mesh: str) -> dict[str, Any]:
    """The write bodies of the mesh and of the meshes it includes (meshes/<mesh>/api_writes.py BODIES), found
    by the mesh's folder name: a mesh that writes adds that module, nothing here."""
    bodies: dict[str, Any] = {}
    for name in (mesh, *load_api_clients(mesh).includes):
        try:
            module = importlib.import_module(f"{__package__.rsplit('.', 1)[0]}.meshes.{name.replace('-', '_')}"
                                             ".api_writes")
        except ModuleNotFoundError:
            continue
        bodies.update(module.BODIES)
    return bodies


class _Nothing:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


class _Opened:
    """Counts one watch in `watches_open` from the server's 200 to its end."""

    def __init__(self, counts: EmulationCounts) -> None:
        self.counts, self.open = counts, False

    def __call__(self) -> None:
        self.open = True
        self.counts.watches_open += 1

    def close(self) -> None:
        if self.open:
            self.open = False
            self.counts.watches_open -= 1


class _Chunks:
    """Counts a watch's events as they stream in; parses whole lines only for a client that acts on them."""

    def __init__(self, counts: EmulationCounts, handler: Any) -> None:
        self.counts, self.handler, self.rest = counts, handler, b""

    async def __call__(self, chunk: bytes) -> None:
        self.counts.events += chunk.count(b"\n")
        if self.handler is None:
            return
        data = self.rest + chunk
        *lines, self.rest = data.split(b"\n")
        for line in lines:
            if line.strip():
                event = json.loads(line)
                if event.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                    await self.handler(event["type"], event["object"])

