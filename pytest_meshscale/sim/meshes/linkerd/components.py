"""What `helm install linkerd-crds linkerd-control-plane` (chart 2026.6.3 = Linkerd 2.20) leaves running, as the
sim needs it: namespace `linkerd` and the three control-plane Deployments with their containers and labels
(linkerd2 charts/linkerd-control-plane/templates/{destination,identity,proxy-injector}.yaml). Each control-plane
pod carries its own linkerd-proxy, which the chart templates in (they are not injected by the webhook). The
chart sets no resource requests by default (values.yaml), so none are set here. The policy controller's cluster
default policy is its `--default-policy` argument (chart value proxy.defaultInboundPolicy, all-unauthenticated)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...components.build import container, create_all, deployment, namespace
from ...store import Store
from ..base import Obj

__all__ = ["DEFAULT_POLICY", "IMAGE_TAG", "NAMESPACE", "PROXY", "PROXY_IMAGE", "install_linkerd", "proxy_container"]

NAMESPACE = "linkerd"
IMAGE_TAG = "edge-26.6.3"  # the images of chart 2026.6.3 (linkerd.io data/versions.yaml: 2.20 = edge-26.6.3)
PROXY, PROXY_IMAGE = "linkerd-proxy", f"cr.l5d.io/linkerd/proxy:{IMAGE_TAG}"
INBOUND, ADMIN = 4143, 4191  # values.yaml proxy.ports.inbound / admin
DEFAULT_POLICY = "all-unauthenticated"
CONTROL_PLANE_NS = "linkerd.io/control-plane-ns"


def proxy_container() -> Obj:
    """The sidecar as the injector adds it (classic layout: proxy.nativeSidecar=false in our values)."""
    return container(PROXY, PROXY_IMAGE, ports={"linkerd-proxy": INBOUND, "linkerd-admin": ADMIN},
                     env={"LINKERD2_PROXY_INBOUND_LISTEN_ADDR": f"0.0.0.0:{INBOUND}"})


def _control_plane(component: str, containers: list[Obj]) -> Obj:
    labels: Mapping[str, str] = {"linkerd.io/control-plane-component": component, CONTROL_PLANE_NS: NAMESPACE,
                                 "app.kubernetes.io/part-of": "Linkerd"}
    return deployment(f"linkerd-{component}", NAMESPACE, labels, {"linkerd.io/control-plane-component": component},
                      [*containers, proxy_container()], serviceAccountName=f"linkerd-{component}")


def install_linkerd(store: Store) -> None:
    controller = f"cr.l5d.io/linkerd/controller:{IMAGE_TAG}"
    policy = container("policy", f"cr.l5d.io/linkerd/policy-controller:{IMAGE_TAG}", ports={"admin-http": 9990},
                       args=["--admin-addr=0.0.0.0:9990", f"--default-policy={DEFAULT_POLICY}",
                             "--cluster-networks=10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8"])
    objects = [
        namespace(NAMESPACE, {"linkerd.io/is-control-plane": "true", "config.linkerd.io/admission-webhooks": "disabled",
                              CONTROL_PLANE_NS: NAMESPACE}),
        _control_plane("destination", [container("destination", controller, ports={"grpc": 8086}),
                                       container("sp-validator", controller, ports={"sp-validator": 8443}), policy]),
        _control_plane("identity", [container("identity", controller, ports={"grpc": 8080})]),
        _control_plane("proxy-injector", [container("proxy-injector", controller, ports={"proxy-injector": 8443})]),
    ]
    create_all(store, objects)


def policy_args(store: Any) -> dict[str, str]:
    """The policy controller's --flag=value arguments, from its container in linkerd-destination."""
    deploy = store.try_get("deployments.apps", NAMESPACE, "linkerd-destination") or {}
    containers = (((deploy.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    args = [a for c in containers if c.get("name") == "policy" for a in c.get("args") or []]
    return dict(a[2:].split("=", 1) for a in args if a.startswith("--") and "=" in a)
