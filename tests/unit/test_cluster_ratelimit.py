"""The token bucket bounds the request rate; waves split namespaces and order CRDs and namespaces first."""

from __future__ import annotations

import threading

import pytest

from pytest_meshscale.cluster.ratelimit import RateLimit, TokenBucket, plan_waves


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_bucket_allows_burst_then_paces_at_qps() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(qps=10, burst=5), clock, clock.sleep)
    waits = [bucket.acquire() for _ in range(25)]
    assert waits[:5] == [0.0] * 5
    assert all(w > 0 for w in waits[5:])
    # 25 requests at 10 qps after a burst of 5: the last one goes out after (25 - 5) / 10 = 2 s.
    assert clock.now == pytest.approx(2.0)


def test_bucket_refills_while_idle_but_never_beyond_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(qps=2, burst=3), clock, clock.sleep)
    for _ in range(3):
        bucket.acquire()
    clock.now += 100  # a long pause earns at most `burst` tokens
    assert [bucket.acquire() for _ in range(4)][:3] == [0.0, 0.0, 0.0]
    assert clock.now == pytest.approx(100.5)


def test_bucket_is_thread_safe_in_real_time() -> None:
    bucket = TokenBucket(RateLimit(qps=200, burst=1))
    start = threading.Event()

    def worker() -> None:
        start.wait()
        for _ in range(10):
            bucket.acquire()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    import time

    began = time.monotonic()
    start.set()
    for t in threads:
        t.join()
    # 40 tokens, 1 up front, the rest at 200/s: at least 0.195 s however the threads interleave.
    assert time.monotonic() - began >= 0.19


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [({"qps": 0, "burst": 1}, "'qps' must be > 0, got 0"), ({"qps": 1, "burst": 0}, "burst >= 1")],
)
def test_rate_limit_rejects_bad_values(kwargs: dict[str, float], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        RateLimit(**kwargs)  # type: ignore[arg-type]


def _obj(kind: str, name: str, namespace: str | None = None) -> dict[str, object]:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "v1", "kind": kind, "metadata": meta}


def _names(phase: tuple[dict[str, object], ...]) -> list[str]:
    return [f"{m['kind']}/{m['metadata']['name']}" for m in phase]  # type: ignore[index]


def test_waves_group_namespaces_and_put_crds_and_namespaces_first() -> None:
    manifests = [
        _obj("Deployment", "a", "ns-1"),
        _obj("Namespace", "ns-1"),
        _obj("Deployment", "b", "ns-2"),
        _obj("Namespace", "ns-2"),
        _obj("CustomResourceDefinition", "crd"),
        _obj("Namespace", "ns-3"),
        _obj("Service", "c", "ns-3"),
    ]
    waves = plan_waves(manifests, 2)
    assert [w.namespaces for w in waves] == [("ns-1", "ns-2"), ("ns-3",)]
    assert [_names(p) for p in waves[0].phases] == [
        ["CustomResourceDefinition/crd"],
        ["Namespace/ns-1", "Namespace/ns-2"],
        ["Deployment/a", "Deployment/b"],
    ]
    assert [_names(p) for p in waves[1].phases] == [["Namespace/ns-3"], ["Service/c"]]
    assert sum(w.size for w in waves) == len(manifests)


def test_zero_means_one_wave_and_cluster_scoped_only_still_planned() -> None:
    manifests = [_obj("Namespace", f"ns-{i}") for i in range(5)] + [_obj("ClusterRole", "r")]
    assert [w.size for w in plan_waves(manifests, 0)] == [6]
    assert [w.size for w in plan_waves([_obj("ClusterRole", "r")], 3)] == [1]
    assert plan_waves([], 3) == []
