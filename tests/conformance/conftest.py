"""Conformance checks: each API behaviour the plugin relies on, run against every backend.

`backend` is parametrized over "sim" (the embedded API server, started as `meshscale sim up`) and "kwok"
(a real kube-apiserver + etcd + controller-manager + scheduler + KWOK, `meshscale control-plane up`). The
checks talk to both through the plugin's own cluster layer (KubeCluster), or kubectl where the check is
about kubectl. A check the sim is known to fail is marked `sim_diverges(request, backend, reason)`: a strict
xfail on the sim only, listed in docs/sim-limits.md. The kwok backend is skipped (with the reason) when its
launcher or its binaries are not there; conformance_kit.start_kwok is the one place to wire another launcher.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
from conformance_kit import Backend, KwokUnavailable, start_kwok, start_sim

from pytest_meshscale.cluster.kube import KubeCluster


@pytest.fixture(scope="session", params=["sim", "kwok"])

def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    tmp = tmp_path_factory.mktemp(f"backend-{request.param}")
    start = start_sim if request.param == "sim" else start_kwok
    try:
        started = start(tmp)
        kubeconfig = started.__enter__()
    except KwokUnavailable as exc:
        pytest.skip(f"kwok backend not available: {exc}")
    made = Backend(request.param, kubeconfig)
    try:
        yield made
    finally:
        made.close()
        started.__exit__(None, None, None)


@pytest.fixture(scope="session")
def admin(backend: Backend) -> KubeCluster:
    """The backend's admin KubeCluster (the run id is the backend's)."""
    return backend.cluster()


@pytest.fixture
def namespace(admin: KubeCluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace labelled with the run, deleted (without waiting) after the test."""
    name = f"c-{request.node.originalname.removeprefix('test_')[:40].replace('_', '-')}-{uuid.uuid4().hex[:4]}"
    admin.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}])
    yield name
    with contextlib.suppress(Exception):
        admin.delete("v1", "Namespace", name)


