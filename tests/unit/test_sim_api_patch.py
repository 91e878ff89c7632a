"""The PATCH flavours of the sim's API server, on plain dicts."""

from __future__ import annotations

import pytest

from pytest_meshscale.sim.server.patch import json_patch, merge_patch, strategic_merge
from pytest_meshscale.sim.store import ApiError

POD = {
    "metadata": {"labels": {"a": "1", "b": "2"}},
    "spec": {
        "containers": [
            {"name": "web", "image": "v1", "ports": [{"containerPort": 80}]},
            {"name": "side", "image": "s1"},
        ]
    },
}


def test_merge_patch_replaces_lists_and_deletes_with_null() -> None:
    out = merge_patch(POD, {"metadata": {"labels": {"a": None, "c": "3"}}, "spec": {"containers": [{"name": "x"}]}})
    assert out["metadata"]["labels"] == {"b": "2", "c": "3"}
    assert out["spec"]["containers"] == [{"name": "x"}]
    assert POD["metadata"]["labels"] == {"a": "1", "b": "2"}  # the input is left alone


def test_strategic_merge_merges_containers_and_ports_by_key() -> None:
    patch = {
        "$setElementOrder/containers": [{"name": "web"}, {"name": "side"}],
        "spec": {
            "containers": [
                {"name": "web", "image": "v2", "ports": [{"containerPort": 81}]},
                {"name": "side", "$patch": "delete"},
                {"name": "new", "image": "n"},
            ]
        },
    }
    out = strategic_merge(POD, patch)
    assert [c["name"] for c in out["spec"]["containers"]] == ["web", "new"]
    assert out["spec"]["containers"][0]["image"] == "v2"
    assert out["spec"]["containers"][0]["ports"] == [{"containerPort": 80}, {"containerPort": 81}]
    assert "$setElementOrder/containers" not in out


def test_json_patch_ops_and_errors() -> None:
    out = json_patch(
        POD,
        [
            {"op": "add", "path": "/metadata/labels/x~1y", "value": "z"},
            {"op": "remove", "path": "/spec/containers/1"},
            {"op": "replace", "path": "/spec/containers/0/image", "value": "v3"},
            {"op": "test", "path": "/spec/containers/0/image", "value": "v3"},
        ],
    )
    assert out["metadata"]["labels"]["x/y"] == "z"
    assert len(out["spec"]["containers"]) == 1
    with pytest.raises(ApiError) as err:
        json_patch(POD, [{"op": "remove", "path": "/spec/nope"}])
    assert err.value.code == 422
    with pytest.raises(ApiError):
        json_patch(POD, {"op": "add"})
