"""Injected API faults: a share of writes fails with 429 (Retry-After) or 500, watches are cut."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from pytest_meshscale.sim.process import SimProcess


def _client(sim: SimProcess) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(sim.kubeconfig))


def test_api_errors_fail_about_that_share_of_writes_and_no_reads() -> None:
    with SimProcess(faults=["api-errors=0.3"], seed=7) as sim:
        core = client.CoreV1Api(_client(sim))
        codes: Counter[int] = Counter()
        retry_after = set()
        for i in range(300):
            try:
                core.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}"}})
                codes[201] += 1
            except ApiException as exc:
                codes[exc.status] += 1
                if exc.status == 429:
                    retry_after.add(exc.headers.get("Retry-After"))
        for _ in range(50):
            core.list_namespaced_config_map("default")  # reads never fail
    failed = codes[429] + codes[500]
    assert set(codes) <= {201, 429, 500}, codes
    assert 60 <= failed <= 120, codes  # 30% of 300 = 90
    assert codes[429] > 20
    assert codes[500] > 20
    assert retry_after == {"1"}


def test_watch_drop_closes_every_watch() -> None:
    with SimProcess(faults=["watch-drop=1"]) as sim:
        core = client.CoreV1Api(_client(sim))
        start = time.monotonic()
        list(watch.Watch().stream(core.list_namespaced_config_map, "default", timeout_seconds=30))
        assert time.monotonic() - start < 5


def test_bad_fault_is_refused_with_one_line() -> None:
    sim = SimProcess(faults=["api-errors=2"])
    with pytest.raises(RuntimeError) as err:
        sim.start(timeout=20)
    sim.close()
    assert "api-errors" in str(err.value)
    assert "Traceback" not in str(err.value)
