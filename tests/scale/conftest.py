"""Scale tests never run beside each other, even under xdist: they measure the cluster they load."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from filelock import FileLock


@pytest.fixture
def scale_slot(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[None]:
    if worker_id == "master":
        yield
        return
    shared = tmp_path_factory.getbasetemp().parent  # common to every xdist worker of this run
    with FileLock(str(shared / "meshscale-scale.lock")):
        yield
