"""The sim's kernel work per node (SIMULATED): node CPU = pods' CPU + kernel work + a base; encryption costs kernel
time (WireGuard more per byte than IPsec with AES-NI), the baseline adds nothing beyond the TCP stack, and the
`plaintext` fault takes the crypto away: the number follows the model, it is not hard-coded."""

from __future__ import annotations

import pytest
from test_sim_dataplane_world import seed_world

from pytest_meshscale.sim.faults import Faults
from pytest_meshscale.sim.images import SimRuntime
from pytest_meshscale.sim.metrics_api import ResourceMetrics
from pytest_meshscale.sim.perf import DIRECT_PATH, Flow, load_params
from pytest_meshscale.sim.perf.kernel import MeshKernel, kernel_cores_per_kqps

PARAMS = load_params()
QPS = 5000.0


def _node_kernel(mesh: str, node: str = "server-1", **faults: bool) -> float:
    w, _, _ = seed_world()
    rt = SimRuntime(w.store, mesh, faults=Faults(**faults), seed=7)  # type: ignore[arg-type]
    path = rt.env.model.perf_paths[0] if rt.env.model.perf_paths else DIRECT_PATH
    rt.env.loadbook.start(Flow("r", path, QPS, ("ns-001", "fortio-client"), "client-1",
                               {"server-1": 0.5, "server-2": 0.5}))
    return rt.node_kernel_cores({"metadata": {"name": node}})


def test_baseline_has_no_mesh_kernel_work_only_the_tcp_stack() -> None:
    assert PARAMS.kernel_of("baseline") == MeshKernel()
    tcp_only = PARAMS.kernel.node_base_cores + QPS / 2 / 1000 * PARAMS.kernel.tcp_us_per_request * 1e-3
    assert _node_kernel("baseline") == pytest.approx(tcp_only)


def test_kernel_work_goes_up_with_encryption_and_ipsec_is_cheaper_per_byte() -> None:
    wg, ipsec = PARAMS.kernel_of("cilium"), PARAMS.kernel_of("cilium-ipsec")
    assert ipsec.crypto_ns_per_byte < wg.crypto_ns_per_byte  # AES-NI
    per_kqps = {m: kernel_cores_per_kqps(PARAMS.kernel, PARAMS.kernel_of(m), True) for m in
                ("baseline", "cilium", "cilium-ipsec", "istio-ambient")}
    assert per_kqps["baseline"] < per_kqps["istio-ambient"] < per_kqps["cilium-ipsec"] < per_kqps["cilium"]
    assert _node_kernel("cilium") > _node_kernel("istio-ambient") > _node_kernel("baseline")
    assert _node_kernel("cilium", "client-1") > _node_kernel("cilium")  # both ends: the client's node sees all


def test_the_plaintext_fault_drops_ciliums_kernel_cost() -> None:
    encrypted, plain = _node_kernel("cilium"), _node_kernel("cilium", plaintext=True)
    assert plain < encrypted
    # what is left is the TCP stack and eBPF, no crypto
    wg = PARAMS.kernel_of("cilium")
    crypto = QPS / 2 / 1000 * (PARAMS.kernel.bytes_per_request * wg.crypto_ns_per_byte
                               + PARAMS.kernel.packets_per_request * wg.crypto_ns_per_packet) * 1e-6
    assert encrypted - plain == pytest.approx(crypto, rel=1e-3)


def test_node_metrics_add_kernel_work_to_the_pods_cpu() -> None:
    w, _, _ = seed_world()
    rt = SimRuntime(w.store, "cilium", seed=7)  # type: ignore[arg-type]
    metrics = ResourceMetrics(w.store, rt.pod_usage, rt.node_kernel_cores)
    bare = ResourceMetrics(w.store, rt.pod_usage)
    with_kernel, without = metrics.node("server-1"), bare.node("server-1")
    cores = {doc is with_kernel: int(doc["usage"]["cpu"].removesuffix("n")) / 1e9 for doc in (with_kernel, without)}
    assert cores[True] - cores[False] == pytest.approx(rt.node_kernel_cores({"metadata": {"name": "server-1"}}),
                                                       abs=2e-9)
