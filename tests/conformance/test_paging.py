"""`limit`/`continue` paging, as list_all (cluster/watching.py) pages every list."""

from __future__ import annotations

import pytest
from conformance_kit import RUN_LABEL, call

from pytest_meshscale.cluster import watching
from pytest_meshscale.cluster.kube import KubeCluster


def test_limit_and_continue_page_through_everything(admin: KubeCluster, namespace: str) -> None:
    names = [f"page-{i:02}" for i in range(7)]
    admin.apply([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n, "namespace": namespace}}
                 for n in names])
    path = admin.discovery.resource("v1", "ConfigMap").path(namespace)
    query = {"labelSelector": f"{RUN_LABEL}={admin.run_id}", "limit": 3}
    pages: list[list[str]] = []
    token, first_rv = None, None
    while True:
        _, doc = call(admin, "GET", path, query={**query, "continue": token})
        pages.append([i["metadata"]["name"] for i in doc["items"]])
        first_rv = first_rv or doc["metadata"]["resourceVersion"]
        token = doc["metadata"].get("continue")
        if not token:
            break
    assert [len(p) for p in pages] == [3, 3, 1] and sum(pages, []) == names, pages
    _, whole = call(admin, "GET", path, query={"labelSelector": query["labelSelector"]})
    assert [i["metadata"]["name"] for i in whole["items"]] == names and not whole["metadata"].get("continue")


def test_list_all_pages_with_the_plugins_page_size(
    admin: KubeCluster, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin.apply([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"p{i}", "namespace": namespace}}
                 for i in range(5)])
    monkeypatch.setattr(watching, "PAGE", 2)
    before = admin.stats.requests["list"]
    items = admin.list("v1", "ConfigMap", namespace, f"{RUN_LABEL}={admin.run_id}")
    assert sorted(i["metadata"]["name"] for i in items) == [f"p{i}" for i in range(5)]
    assert admin.stats.requests["list"] - before == 3


def test_a_continue_token_that_is_not_one_is_rejected(admin: KubeCluster, namespace: str) -> None:
    path = admin.discovery.resource("v1", "ConfigMap").path(namespace)
    status, body = call(admin, "GET", path, query={"limit": 1, "continue": "not-a-token"}, accept=(400,))
    assert status == 400 and body["reason"] == "BadRequest", body
