"""CRDs: one created at run time is served once Established (and its schema is enforced), and the policies
the plugin renders for each mesh are accepted by the backend's CRD schemas and stored as rendered."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from conformance_kit import Backend

from pytest_meshscale.cluster.base import ClusterError
from pytest_meshscale.cluster.kube import KubeCluster
from pytest_meshscale.data.policies import load_policy_case, policy_names
from pytest_meshscale.meshes import MESHES, driver_for
from pytest_meshscale.model.policy_errors import Unsupported

Obj = dict[str, Any]
CRD = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")


def _established(crd: Obj) -> bool:
    return any(c.get("type") == "Established" and c.get("status") == "True"
               for c in (crd.get("status") or {}).get("conditions") or [])


def _widget_crd(group: str) -> Obj:
    schema = {"type": "object", "properties": {"spec": {"type": "object", "required": ["size"], "properties": {
        "size": {"type": "integer", "minimum": 1}, "colour": {"type": "string", "enum": ["red", "blue"]},
        "tags": {"type": "array", "items": {"type": "string"}}}}}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"widgets.{group}"},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": schema}}]}}


def _widget(group: str, ns: str, name: str, spec: Obj) -> Obj:
    return {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def test_a_crd_created_at_run_time_is_served_once_established(admin: KubeCluster, namespace: str) -> None:
    group = f"c{uuid.uuid4().hex[:6]}.conformance.meshscale.io"
    crd = _widget_crd(group)
    admin.apply([crd])
    try:
        admin.wait_for(*CRD, _established, name=crd["metadata"]["name"], timeout_s=60, what="the CRD Established")
        admin.apply([_widget(group, namespace, "w1", {"size": 3, "colour": "red", "unknown": "dropped"})])
        stored = admin.get(f"{group}/v1", "Widget", "w1", namespace)
        assert stored is not None and stored["spec"] == {"size": 3, "colour": "red"}, stored  # pruned
        assert [w["metadata"]["name"] for w in admin.list(f"{group}/v1", "Widget", namespace)] == ["w1"]
        for spec, field in (({"size": "big"}, "spec.size"), ({"size": 0}, "spec.size"),
                            ({"size": 1, "colour": "green"}, "spec.colour"), ({}, "spec.size"),
                            ({"size": 1, "tags": [1]}, "spec.tags[0]")):
            with pytest.raises(ClusterError) as err:
                admin.apply([_widget(group, namespace, "bad", spec)])
            assert "HTTP 422" in str(err.value) and field in str(err.value), (spec, str(err.value))
    finally:
        admin.delete(*CRD, crd["metadata"]["name"])


def _ensure_crds(backend: Backend, admin: KubeCluster, objs: list[Obj], mesh: str) -> None:
    """The kwok backend starts with Cilium's CRDs only: install the upstream ones this mesh's objects need."""
    if all(admin.discovery.find(o["apiVersion"], o["kind"]) for o in objs):
        return
    if backend.name == "sim":
        pytest.fail(f"the sim does not serve every kind {mesh} renders")
    from pytest_meshscale.sim.control_plane.objects import crds

    docs, _ = crds(mesh, None)
    admin.apply(docs)
    for doc in docs:
        admin.wait_for(*CRD, _established, name=doc["metadata"]["name"], timeout_s=120, what="CRD Established")


def _contains(stored: Any, rendered: Any, where: str = "") -> list[str]:
    """What of `rendered` the server did not keep as is (defaults it added are fine, and so is an empty list
    or map that a built-in kind's Go type drops: `omitempty`)."""
    if rendered in ([], {}) and stored is None:
        return []
    if isinstance(rendered, dict):
        if not isinstance(stored, dict):
            return [f"{where}: stored as {stored!r}"]
        return [m for k, v in rendered.items() for m in _contains(stored.get(k), v, f"{where}.{k}")]
    if isinstance(rendered, list) and isinstance(stored, list) and len(stored) == len(rendered):
        pairs = enumerate(zip(stored, rendered, strict=True))
        return [m for i, (s, r) in pairs for m in _contains(s, r, f"{where}[{i}]")]
    return [] if stored == rendered else [f"{where}: rendered {rendered!r}, stored {stored!r}"]


@pytest.mark.parametrize("case", policy_names())
@pytest.mark.parametrize("policy_mesh", MESHES)
def test_the_rendered_policies_are_accepted_and_kept(
    backend: Backend, admin: KubeCluster, policy_mesh: str, case: str
) -> None:
    mesh = policy_mesh  # not `mesh`: that name is the plugin's own fixture
    tag = uuid.uuid4().hex[:5]
    namespaces = [f"c-pol-{tag}-{i}" for i in range(1, 4)]
    try:
        objs = driver_for(mesh).render(load_policy_case(case, namespaces).intents, namespaces, {"conformance": tag})
    except Unsupported as exc:
        pytest.skip(str(exc))
    _ensure_crds(backend, admin, objs, mesh)
    admin.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in namespaces])
    try:
        admin.apply(objs)
        for obj in objs:
            meta = obj["metadata"]
            stored = admin.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
            assert stored is not None, meta
            lost = _contains({k: v for k, v in stored.items() if k not in ("metadata", "status")},
                             {k: v for k, v in obj.items() if k not in ("metadata", "status")})
            assert not lost, f"{obj['kind']} {meta['name']}: {lost}"
    finally:
        for n in namespaces:
            admin.delete("v1", "Namespace", n)
