"""The sim's API server through the official `kubernetes` client, as the plugin will use it."""

from __future__ import annotations

import json
import re
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pytest_meshscale.sim.process import SimProcess

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.exceptions import ApiException  # noqa: E402

RESTRICTED = "restricted-token-for-tests"
METRICS_READER = "metrics-reader-token-for-tests"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimProcess]:
    tokens = tmp_path_factory.mktemp("tokens") / "tokens.yaml"
    tokens.write_text(
        yaml.safe_dump({RESTRICTED: [{"verbs": ["get", "list"], "resources": ["pods"], "namespaces": ["ro"]}],
                        METRICS_READER: [{"verbs": ["get"], "nonResourceURLs": ["/metrics"]}]})
    )
    with SimProcess(mesh="baseline", token_file=tokens) as proc:
        yield proc


@pytest.fixture(scope="module")
def api(sim: SimProcess) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(sim.kubeconfig))


@pytest.fixture(scope="module")
def ns(api: client.ApiClient) -> str:
    client.CoreV1Api(api).create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="ro")))
    return "ro"


def _raw(
    sim: SimProcess, path: str, token: str | None, method: str = "GET", body: dict | None = None
) -> tuple[int, dict | str, dict]:
    kc = yaml.safe_load(Path(sim.kubeconfig).read_text())
    ctx = ssl.create_default_context()
    import base64

    ctx.load_verify_locations(
        cadata=base64.b64decode(kc["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
    )
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(sim.url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            text = resp.read().decode()
            return resp.status, json.loads(text) if text.startswith("{") else text, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


def _token(sim: SimProcess) -> str:
    return yaml.safe_load(Path(sim.kubeconfig).read_text())["users"][0]["user"]["token"]


def _cm(name: str, **labels: str) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data={"k": "v"})


def test_kubeconfig_names_the_context_and_loopback(sim: SimProcess) -> None:
    kc = yaml.safe_load(Path(sim.kubeconfig).read_text())
    assert kc["current-context"] == "meshscale-sim-baseline"
    assert kc["clusters"][0]["cluster"]["server"].startswith("https://127.0.0.1:")
    assert sim.ready_line.endswith(f"kubeconfig={sim.kubeconfig}")
    assert "mesh=baseline nodes=4" in sim.ready_line


def test_crud_and_404(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    created = core.create_namespaced_config_map(ns, _cm("crud"))
    assert created.metadata.uid
    assert created.metadata.resource_version
    created.data = {"k": "v2"}
    assert core.replace_namespaced_config_map("crud", ns, created).data == {"k": "v2"}
    assert core.read_namespaced_config_map("crud", ns).data == {"k": "v2"}
    core.delete_namespaced_config_map("crud", ns)
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("crud", ns)
    assert err.value.status == 404
    assert json.loads(err.value.body)["reason"] == "NotFound"


def test_list_with_label_selector(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    for name, tier in (("l1", "front"), ("l2", "back"), ("l3", "front")):
        core.create_namespaced_config_map(ns, _cm(name, tier=tier, suite="list"))
    found = core.list_namespaced_config_map(ns, label_selector="suite=list,tier in (front)")
    assert sorted(i.metadata.name for i in found.items) == ["l1", "l3"]
    assert found.metadata.resource_version


def test_stale_resource_version_is_409(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    first = core.create_namespaced_config_map(ns, _cm("stale"))
    core.patch_namespaced_config_map("stale", ns, {"data": {"k": "new"}})
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("stale", ns, first)
    assert err.value.status == 409
    assert json.loads(err.value.body)["reason"] == "Conflict"


def test_watch_sees_added_modified_deleted(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    start = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, _cm("w1"))
    core.patch_namespaced_config_map("w1", ns, {"data": {"k": "changed"}})
    core.delete_namespaced_config_map("w1", ns)
    seen = []
    for event in watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=start, timeout_seconds=5):
        seen.append((event["type"], event["object"].metadata.name))
        if event["type"] == "DELETED":
            break
    assert seen == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]


def _deployment(name: str, replicas: int = 1) -> client.V1Deployment:
    labels = {"app": name}
    container = client.V1Container(
        name="web", image="fortio/fortio", ports=[client.V1ContainerPort(container_port=8080)]
    )
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels), spec=client.V1PodSpec(containers=[container])
            ),
        ),
    )


def test_patch_types(api: client.ApiClient, ns: str) -> None:
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, _deployment("patched"))
    side = {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "busybox"}]}}}}
    out = apps.patch_namespaced_deployment("patched", ns, side)  # strategic: containers merge by name
    assert [c.name for c in out.spec.template.spec.containers] == ["web", "side"]
    out = apps.patch_namespaced_deployment("patched", ns, side, _content_type="application/merge-patch+json")
    assert [c.name for c in out.spec.template.spec.containers] == ["side"]
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 4}]
    assert apps.patch_namespaced_deployment("patched", ns, ops).spec.replicas == 4
    applied = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "patched", "labels": {"x": "y"}},
    }
    out = apps.patch_namespaced_deployment(
        "patched",
        ns,
        applied,
        field_manager="tests",
        force=True,
        _content_type="application/apply-patch+yaml",
    )
    assert out.metadata.labels == {"x": "y"}
    assert out.spec.replicas == 4


def test_scale_subresource(api: client.ApiClient, ns: str) -> None:
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, _deployment("scaled", 2))
    assert apps.read_namespaced_deployment_scale("scaled", ns).spec.replicas == 2
    scale = apps.patch_namespaced_deployment_scale("scaled", ns, {"spec": {"replicas": 5}})
    assert scale.spec.replicas == 5
    assert scale.status.selector == "app=scaled"
    assert apps.read_namespaced_deployment("scaled", ns).spec.replicas == 5


def test_invalid_label_is_422(api: client.ApiClient, ns: str) -> None:
    with pytest.raises(ApiException) as err:
        client.CoreV1Api(api).create_namespaced_config_map(ns, _cm("bad", tier="not ok!"))
    assert err.value.status == 422
    assert json.loads(err.value.body)["reason"] == "Invalid"


def test_401_without_a_valid_token(sim: SimProcess) -> None:
    for token in (None, "wrong"):
        code, body, _ = _raw(sim, "/api/v1/namespaces", token)
        assert code == 401
        assert body["kind"] == "Status"
        assert body["reason"] == "Unauthorized"
    assert _raw(sim, "/healthz", None)[0] == 200


def test_restricted_token_403_and_access_review(sim: SimProcess, ns: str) -> None:
    assert _raw(sim, f"/api/v1/namespaces/{ns}/pods", RESTRICTED)[0] == 200
    code, body, _ = _raw(sim, f"/api/v1/namespaces/{ns}/configmaps", RESTRICTED)
    assert code == 403
    assert body["reason"] == "Forbidden"
    assert "cannot list resource" in body["message"]
    assert _raw(sim, "/api/v1/pods", RESTRICTED)[0] == 403  # all namespaces: not granted

    def review(verb: str, resource: str) -> bool:
        spec = {"resourceAttributes": {"namespace": ns, "verb": verb, "resource": resource}}
        code, body, _ = _raw(
            sim,
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            RESTRICTED,
            "POST",
            {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec},
        )
        assert code == 201
        return bool(body["status"]["allowed"])

    assert review("list", "pods")
    assert not review("delete", "pods")
    assert not review("get", "secrets")


def _review(sim: SimProcess, token: str, spec: dict) -> tuple[int, dict]:  # type: ignore[type-arg]
    code, body, _ = _raw(sim, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", token, "POST",
                         {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec})
    assert isinstance(body, dict)
    return code, body


def test_metrics_is_a_non_resource_url_that_rbac_must_grant(sim: SimProcess) -> None:
    """As kube-apiserver: `get /metrics` needs a nonResourceURLs rule; /version and discovery do not (every
    authenticated user has them through system:discovery and system:public-info-viewer)."""
    code, body, _ = _raw(sim, "/metrics", RESTRICTED)
    assert code == 403 and isinstance(body, dict) and body["reason"] == "Forbidden"
    assert re.fullmatch(r'forbidden: User "meshscale-sim-restricted-\d" cannot get path "/metrics"', body["message"])
    assert _raw(sim, "/version", RESTRICTED)[0] == 200
    assert _raw(sim, "/metrics", METRICS_READER)[0] == 200
    assert _raw(sim, "/api/v1/namespaces", METRICS_READER)[0] == 403  # a path rule grants no resource
    metrics = {"nonResourceAttributes": {"path": "/metrics", "verb": "get"}}
    assert [_review(sim, t, metrics)[1]["status"]["allowed"] for t in (RESTRICTED, METRICS_READER, _token(sim))] == [
        False, True, True]


@pytest.mark.parametrize("spec", [{}, {"nonResourceAttributes": {"path": "/metrics", "verb": "get"},
                                       "resourceAttributes": {"verb": "get", "resource": "pods"}}],
                         ids=["neither", "both"])
def test_an_access_review_needs_exactly_one_kind_of_attributes(sim: SimProcess, spec: dict) -> None:  # type: ignore[type-arg]
    code, body = _review(sim, _token(sim), spec)
    assert code == 422 and body["reason"] == "Invalid", body
    assert "spec: Invalid value: " in body["message"]
    assert body["message"].endswith("exactly one of nonResourceAttributes or resourceAttributes must be specified")


def test_metrics_count_requests(sim: SimProcess) -> None:
    def gets() -> int:
        _, text, _ = _raw(sim, "/metrics", _token(sim))
        assert isinstance(text, str)
        assert 'meshscale_sim_info{simulated="true"} 1' in text
        line = 'apiserver_request_total{verb="get",group="",resource="namespaces",subresource="",code="200"} '
        return next((int(x.split()[-1]) for x in text.splitlines() if x.startswith(line)), 0)

    before = gets()
    for _ in range(3):
        assert _raw(sim, "/api/v1/namespaces/default", _token(sim))[0] == 200
    assert gets() == before + 3


def test_status_codes_for_bad_requests(sim: SimProcess, ns: str) -> None:
    token = _token(sim)
    assert _raw(sim, "/api/v1/nosuchthing", token)[0] == 404
    assert _raw(sim, f"/api/v1/namespaces/{ns}/configmaps/x", token, "POST", {"metadata": {"name": "x"}})[0] == 405
    code, body, _ = _raw(sim, f"/api/v1/namespaces/{ns}/configmaps", token, "POST", {"metadata": {}})
    assert code == 422
    assert "metadata.name" in body["message"]
    assert _raw(sim, f"/api/v1/namespaces/{ns}/configmaps", token, "POST", ["not", "an", "object"])[0] == 400


def test_pod_metrics_are_labelled_simulated(api: client.ApiClient, ns: str, sim: SimProcess) -> None:
    core = client.CoreV1Api(api)
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="m1"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="x")]),
    )
    core.create_namespaced_pod(ns, pod)
    core.patch_namespaced_pod_status("m1", ns, {"status": {"phase": "Running"}})
    code, body, _ = _raw(sim, f"/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods/m1", _token(sim))
    assert code == 200
    assert body["kind"] == "PodMetrics"
    assert body["metadata"]["annotations"] == {"meshscale.io/simulated": "true"}


def test_watch_time_limit(api: client.ApiClient, ns: str) -> None:
    start = time.monotonic()
    events = list(watch.Watch().stream(client.CoreV1Api(api).list_namespaced_secret, ns, timeout_seconds=1))
    assert events == []
    assert 0.8 < time.monotonic() - start < 5


def test_selector_watch_sees_objects_enter_and_leave(api: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api)
    start = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, _cm("sel", role="other"))
    core.patch_namespaced_config_map("sel", ns, {"metadata": {"labels": {"role": "picked"}}})
    core.patch_namespaced_config_map("sel", ns, {"data": {"k": "2"}})
    core.patch_namespaced_config_map("sel", ns, {"metadata": {"labels": {"role": "other"}}})
    seen = []
    for event in watch.Watch().stream(
        core.list_namespaced_config_map, ns, label_selector="role=picked", resource_version=start, timeout_seconds=3
    ):
        seen.append(event["type"])
        if event["type"] == "DELETED":
            break
    assert seen == ["ADDED", "MODIFIED", "DELETED"]
