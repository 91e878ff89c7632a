"""The load book node agents read their CPU from: per-node rates on a path, client side optional,
and never stale after a run starts, re-books or stops (the per-node totals are cached)."""

from __future__ import annotations

from pytest_meshscale.sim.perf import Flow, LoadBook


def _flow(run: str, qps: float, path: str = "cilium-l7") -> Flow:
    return Flow(run, path, qps, ("ns-001", "client"), "client-node", {"a": 0.25, "b": 0.75})


def test_node_rates_follow_starts_rebookings_and_stops() -> None:
    book = LoadBook()
    book.start(_flow("r1", 1000))
    book.start(_flow("r2", 2000, path="ambient-l4"))
    assert book.node_kqps("a", ("cilium-l7",)) == 0.25
    assert book.node_kqps("client-node", ("cilium-l7",)) == 1.0
    assert book.node_kqps("client-node", ("cilium-l7",), client_side=False) == 0.0
    book.start(_flow("r1", 400))  # re-booked at the saturated rate
    assert book.node_kqps("b", ("cilium-l7",)) == 0.3
    book.stop("r1")
    assert book.node_kqps("b", ("cilium-l7",)) == 0.0
    assert book.node_kqps("b", ("ambient-l4",)) == 1.5
