"""Istio sidecar mode: PeerAuthentication and AuthorizationPolicy at the destination pod's own sidecar.

Semantics (istio.io security/authorization, reference/config/security/peer_authentication, traffic-management
protocol-selection; istio/istio pilot/pkg/networking/core/listener_inbound.go):
- Only a pod with a sidecar enforces anything; auto mTLS makes a client's sidecar speak mTLS to every endpoint
  with a sidecar, so a request is mTLS exactly when both ends run one (the API server's pod proxy never does).
- STRICT (workload > namespace > root-namespace PeerAuthentication, port-level overrides; the ambient model's
  `mtls_mode`): the sidecar's filter chains take only TLS, so plaintext is reset.
- The selector, namespace-wide and mesh-wide AuthorizationPolicies (not targetRefs ones, which are a waypoint's)
  are all the sidecar's; a plaintext source has no principal or namespace to match.
- On an HTTP port (the Service port's appProtocol or name prefix, or auto detection of the HTTP the probes send)
  the HTTP RBAC filter decides with every attribute, methods and paths included, and any deny is 403 `RBAC: access
  denied`; on a TCP port the network RBAC filter closes the connection, and rules with HTTP fields behave as at
  ztunnel (an ALLOW rule with them never matches, a DENY rule matches on the rest).
"""

from __future__ import annotations

from typing import Any

from ...dataplane.outcome import Outcome, Request, allow, deny_l4, deny_l7
from ...dataplane.peer import Peer
from ...dataplane.ports import container_ports
from ...dataplane.topology import Topology, labels_of, pod_key
from ...server.selectors import match_labels
from ..istio_ambient.authz import AuthzContext, decide_authz, has_l7, strip_l7
from ..istio_ambient.policy import ACCESS_DENIED_ISTIO, mtls_mode, selector_policies
from .injector import injected

__all__ = ["SERVER_SIDECAR", "evaluate_sidecar", "http_port"]

Obj = dict[str, Any]
SERVER_SIDECAR = "istio-proxy (destination sidecar)"
# Istio's protocol names (protocol-selection page): HTTP-family prefixes get the HTTP chain, these the TCP one.
HTTP_PROTOCOLS = ("http", "http2", "http_proxy", "grpc", "grpc-web", "h2c")
TCP_PROTOCOLS = ("tcp", "tls", "https", "mongo", "mysql", "redis")


def _protocol(port: Obj) -> str:
    named = str(port.get("appProtocol") or str(port.get("name") or "").split("-")[0]).lower()
    return "tcp" if named in TCP_PROTOCOLS else "http" if named in HTTP_PROTOCOLS else "auto"


def http_port(topo: Topology, req: Request) -> bool:
    """Whether the destination's sidecar runs its HTTP chain for this request's target port: the port of a Service
    selecting the pod decides; without one (or unnamed) Istio sniffs the protocol, and the requests are HTTP."""
    ns, labels = pod_key(req.dst)[0], labels_of(req.dst)
    services = [req.service] if req.service is not None else topo.store.list("services", ns)[0]
    for svc in services:
        spec = svc.get("spec") or {}
        if req.service is None and not (spec.get("selector") and match_labels(spec["selector"], labels)):
            continue
        for port in spec.get("ports") or []:
            if _target_port(port, req.dst) == req.target_port:
                return _protocol(port) != "tcp"
    return True


def _target_port(port: Obj, pod: Obj) -> int:
    target = port.get("targetPort", port.get("port", 0))
    return int(target) if str(target).isdigit() else container_ports(pod).get(str(target), 0)


def _without_l7(policy: Obj) -> Obj:
    """The l7-bypass fault: HTTP conditions ignored (ALLOW rules lose them, DENY rules with them never match)."""
    spec = dict(policy.get("spec") or {})
    rules = spec.get("rules") or []
    if str(spec.get("action") or "ALLOW") == "DENY":
        spec["rules"] = [r for r in rules if not has_l7(r)]
    else:
        spec["rules"] = [strip_l7(r) if has_l7(r) else r for r in rules]
    return {**policy, "spec": spec}


def evaluate_sidecar(topo: Topology, src: Peer, src_pod: Obj | None, req: Request, l7_bypass: bool) -> Outcome:
    dst = req.dst
    if not injected(dst):
        return allow("no mesh enforcement (destination has no sidecar)", dst)
    mtls = injected(src_pod)
    if not mtls and mtls_mode(topo.store, dst, req.target_port) == "STRICT":
        why = "PeerAuthentication STRICT: the sidecar's filter chains take only mTLS, and the source has no sidecar"
        return deny_l4(SERVER_SIDECAR, "reset", why, dst)
    http = http_port(topo, req)
    policies = selector_policies(topo.store, dst)
    if l7_bypass:
        policies = [_without_l7(p) for p in policies]
    ctx = AuthzContext(src.principal if mtls else "", src.namespace, src.ip, req.target_port, req.method, req.path,
                       req.host, l7=http)
    ok, why = decide_authz(policies, ctx)
    if ok:
        return allow(SERVER_SIDECAR, dst, why)
    if http:
        return deny_l7(SERVER_SIDECAR, ACCESS_DENIED_ISTIO, why, dst)
    return deny_l4(SERVER_SIDECAR, "reset", f"network RBAC: {why}", dst)
