"""Istio in sidecar mode as `helm install` of istio/base and istio/istiod (default profile, 1.30.3) leaves it:
istiod (the ambient model's builder, without the ambient profile's env), the mesh config, and the sidecar
injector's ConfigMap `istio-sidecar-injector` (istio/istio manifests/charts/istio-control/istio-discovery/
templates/configmap.yaml: `config` holds the injection templates and policy, `values` the chart values the
templates read, JSON). No ztunnel, no istio-cni, no GatewayClasses. The MutatingWebhookConfiguration the chart
also creates is not an object the embedded API server serves: the injector is this model's `admit` (injector.py).
"""

from __future__ import annotations

import json

from ....model import Profile
from ...components.build import Obj, configmap, create_all, namespace
from ...store import Store
from ..istio_ambient.components import HUB, ISTIO_NS, istio_labels, istiod_objects, mesh_configmap

__all__ = ["INJECTOR_CONFIGMAP", "ISTIO_VERSION", "install_istio_sidecar", "injector_values"]

ISTIO_VERSION = "1.30.3"  # the tag of the CRDs in ../shared/upstream (SOURCE.txt) and of the driver's pinned chart
INJECTOR_CONFIGMAP = "istio-sidecar-injector"


def injector_values(version: str = ISTIO_VERSION) -> Obj:
    """The chart values the injection template reads (istio-discovery values.yaml defaults, the parts used here):
    the proxy and init images, the sidecar's requests, the trust domain."""
    proxy = {"image": "proxyv2", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                               "limits": {"cpu": "2000m", "memory": "1024Mi"}},
             "statusPort": 15020, "clusterDomain": "cluster.local", "privileged": False}
    return {"global": {"hub": HUB, "tag": version, "proxy": proxy, "proxy_init": {"image": "proxyv2"},
                       "istioNamespace": ISTIO_NS, "pilotCertProvider": "istiod", "jwtPolicy": "third-party-jwt",
                       "trustDomain": "cluster.local"},
            "sidecarInjectorWebhook": {"enableNamespacesByDefault": False, "rewriteAppHTTPProbe": True},
            "revision": ""}


def _injector_configmap() -> Obj:
    config = "policy: enabled\nalwaysInjectSelector: []\nneverInjectSelector: []\ndefaultTemplates: [sidecar]\n"
    labels = {**istio_labels("istiod", ISTIO_VERSION), "istio.io/rev": "default"}
    return configmap(INJECTOR_CONFIGMAP, ISTIO_NS, {"config": config, "values": json.dumps(injector_values())},
                     labels)


def install_istio_sidecar(store: Store, profile: Profile) -> None:
    objects = [namespace(ISTIO_NS), mesh_configmap(ISTIO_VERSION), *istiod_objects(profile, ISTIO_VERSION, False),
               _injector_configmap()]
    create_all(store, objects)
