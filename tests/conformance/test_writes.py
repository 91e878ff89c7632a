"""How writes are checked: server-side apply ownership, server dry-run, strict field validation."""

from __future__ import annotations

from typing import Any

from conformance_kit import Backend, call

from pytest_meshscale.cluster.errors import Target
from pytest_meshscale.cluster.kube import KubeCluster

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
Obj = dict[str, Any]


def _cm(name: str, data: dict[str, str]) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def _owned(obj: Obj) -> dict[str, set[str]]:
    """manager -> the data keys its managedFields entry owns."""
    out: dict[str, set[str]] = {}
    for entry in obj["metadata"].get("managedFields") or []:
        keys = (entry.get("fieldsV1") or {}).get("f:data") or {}
        out.setdefault(entry["manager"], set()).update(k[2:] for k in keys if k.startswith("f:"))
    return out


def test_server_side_apply_conflicts_between_field_managers(admin: KubeCluster, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps/ssa"

    def apply(manager: str | None, data: dict[str, str], force: bool | None = None) -> tuple[int, Obj]:
        query = {"fieldManager": manager, "force": force}
        return call(admin, "PATCH", path, body=_cm("ssa", data), query=query, content_type=APPLY, accept=(409, 422))

    status, obj = apply("alpha", {"k": "1", "shared": "s"})
    assert status == 201 and _owned(obj) == {"alpha": {"k", "shared"}}, obj
    status, err = apply("beta", {"k": "2"})
    assert status == 409 and err["reason"] == "Conflict", err
    assert 'conflict with "alpha"' in err["message"] and ".data.k" in err["message"], err
    assert [c["reason"] for c in err["details"]["causes"]] == ["FieldManagerConflict"]
    status, obj = apply("beta", {"shared": "s"})  # the same value: shared ownership, no conflict
    assert status == 200 and _owned(obj) == {"alpha": {"k", "shared"}, "beta": {"shared"}}, obj
    status, obj = apply("beta", {"k": "2", "shared": "s"}, force=True)
    assert status == 200 and obj["data"] == {"k": "2", "shared": "s"}
    assert _owned(obj) == {"alpha": {"shared"}, "beta": {"k", "shared"}}, obj
    call(admin, "PATCH", path, body={"data": {"extra": "x"}}, query={"fieldManager": "editor"}, content_type=MERGE)
    status, err = apply("alpha", {"extra": "y"})  # a field set by an update (not an apply) conflicts too
    assert status == 409 and 'conflict with "editor"' in err["message"], err
    status, err = apply(None, {"k": "3"})
    assert status == 422 and "fieldManager" in err["message"], err


def test_server_dry_run_persists_nothing(admin: KubeCluster, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    dry = {"dryRun": "All"}
    status, made = call(admin, "POST", base, body=_cm("ghost", {"a": "1"}), query=dry)
    assert status == 201 and made["metadata"]["name"] == "ghost" and made["data"] == {"a": "1"}
    assert admin.get("v1", "ConfigMap", "ghost", namespace) is None
    status, _ = call(admin, "PATCH", f"{base}/ghost2", body=_cm("ghost2", {"a": "1"}), content_type=APPLY,
                     query={**dry, "fieldManager": "conformance"})
    assert status == 201 and admin.get("v1", "ConfigMap", "ghost2", namespace) is None
    _, kept = call(admin, "POST", base, body=_cm("kept", {"a": "1"}))
    rv = kept["metadata"]["resourceVersion"]
    _, put = call(admin, "PUT", f"{base}/kept", body={**kept, "data": {"a": "2"}}, query=dry)
    _, patched = call(admin, "PATCH", f"{base}/kept", body={"data": {"a": "3"}}, query=dry, content_type=MERGE)
    status, _ = call(admin, "DELETE", f"{base}/kept", query=dry)
    assert (put["data"], patched["data"], status) == ({"a": "2"}, {"a": "3"}, 200)
    now = admin.get("v1", "ConfigMap", "kept", namespace)
    assert now is not None and now["data"] == {"a": "1"} and now["metadata"]["resourceVersion"] == rv
    call(admin, "DELETE", f"/api/v1/namespaces/{namespace}", query=dry)
    ns = admin.get("v1", "Namespace", namespace)
    assert ns is not None and ns["status"]["phase"] == "Active" and "deletionTimestamp" not in ns["metadata"]
    # A dry run is checked like the real request: invalid, existing, or a bad dryRun value.
    for body, query, code in ((_cm("Bad_Name", {}), dry, 422), (_cm("kept", {}), dry, 409),
                              (_cm("other", {}), {"dryRun": "bogus"}, 422)):
        status, err = call(admin, "POST", base, body=body, query=query, accept=(409, 422))
        assert status == code, err
    assert admin.get("v1", "ConfigMap", "other", namespace) is None


def test_kubectl_server_dry_run_deletes_and_creates_nothing(backend: Backend, namespace: str) -> None:
    backend.kubectl("create", "configmap", "stays", "-n", namespace, "--from-literal=a=b")
    out = backend.kubectl("delete", "configmap", "stays", "-n", namespace, "--dry-run=server").stdout
    assert "(server dry run)" in out
    backend.kubectl("delete", "namespace", namespace, "--dry-run=server")
    assert "stays" in backend.kubectl("get", "configmap", "stays", "-n", namespace, "-o", "name").stdout
    backend.kubectl("create", "configmap", "never", "-n", namespace, "--dry-run=server", "--from-literal=a=b")
    manifest = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: never2, namespace: {namespace}}}\n"
    backend.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", stdin=manifest)
    got = backend.kubectl("get", "configmap", "never", "never2", "-n", namespace, check=False)
    assert got.returncode != 0 and got.stderr.count("NotFound") == 2, got.stderr


def _create(admin: KubeCluster, path: str, body: Obj, validation: str | None) -> tuple[int, Obj, str]:
    resp = admin.api.call(Target("create", path), "POST", path, body=body, query={"fieldValidation": validation},
                          accept=(400,))
    return resp.status, resp.json(), resp.headers.get("Warning", "")


def test_strict_field_validation_rejects_unknown_fields(admin: KubeCluster, namespace: str) -> None:
    cms = f"/api/v1/namespaces/{namespace}/configmaps"
    status, err, _ = _create(admin, cms, {**_cm("strict", {"a": "b"}), "spec": {"x": 1}}, "Strict")
    assert status == 400 and 'strict decoding error: unknown field "spec"' in err["message"], err
    bad_meta = _cm("strict", {})
    bad_meta["metadata"]["bogus"] = 1
    status, err, _ = _create(admin, cms, bad_meta, "Strict")
    assert status == 400 and 'unknown field "metadata.bogus"' in err["message"], err
    container = {"name": "c", "image": "x", "imagePullPolcy": "Always"}
    labels = {"app": "strict"}
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "strict"},
           "spec": {"selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}}
    status, err, _ = _create(admin, f"/apis/apps/v1/namespaces/{namespace}/deployments", dep, "Strict")
    assert status == 400 and 'unknown field "spec.template.spec.containers[0].imagePullPolcy"' in err["message"]
    # Warn (the default): accepted with a warning, and the unknown field is dropped, not stored.
    status, made, warning = _create(admin, cms, {**_cm("warned", {"a": "b"}), "spec": {"x": 1}}, None)
    assert status == 201 and 'unknown field \\"spec\\"' in warning and "spec" not in made, (made, warning)
    status, made, warning = _create(admin, cms, {**_cm("ignored", {"a": "b"}), "spec": {"x": 1}}, "Ignore")
    assert status == 201 and not warning and "spec" not in made
