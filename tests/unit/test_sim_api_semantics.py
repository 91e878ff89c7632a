"""The API semantics the sim's store and handlers share with kube-apiserver, without HTTP: dry runs, the
namespace name label and Terminating, paging, CRDs served at run time (and the 410 before them), custom
resources against their schema, spec checks, and server-side apply ownership. The same behaviours are checked
end to end against the sim and a real kube-apiserver in tests/conformance."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_meshscale.sim.server.fieldmanager import FieldManager
from pytest_meshscale.sim.server.schema import check_custom
from pytest_meshscale.sim.server.validation import spec_problems
from pytest_meshscale.sim.store import NAME_LABEL, ApiError, Store

Obj = dict[str, Any]
CRDS = "customresourcedefinitions.apiextensions.k8s.io"


@pytest.fixture
def store() -> Store:
    s = Store()
    s.create("namespaces", {"metadata": {"name": "a"}})
    return s


def _cm(name: str, ns: str = "a", **data: str) -> Obj:
    return {"metadata": {"name": name, "namespace": ns}, "data": data}


def test_dry_runs_are_checked_and_answered_but_store_nothing(store: Store) -> None:
    rv = store.resource_version
    made = store.create("configmaps", _cm("ghost", k="v"), dry_run=True)
    assert made["metadata"]["uid"] and "resourceVersion" not in made["metadata"]
    assert store.try_get("configmaps", "a", "ghost") is None and store.resource_version == rv
    with pytest.raises(ApiError) as err:
        store.create("configmaps", _cm("Bad_Name"), dry_run=True)
    assert err.value.code == 422
    kept = store.create("configmaps", _cm("kept", k="1"))
    changed = store.mutate("configmaps", "a", "kept", lambda o: o["data"].update(k="2"), dry_run=True)
    assert changed["data"] == {"k": "2"} and store.get("configmaps", "a", "kept")["data"] == {"k": "1"}
    assert store.delete("configmaps", "a", "kept", dry_run=True)["metadata"]["uid"] == kept["metadata"]["uid"]
    ns = store.delete("namespaces", None, "a", dry_run=True)
    assert ns["status"]["phase"] == "Terminating" and store.get("namespaces", None, "a")["status"]["phase"] == "Active"
    assert store.try_get("configmaps", "a", "kept") is not None


def test_namespaces_carry_their_name_label_and_terminate_before_they_go(store: Store) -> None:
    ns = store.create("namespaces", {"metadata": {"name": "b", "labels": {NAME_LABEL: "x"}}})
    assert ns["metadata"]["labels"][NAME_LABEL] == "b" and ns["spec"] == {"finalizers": ["kubernetes"]}
    relabelled = store.mutate("namespaces", None, "b", lambda o: o["metadata"].update(labels={}))
    assert relabelled["metadata"]["labels"] == {NAME_LABEL: "b"}
    store.create("configmaps", _cm("inside", "b"))
    gone = store.delete("namespaces", None, "b")
    assert gone["status"]["phase"] == "Terminating" and gone["metadata"]["deletionTimestamp"]
    assert store.try_get("configmaps", "b", "inside") is None and store.terminating_for("b") is not None
    with pytest.raises(ApiError) as err:
        store.create("configmaps", _cm("late", "b"))
    assert err.value.code == 403 and "because it is being terminated" in err.value.message
    assert store.finalize_namespace("b") and store.try_get("namespaces", None, "b") is None
    assert not store.finalize_namespace("b")


def test_list_pages_continue_after_the_last_key(store: Store) -> None:
    store.create("namespaces", {"metadata": {"name": "b"}})
    for ns in ("a", "b"):
        for i in range(3):
            store.create("configmaps", _cm(f"c{i}", ns))
    first = store.list_page("configmaps", None, None, None, 4)
    assert [(e.obj["metadata"]["namespace"], e.obj["metadata"]["name"]) for e in first.entries] == [
        ("a", "c0"), ("a", "c1"), ("a", "c2"), ("b", "c0")]
    assert first.after == ("b", "c0") and first.remaining == 2
    rest = store.list_page("configmaps", None, None, None, 4, first.after)
    assert [e.obj["metadata"]["name"] for e in rest.entries] == ["c1", "c2"] and rest.after is None
    exact = store.list_page("configmaps", "a", None, None, 3)
    assert len(exact.entries) == 3 and exact.after is None  # no continue when nothing is left


def test_each_page_counts_what_is_left_across_namespaces_and_within_one(store: Store) -> None:
    """remainingItemCount is exact on every page, over several namespaces and within one."""
    for ns in ("b", "c"):
        store.create("namespaces", {"metadata": {"name": ns}})
    sizes = {"a": 3, "b": 1, "c": 4}
    for ns, n in sizes.items():
        for i in range(n):
            store.create("configmaps", _cm(f"c{i}", ns))
    for namespace, total in ((None, 8), ("c", 4)):
        seen, page = 0, store.list_page("configmaps", namespace, None, None, 2)
        while True:
            seen += len(page.entries)
            if page.after is None:
                break
            assert page.remaining == total - seen, (namespace, seen)
            page = store.list_page("configmaps", namespace, None, None, 2, page.after)
        assert seen == total


def _crd(group: str = "w.example.com", schema: Obj | None = None) -> Obj:
    schema = schema or {"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "size": {"type": "integer", "minimum": 1, "default": 1}}}}}
    return {"metadata": {"name": f"widgets.{group}"},
            "spec": {"group": group, "scope": "Namespaced", "names": {"plural": "widgets", "kind": "Widget"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": schema}}]}}


def test_a_crd_is_checked_served_and_takes_its_resources_along(store: Store) -> None:
    for bad in ({**_crd(), "metadata": {"name": "wrong.w.example.com"}},
                _crd(schema={"type": "object", "x-kubernetes-validations": [{"rule": "true"}]})):
        with pytest.raises(ApiError) as err:
            store.create(CRDS, bad)
        assert err.value.code == 422
    crd = store.create(CRDS, _crd())
    assert {c["type"] for c in crd["status"]["conditions"]} == {"NamesAccepted", "Established"}
    assert crd["spec"]["names"]["singular"] == "widget"
    kind = store.kinds.by_path("w.example.com", "v1", "widgets")
    assert kind is not None and kind.resource == "widgets.w.example.com" and kind.namespaced
    with pytest.raises(ApiError) as err:
        store.watch(kind.resource, None, "1")
    assert err.value.code == 410 and "too old resource version: 1" in err.value.message
    store.create(kind.resource, {"metadata": {"name": "w", "namespace": "a"}})
    store.delete(CRDS, None, crd["metadata"]["name"])
    assert store.kinds.by_resource(kind.resource) is None and store.list(kind.resource)[0] == []


def test_custom_resources_are_pruned_defaulted_and_checked() -> None:
    schema = {"type": "object", "properties": {"spec": {"type": "object", "required": ["size"], "properties": {
        "size": {"type": "integer", "minimum": 1}, "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}
    out, problems, unknown = check_custom(schema, {"apiVersion": "x/v1", "kind": "W", "metadata": {"name": "w"},
                                                   "spec": {"size": 2, "extra": 1, "free": {"any": 1}}})
    assert out["spec"] == {"size": 2, "mode": "a", "free": {"any": 1}} and not problems and unknown == ["spec.extra"]
    _, problems, _ = check_custom(schema, {"spec": {"size": "2", "mode": "c"}})
    assert [p[0] for p in problems] == ["spec.size", "spec.mode"]
    _, problems, _ = check_custom(schema, {"spec": {}})
    assert problems == [("spec.size", None, "Required value")]


def test_spec_checks_of_workloads_and_services() -> None:
    def dep(selector: Obj, labels: Obj, containers: list[Obj] | None = None) -> Obj:
        pod = {"containers": [{"name": "c", "image": "x"}] if containers is None else containers}
        return {"spec": {"selector": {"matchLabels": selector},
                         "template": {"metadata": {"labels": labels}, "spec": pod}}}

    assert spec_problems("deployments.apps", dep({"a": "1"}, {"a": "1", "b": "2"})) == []
    assert "does not match" in spec_problems("deployments.apps", dep({"a": "1"}, {"a": "2"}))[0][2]
    assert "empty selector" in spec_problems("daemonsets.apps", dep({}, {"a": "1"}))[0][2]
    assert "immutable" in spec_problems("deployments.apps", dep({"a": "1"}, {"a": "1"}),
                                        dep({"b": "1"}, {"a": "1", "b": "1"}))[0][2]
    bad = [{"name": "Bad_Name", "image": "x"}, {"name": "c"},
           {"name": "c", "image": "y", "ports": [{"containerPort": 0}]}]
    assert [p[0] for p in spec_problems("deployments.apps", dep({"a": "1"}, {"a": "1"}, bad))] == [
        "spec.template.spec.containers[0].name", "spec.template.spec.containers[1].image",
        "spec.template.spec.containers[2].name", "spec.template.spec.containers[2].ports[0].containerPort"]
    assert spec_problems("pods", {"spec": {}}) == [("spec.containers", None, "Required value")]
    fields = [p[0] for p in spec_problems("services", {"spec": {"ports": [{"port": 70000}, {"port": 80,
                                                                         "targetPort": "http"}]}})]
    assert fields == ["spec.ports[0].port", "spec.ports[0].targetPort"]
    assert spec_problems("services", {"spec": {"clusterIP": "None"}}) == []


def test_server_side_apply_ownership_and_conflicts() -> None:
    def cm(**data: str) -> Obj:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data}

    alpha, beta = FieldManager("alpha", "v1"), FieldManager("beta", "v1")
    obj = alpha.applied(None, cm(k="1", gone="x"), force=False)
    with pytest.raises(ApiError) as err:
        beta.applied(obj, cm(k="2"), force=False)
    assert err.value.code == 409 and err.value.message == 'Apply failed with 1 conflict: conflict with "alpha": .data.k'
    obj = beta.applied(obj, cm(k="2"), force=True)
    obj = alpha.applied(obj, cm(), force=False)  # alpha no longer applies `gone`: nobody owns it, it goes
    assert obj["data"] == {"k": "2"}
    owners = {e["manager"]: e["fieldsV1"] for e in obj["metadata"]["managedFields"]}
    assert owners["beta"] == {"f:data": {"f:k": {}}}
    edited = {**obj, "data": {"k": "2", "new": "n"}}
    FieldManager("kubectl-edit", "v1").updated(obj, edited)
    assert {e["manager"]: e["operation"] for e in edited["metadata"]["managedFields"]}["kubectl-edit"] == "Update"
    with pytest.raises(ApiError) as err:
        alpha.applied(edited, cm(new="m"), force=False)
    assert 'conflict with "kubectl-edit" using v1: .data.new' in err.value.message
