"""istiod's sidecar injector, as the sim's mutating admission of pods (SimMesh.admit).

Who is injected (istio.io docs/setup/additional-setup/sidecar-injection, "Controlling the injection policy"): a
pod whose namespace is labelled istio-injection=enabled, unless the pod says sidecar.istio.io/inject=false (label,
or the older annotation); a pod labelled sidecar.istio.io/inject=true in a namespace not labelled
istio-injection=disabled. Never a hostNetwork pod (the injector skips them). Injection happens when the pod is
created, so pods that existed before their namespace was labelled keep running without a sidecar until restarted.

What is added (istio/istio manifests/charts/istio-control/istio-discovery/files/injection-template.yaml, default
values): the init container `istio-init` (istio-iptables: outbound to 15001, inbound to 15006, all inbound ports
but 15090/15021/15020), the container `istio-proxy` (proxyv2, requests 100m/128Mi, port 15090 http-envoy-prom,
meshConfig.defaultConfig.proxyMetadata as env), its volumes, the labels security.istio.io/tlsMode=istio and
service.istio.io/canonical-name/-revision, and the annotation sidecar.istio.io/status naming what was injected.
Simplification: the sim's scheduler placed the pod before admission, so the sidecar's requests do not count
toward placement.

The `sidecar-missing` fault: one namespace's pods are created without a sidecar, as if it had been labelled
after they started (the namespace sorting first among those labelled for injection, so the run's first).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from ...faults import Faults
from ..istio_ambient.components import ISTIO_NS
from .components import INJECTOR_CONFIGMAP, injector_values

__all__ = ["INJECTED", "SIDECAR", "TLS_MODE", "inject", "injected", "wants_sidecar"]

Obj = dict[str, Any]
SIDECAR, INIT = "istio-proxy", "istio-init"
NS_LABEL, POD_OPT = "istio-injection", "sidecar.istio.io/inject"
INJECTED = "sidecar.istio.io/status"
TLS_MODE = "security.istio.io/tlsMode"  # the label auto mTLS reads: endpoints with it get mTLS from clients


def injected(pod: Obj | None) -> bool:
    """The pod runs Istio's sidecar (what the injector added: the istio-proxy container)."""
    containers = ((pod or {}).get("spec") or {}).get("containers") or []
    return any(c.get("name") == SIDECAR for c in containers)


def wants_sidecar(pod: Obj, ns_labels: dict[str, str]) -> bool:
    meta = pod.get("metadata") or {}
    opt = (meta.get("labels") or {}).get(POD_OPT) or (meta.get("annotations") or {}).get(POD_OPT)
    if (pod.get("spec") or {}).get("hostNetwork") or ns_labels.get(NS_LABEL) == "disabled" or opt == "false":
        return False
    return ns_labels.get(NS_LABEL) == "enabled" or opt == "true"


def _first_enabled_namespace(store: Any) -> str:
    names = [n["metadata"]["name"] for n in store.list("namespaces", label_selector=f"{NS_LABEL}=enabled")[0]]
    return min(names, default="")


def _settings(store: Any) -> tuple[Obj, dict[str, str]]:
    """(the injector's chart values, the mesh config's proxyMetadata), as istiod's injector reads them."""
    cm = store.try_get("configmaps", ISTIO_NS, INJECTOR_CONFIGMAP) or {}
    values = json.loads((cm.get("data") or {}).get("values") or "null") or injector_values()
    mesh_cm = store.try_get("configmaps", ISTIO_NS, "istio") or {}
    mesh = yaml.safe_load((mesh_cm.get("data") or {}).get("mesh") or "") or {}
    metadata = (mesh.get("defaultConfig") or {}).get("proxyMetadata") or {}
    return values, {str(k): str(v) for k, v in metadata.items()}


def inject(resource: str, pod: Obj, store: Any, faults: Faults) -> None:
    """Admission of a new pod: add the sidecar when the injection policy asks for it (in place, new values only)."""
    if resource != "pods" or injected(pod) or INJECTED in ((pod.get("metadata") or {}).get("annotations") or {}):
        return
    ns = str((pod.get("metadata") or {}).get("namespace") or "")
    ns_obj = store.try_get("namespaces", None, ns) or {}
    if not wants_sidecar(pod, (ns_obj.get("metadata") or {}).get("labels") or {}):
        return
    if faults.sidecar_missing and ns == _first_enabled_namespace(store):
        return
    values, metadata = _settings(store)
    _add_sidecar(pod, values, metadata)


def _image(values: Obj, key: str) -> str:
    glob = values.get("global") or {}
    image = str((glob.get(key) or {}).get("image") or "proxyv2")
    return image if "/" in image else f"{glob.get('hub')}/{image}:{glob.get('tag')}"


def _init_container(values: Obj) -> Obj:
    args = ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", "",
            "-b", "*", "-d", "15090,15021,15020", "--log_output_level=default:info"]
    caps = {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}
    security = {"allowPrivilegeEscalation": False, "privileged": False, "capabilities": caps, "runAsUser": 0,
                "runAsGroup": 0, "runAsNonRoot": False, "readOnlyRootFilesystem": False}
    return {"name": INIT, "image": _image(values, "proxy_init"), "args": args, "imagePullPolicy": "IfNotPresent",
            "resources": {}, "securityContext": security}


def _field(path: str) -> Obj:
    return {"valueFrom": {"fieldRef": {"fieldPath": path}}}


def _proxy_container(pod: Obj, values: Obj, metadata: dict[str, str]) -> Obj:
    glob = values.get("global") or {}
    app = ((pod.get("metadata") or {}).get("labels") or {}).get("app") or "istio-proxy"
    env: list[Obj] = [
        {"name": "PILOT_CERT_PROVIDER", "value": str(glob.get("pilotCertProvider", "istiod"))},
        {"name": "CA_ADDR", "value": f"istiod.{glob.get('istioNamespace', ISTIO_NS)}.svc:15012"},
        {"name": "POD_NAME", **_field("metadata.name")}, {"name": "POD_NAMESPACE", **_field("metadata.namespace")},
        {"name": "INSTANCE_IP", **_field("status.podIP")},
        {"name": "SERVICE_ACCOUNT", **_field("spec.serviceAccountName")},
        {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"},
        {"name": "ISTIO_META_INTERCEPTION_MODE", "value": "REDIRECT"},
        {"name": "ISTIO_META_MESH_ID", "value": str(glob.get("trustDomain", "cluster.local"))},
        *({"name": k, "value": v} for k, v in sorted(metadata.items())),
    ]
    args = ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--serviceCluster",
            f"{app}.$(POD_NAMESPACE)", "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error"]
    security = {"allowPrivilegeEscalation": False, "privileged": False, "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True, "runAsUser": 1337, "runAsGroup": 1337, "runAsNonRoot": True}
    return {"name": SIDECAR, "image": _image(values, "proxy"), "args": args, "env": env,
            "ports": [{"containerPort": 15090, "protocol": "TCP", "name": "http-envoy-prom"}],
            "resources": (glob.get("proxy") or {}).get("resources") or {}, "imagePullPolicy": "IfNotPresent",
            "securityContext": security,
            "volumeMounts": [{"mountPath": p, "name": n} for p, n in (
                ("/var/run/secrets/istio", "istiod-ca-cert"), ("/var/lib/istio/data", "istio-data"),
                ("/etc/istio/proxy", "istio-envoy"), ("/var/run/secrets/tokens", "istio-token"),
                ("/etc/istio/pod", "istio-podinfo"))]}


VOLUMES = [
    {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
    {"name": "istio-data", "emptyDir": {}},
    {"name": "istio-podinfo", "downwardAPI": {"items": [
        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
        {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}}]}},
    {"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {
        "path": "istio-token", "expirationSeconds": 43200, "audience": "istio-ca"}}]}},
    {"name": "istiod-ca-cert", "configMap": {"name": "istio-ca-root-cert"}},
]


def _add_sidecar(pod: Obj, values: Obj, metadata: dict[str, str]) -> None:
    meta, spec = pod["metadata"], dict(pod.get("spec") or {})
    labels, annotations = dict(meta.get("labels") or {}), dict(meta.get("annotations") or {})
    app_containers = list(spec.get("containers") or [])
    status = {"initContainers": [INIT], "containers": [SIDECAR], "volumes": [v["name"] for v in VOLUMES],
              "imagePullSecrets": None, "revision": "default"}
    spec.update(initContainers=[*(spec.get("initContainers") or []), _init_container(values)],
                containers=[*app_containers, _proxy_container(pod, values, metadata)],
                volumes=[*(spec.get("volumes") or []), *VOLUMES])
    pod["spec"] = spec
    meta["labels"] = {**labels, TLS_MODE: "istio",
                      "service.istio.io/canonical-name": labels.get("app") or str(meta.get("name", "")),
                      "service.istio.io/canonical-revision": labels.get("version", "latest")}
    first = str(app_containers[0].get("name", "")) if app_containers else ""
    meta["annotations"] = {**annotations, INJECTED: json.dumps(status), "istio.io/rev": "default",
                           "kubectl.kubernetes.io/default-container": first,
                           "kubectl.kubernetes.io/default-logs-container": first,
                           "prometheus.io/path": "/stats/prometheus", "prometheus.io/port": "15020",
                           "prometheus.io/scrape": "true"}
