"""Istio ambient: capture, waypoints, PeerAuthentication and AuthorizationPolicy at ztunnel and waypoint.

Semantics (../domain/istio-and-scenario.md §2): pods are captured when their namespace (or the pod)
carries istio.io/dataplane-mode=ambient and the pod is not opted out with `none`. Selector (or
namespace-/mesh-wide) policies are enforced by the destination ztunnel on L4 attributes (denies are
connection resets); targetRefs policies by the waypoint, reached only when the Service/namespace is
labelled istio.io/use-waypoint and that Gateway is Programmed (denies are 403 `RBAC: access denied`).
Behind a waypoint the destination ztunnel sees the waypoint's identity. STRICT mTLS resets plaintext.
A source that is not captured goes straight to the destination (no waypoint) -- a simplification.
"""

from __future__ import annotations

from typing import Any

from ...dataplane.outcome import (
    Outcome,
    Request,
    Verdict,
    allow,
    deny_l4,
    deny_l7,
)
from ...dataplane.peer import Peer
from ...dataplane.topology import Topology, labels_of, pod_ip, pod_key
from ...server.selectors import match_labels
from .authz import AuthzContext, decide_authz

__all__ = ["ACCESS_DENIED_ISTIO", "ROOT_NAMESPACE", "UPSTREAM_RESET_BODY", "captured", "evaluate_istio", "waypoint_of"]

Obj = dict[str, Any]
ROOT_NAMESPACE = "istio-system"
MODE, USE_WP = "istio.io/dataplane-mode", "istio.io/use-waypoint"
USE_WP_NS = "istio.io/use-waypoint-namespace"
AP = "authorizationpolicies.security.istio.io"
ZTUNNEL = "ztunnel (destination node)"
ACCESS_DENIED_ISTIO = "RBAC: access denied"  # the body of a waypoint's L7 deny (Istio's RBAC filter)
# What a waypoint (Envoy) answers when the destination ztunnel resets the connection behind it.
UPSTREAM_RESET_BODY = "upstream connect error or disconnect/reset before headers. reset reason: connection termination"


def captured(pod: Obj | None, topo: Topology) -> bool:
    if pod is None:
        return False
    pod_mode = labels_of(pod).get(MODE)
    if pod_mode == "none":
        return False
    return pod_mode == "ambient" or topo.namespace_labels(pod_key(pod)[0]).get(MODE) == "ambient"


def _programmed(gw: Obj) -> bool:
    conds = (gw.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Programmed" and c.get("status") == "True" for c in conds)


def waypoint_of(req: Request, topo: Topology) -> tuple[Obj | None, str]:
    """(Gateway, '') when the request goes through a waypoint; (None, why-not-ready) or (None, '')."""
    owner = req.service if req.service is not None else req.dst
    ns = pod_key(owner)[0]
    labels, ns_labels = labels_of(owner), topo.namespace_labels(ns)
    name = labels.get(USE_WP) or ns_labels.get(USE_WP)
    if not name or name == "none":
        return None, ""
    wp_ns = labels.get(USE_WP_NS) or ns_labels.get(USE_WP_NS) or ns
    gw = topo.store.try_get("gateways.gateway.networking.k8s.io", wp_ns, name)
    if gw is None or not _programmed(gw):
        return None, f"waypoint {wp_ns}/{name} {'is not Programmed' if gw else 'does not exist'}"
    role = labels_of(gw).get("istio.io/waypoint-for", "service")
    wanted = ("service", "all") if req.service is not None else ("workload", "all")
    return (gw, "") if role in wanted else (None, "")


def _ztunnel_policies(store: Any, dst: Obj) -> list[Obj]:
    ns, labels = pod_key(dst)[0], labels_of(dst)
    found = []
    for scope in {ns, ROOT_NAMESPACE}:
        for p in store.list(AP, scope)[0]:
            spec = p.get("spec") or {}
            if spec.get("targetRefs") or spec.get("targetRef"):
                continue  # waypoint policy: ztunnel ignores it
            if match_labels(spec.get("selector") or {}, labels):
                found.append(p)
    return found


def _refs(spec: Obj) -> list[Obj]:
    return list(spec.get("targetRefs") or []) + ([spec["targetRef"]] if spec.get("targetRef") else [])


def _waypoint_policies(store: Any, gw: Obj, req: Request) -> list[Obj]:
    gw_ns, gw_name = pod_key(gw)
    svc_ns, svc_name = pod_key(req.service) if req.service is not None else ("", "")
    wanted = {
        (gw_ns, "Gateway", gw_name),
        (svc_ns, "Service", svc_name),
        (ROOT_NAMESPACE, "GatewayClass", "istio-waypoint"),
    }
    found = []
    for scope in {gw_ns, svc_ns, ROOT_NAMESPACE} - {""}:
        for p in store.list(AP, scope)[0]:
            refs = _refs(p.get("spec") or {})
            if any((scope, r.get("kind"), r.get("name")) in wanted for r in refs):
                found.append(p)
    return found


def _mtls_mode(store: Any, dst: Obj, port: int) -> str:
    """Effective PeerAuthentication mode for dst:port (workload > namespace > mesh; default PERMISSIVE)."""
    ns, labels = pod_key(dst)[0], labels_of(dst)
    layers: list[Obj] = []
    for scope in (ROOT_NAMESPACE, ns):
        pas = store.list("peerauthentications.security.istio.io", scope)[0]
        layers += [p.get("spec") or {} for p in pas if not (p.get("spec") or {}).get("selector")]
    pas = store.list("peerauthentications.security.istio.io", ns)[0]
    layers += [
        p.get("spec") or {}
        for p in pas
        if (p.get("spec") or {}).get("selector") and match_labels(p["spec"]["selector"], labels)
    ]
    mode = "PERMISSIVE"
    for spec in layers:
        mode = _mode(spec.get("mtls"), mode)
        port_level = spec.get("portLevelMtls") or {}
        mode = _mode(port_level.get(str(port)) or port_level.get(port), mode)
    return mode


def _mode(mtls: Obj | None, inherited: str) -> str:
    value = str((mtls or {}).get("mode") or "UNSET").upper()
    return inherited if value == "UNSET" else value


def _ctx(src: Peer, has_identity: bool, req: Request, port: int, l7: bool) -> AuthzContext:
    principal = src.principal if has_identity else ""
    return AuthzContext(principal, src.namespace, src.ip, port, req.method, req.path, req.host, l7)


def _waypoint_peer(gw: Obj, topo: Topology) -> Peer:
    ns, name = pod_key(gw)
    pods = topo.store.list("pods", ns, label_selector=f"gateway.networking.k8s.io/gateway-name={name}")[0]
    return Peer("pod", ns, {}, {}, pod_ip(pods[0]) if pods else "", name)


def evaluate_istio(topo: Topology, src: Peer, src_pod: Obj | None, req: Request, l7_bypass: bool) -> Outcome:
    dst = req.dst
    if not captured(dst, topo):
        return allow("no mesh enforcement (destination not captured by ambient)", dst)
    src_mtls = captured(src_pod, topo)
    if src_mtls:
        gw, broken = waypoint_of(req, topo)
        if broken:
            return deny_l4("ztunnel (source node)", "reset", broken, dst)
        if gw is not None:
            return _via_waypoint(topo, gw, src, req, l7_bypass)
    elif _mtls_mode(topo.store, dst, req.target_port) == "STRICT":
        return deny_l4(
            ZTUNNEL, "reset", "PeerAuthentication STRICT rejects plaintext from a source outside the mesh", dst
        )
    ctx = _ctx(src, src_mtls, req, req.target_port, False)
    ok, why = decide_authz(_ztunnel_policies(topo.store, dst), ctx)
    return allow(ZTUNNEL, dst, why) if ok else deny_l4(ZTUNNEL, "reset", why, dst)


def _via_waypoint(topo: Topology, gw: Obj, src: Peer, req: Request, l7_bypass: bool) -> Outcome:
    dst, wp = req.dst, f"waypoint {'/'.join(pod_key(gw))}"
    ok, why = decide_authz(_waypoint_policies(topo.store, gw, req), _ctx(src, True, req, req.port, True))
    if not ok and not l7_bypass:
        return deny_l7(wp, ACCESS_DENIED_ISTIO, why, dst)
    if not ok:
        why = "l7-bypass fault: the waypoint's rules were not enforced"
    hop = _waypoint_peer(gw, topo)
    ok2, why2 = decide_authz(_ztunnel_policies(topo.store, dst), _ctx(hop, True, req, req.target_port, False))
    if not ok2:
        return Outcome(
            Verdict.DENY_L4,
            f"{ZTUNNEL} behind {wp}",
            how="reset",
            status=503,
            body=UPSTREAM_RESET_BODY,
            reason=f"waypoint identity refused: {why2}",
            dst_pod=dst,
        )
    return allow(wp, dst, why)
