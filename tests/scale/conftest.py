"""Scale tests never run beside each other, even under xdist: they measure the cluster they load. They
measure the mesh as the seed ran it: with the profile's per-namespace policy in place."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from filelock import FileLock

from pytest_meshscale.scenario.scale_run import apply_scale_policy


@pytest.fixture
def scale_slot(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[None]:
    if worker_id == "master":
        yield
        return
    shared = tmp_path_factory.getbasetemp().parent  # common to every xdist worker of this run
    with FileLock(str(shared / "meshscale-scale.lock")):
        yield


@pytest.fixture
def scale_policy(policy, cluster, meshscale_settings) -> str:
    """The profile's workload.policy on every namespace (removed after the test by `policy`)."""
    note = apply_scale_policy(policy.applied, cluster, meshscale_settings.profile)
    print(f"meshscale: {note}")
    return note
