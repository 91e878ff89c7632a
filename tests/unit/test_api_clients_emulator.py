"""The emulated mesh clients against the embedded sim (the same requests as on kwok, where
tests/scale/test_api_pressure.py runs them): every instance's informers sync, a pod started on a node gets its
CiliumEndpoint from that node's agent, the operator batches them into CiliumEndpointSlices, a relabel allocates
new identities, a deleted pod's endpoint goes, and stop() leaves none of its objects behind."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from pytest_meshscale.cluster.async_api import TLS_READ_BUFFER, AsyncKube, lean_tls_loop
from pytest_meshscale.cluster.base import RUN_LABEL
from pytest_meshscale.cluster.kube import KubeCluster
from pytest_meshscale.cluster.ratelimit import RateLimit
from pytest_meshscale.scenario import api_clients
from pytest_meshscale.scenario.api_clients import ApiClientsEmulator, Bucket, NotWarm
from pytest_meshscale.sim.process import SimProcess

RUN = "r-emul-abc123"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeCluster]:
    with SimProcess(mesh="cilium", scale="smoke", kubeconfig=tmp_path_factory.mktemp("sim") / "kc") as sim:
        made = KubeCluster(str(sim.kubeconfig), None, RUN, "sim", "sim", RateLimit(200, 100))
        yield made
        made.close()


def _until(what: str, check, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"not within {timeout:g} s: {what}"
        time.sleep(0.1)
    return found


def _deployment(replicas: int) -> dict:  # type: ignore[type-arg]
    labels = {"app": "web"}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "em-001"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": {
                "metadata": {"labels": labels}, "spec": {"containers": [{"name": "w", "image": "fortio/fortio"}]}}}}


def test_cilium_clients_write_what_their_agents_and_operator_write_and_clean_up(cluster: KubeCluster) -> None:
    cluster.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "em-001"}}, _deployment(2)])
    nodes = [n["metadata"]["name"] for n in cluster.list("v1", "Node")]
    em = ApiClientsEmulator(cluster, "cilium", nodes).start(60)
    try:
        counts = em.counts
        per_agent = len([w for c in em.clients.clients if c.name == "cilium-agent" for w in c.watches])
        assert counts.watches_open >= per_agent * len(nodes) and not counts.not_served
        cluster.scale("Deployment", "web", "em-001", 6)
        ceps = _until("6 CiliumEndpoints", lambda: len(c := cluster.list("cilium.io/v2", "CiliumEndpoint",
                                                                            "em-001")) == 6 and c)
        pods = {p["metadata"]["name"]: p for p in cluster.list("v1", "Pod", "em-001")}
        for cep in ceps:  # written by the agent of the pod's node, with the pod's IP, owned by the pod
            pod = pods[cep["metadata"]["name"]]
            assert cep["status"]["networking"]["addressing"] == [{"ipv4": pod["status"]["podIP"]}]
            assert cep["metadata"]["ownerReferences"][0]["uid"] == pod["metadata"]["uid"]
            assert cep["metadata"]["labels"][RUN_LABEL] == RUN
        slices = _until("the operator's CiliumEndpointSlice holds them", lambda: [
            s for s in cluster.list("cilium.io/v2alpha1", "CiliumEndpointSlice")
            if s["namespace"] == "em-001" and len(s["endpoints"]) == 6])
        assert {e["name"] for e in slices[0]["endpoints"]} == set(pods)
        before = len(cluster.list("cilium.io/v2", "CiliumIdentity"))
        cluster.label("v1", "Namespace", "em-001", {"team": "b"})
        _until("a new identity for the relabelled namespace", lambda: len(
            cluster.list("cilium.io/v2", "CiliumIdentity")) > before)
        cluster.scale("Deployment", "web", "em-001", 1)
        _until("the deleted pods' endpoints are gone", lambda: len(
            cluster.list("cilium.io/v2", "CiliumEndpoint", "em-001")) == 1)
        _until("the agents' DELETEs", lambda: any(v == "delete" for v, _, _ in counts.writes))
        # the operator's next batch (500 ms) shrinks the slice: asserting the writes before it raced on a busy machine
        _until("the operator's slice holds the one endpoint left", lambda: [
            s for s in cluster.list("cilium.io/v2alpha1", "CiliumEndpointSlice")
            if s["namespace"] == "em-001" and len(s["endpoints"]) == 1])
        writes = {(v, r) for v, r, status in counts.writes if status < 300}
        assert {("create", "ciliumendpoints"), ("patch", "ciliumendpoints"), ("create", "ciliumidentities"),
                ("update", "ciliumendpointslices")} <= writes
        # the garbage collector may delete an endpoint (owned by its pod) before its agent does: then 404
        assert {s for v, r, s in counts.writes if (v, r) == ("delete", "ciliumendpoints")} <= {200, 404}
    finally:
        em.stop()
    # the stand-in CRDs it created went, and with them every object of those kinds
    assert cluster.list("apiextensions.k8s.io/v1", "CustomResourceDefinition", labels=f"{RUN_LABEL}={RUN}") == []


def test_the_bucket_is_client_go_s_burst_then_qps() -> None:
    import asyncio

    async def take(n: int) -> float:
        bucket, start = Bucket(qps=20, burst=5), time.monotonic()
        for _ in range(n):
            await bucket.take()
        return time.monotonic() - start

    assert asyncio.run(take(5)) < 0.05  # the burst goes at once
    assert 0.45 <= asyncio.run(take(15)) < 0.8  # then 10 more at 20/s


def test_a_lists_own_version_is_found_in_its_metadata_not_in_an_items() -> None:
    """Informers whose items no write needs stream their LIST and keep only this (AsyncKube.list_version)."""
    from pytest_meshscale.cluster.async_api import list_head_version, list_tail_version

    real = b'{"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"812"},' \
           b'"items":[{"metadata":{"name":"a","resourceVersion":"7"}}]}'
    sim = b'{"kind": "ServiceList", "apiVersion": "v1", "metadata": {"continue": "", "resourceVersion": "95"},' \
          b'"items":[{"metadata": {"resourceVersion": "3"}}]}'
    first_item_only = b'{"kind":"PodList","metadata":{},"items":[{"metadata":{"name":"p","resourceVersion":"5"}}]}'
    # kube-apiserver writes custom resources' lists with sorted keys: the items first, the list's metadata last
    custom = b'{"apiVersion":"cilium.io/v2","items":[{"kind":"CiliumIdentity","metadata":{"name":"1",' \
             b'"resourceVersion":"40"}}],"kind":"CiliumIdentityList","metadata":{"continue":"","resourceVersion":"456"}}'
    assert [list_head_version(b) for b in (real, sim)] == ["812", "95"]
    assert list_head_version(custom) is None and list_tail_version(custom) == "456"
    assert list_head_version(first_item_only) is None  # an item's version is never taken for the list's
    assert list_tail_version(first_item_only) == ""
    assert list_tail_version(custom[-30:]) == ""  # the metadata cut off: not a version


def test_informers_that_never_sync_fail_the_start_with_progress_and_how_far_it_got(
        cluster: KubeCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 1,000 nodes the first LISTs take minutes: the start says how far it got while it waits, and an
    emulation that stops making progress is a failure of the run (NotWarm), not a silent skip."""
    async def never(*_: object) -> str:
        await asyncio.sleep(3600)
        return ""

    monkeypatch.setattr(ApiClientsEmulator, "_list", never)
    monkeypatch.setattr(api_clients, "PROGRESS_S", 0.2)
    lines: list[str] = []
    em = ApiClientsEmulator(cluster, "cilium", [n["metadata"]["name"] for n in cluster.list("v1", "Node")])
    try:
        with pytest.raises(NotWarm, match=r"(\d+) of \1 informers have no first LIST \(none synced for"):
            em.start(timeout_s=30, stall_s=0.5, say=lines.append)
    finally:
        em.stop()
    assert lines and all(" 0 of " in line for line in lines)


def test_the_emulators_tls_connections_read_through_a_16_kb_buffer(cluster: KubeCluster) -> None:
    """asyncio's 256 KB per TLS connection was ~4 GB at 16,000 watches (benchmarks/watch_memory.py: 318 KiB per
    watch, 75 with the lean loop); a request on the lean loop still works."""
    async def buffers() -> tuple[int, list[int]]:
        kube = AsyncKube(cluster.kubeconfig)
        await kube.open()
        try:
            async with kube.session.get(kube.server + "/api/v1/namespaces", params={"watch": "true"}) as resp:
                status = resp.status
                proto = resp.connection.transport._ssl_protocol  # type: ignore[union-attr]
                return status, [len(proto._ssl_buffer), proto.max_size]
        finally:
            await kube.close()

    loop = lean_tls_loop()
    try:
        assert loop.run_until_complete(buffers()) == (200, [TLS_READ_BUFFER, TLS_READ_BUFFER])
    finally:
        loop.close()
