"""The identity controller (linkerd2 controller/identity): it signs each proxy's CSR with the issuer for the
identity of the pod's ServiceAccount, `<sa>.<ns>.serviceaccount.identity.linkerd.cluster.local`, 24 h certificates
renewed by the proxy (values.yaml identity.issuer.issuanceLifetime), and posts a Normal Event
`IssuedLeafCertificate` on the ServiceAccount: "issued certificate for <identity> until <expiry>: <hash>".

The identity-missing fault: the controller issues nothing for the pods of ServiceAccount `default` in the first
namespace (by name) annotated `linkerd.io/inject: enabled`, as when their CSRs are refused; their proxies hold
no certificate, cannot terminate mTLS, and meshed clients cannot reach them (the fleet's loadservice pods in
its first namespace).

On the sim the controller below writes the Event into the Store; on kwok the agent posts the same Event through
the Kubernetes API (identity_writer.py), so both share what is issued (event_name, issued_event) and the fault."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from typing import Any

from ...controllers.manager import Key
from ...faults import Faults
from ...store import ApiError
from ..base import Obj
from .inject import INJECT, meshed

__all__ = ["ISSUED", "LIFETIME", "IdentityController", "event_name", "identity", "identity_missing", "issued_event"]

ISSUED = "IssuedLeafCertificate"
LIFETIME = datetime.timedelta(hours=24)
FAULTED_ACCOUNT = "default"


def identity(account: str, namespace: str) -> str:
    return f"{account}.{namespace}.serviceaccount.identity.linkerd.cluster.local"


def _account(pod: Obj) -> str:
    spec = pod.get("spec") or {}
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


def identity_missing(store: Any, faults: Faults, pod: Obj) -> bool:
    """Whether the identity-missing fault leaves this pod's proxy without a certificate."""
    if not faults.identity_missing or _account(pod) != FAULTED_ACCOUNT:
        return False
    injected = sorted(str(n["metadata"]["name"]) for n in store.list("namespaces")[0]
                      if ((n.get("metadata") or {}).get("annotations") or {}).get(INJECT) == "enabled")
    return bool(injected) and (pod.get("metadata") or {}).get("namespace") == injected[0]


def event_name(pod: Obj) -> tuple[str, str, str]:
    """(namespace, ServiceAccount, Event name) of the pod's IssuedLeafCertificate: one name per ServiceAccount."""
    ns, account = str(pod["metadata"]["namespace"]), _account(pod)
    return ns, account, f"{account}.{hashlib.sha256(identity(account, ns).encode()).hexdigest()[:16]}"


def issued_event(ns: str, account: str, name: str, now: datetime.datetime) -> Obj:
    """The Event the controller posts on the ServiceAccount once it signed a certificate for it at `now`."""
    until = (now + LIFETIME).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")
    digest = hashlib.sha256(f"{identity(account, ns)}{until}".encode()).hexdigest()
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": ns},
        "involvedObject": {"kind": "ServiceAccount", "namespace": ns, "name": account, "apiVersion": "v1"},
        "reason": ISSUED, "type": "Normal", "count": 1, "firstTimestamp": stamp, "lastTimestamp": stamp,
        "message": f"issued certificate for {identity(account, ns)} until {until}: {digest}",
        "source": {"component": "linkerd-identity"},
    }


class IdentityController:
    """One IssuedLeafCertificate Event per meshed ServiceAccount, when its first proxy asks for a certificate."""

    name = "linkerd-identity"
    resources = ("pods",)

    def __init__(self, store: Any, faults: Faults) -> None:
        self.store, self.faults = store, faults

    def route(self, event: str, resource: str, obj: Obj) -> Iterable[Key]:
        if event != "ADDED" or not meshed(obj):
            return []
        return [(self.name, str(obj["metadata"]["namespace"]), str(obj["metadata"]["name"]))]

    def reconcile(self, key: Key) -> None:
        pod = self.store.try_get("pods", key[1], key[2])
        if pod is None or identity_missing(self.store, self.faults, pod):
            return
        ns, account, name = event_name(pod)
        if self.store.try_get("events", ns, name) is not None:
            return  # kubectl shows one event per ServiceAccount, its count growing: one is enough here
        try:
            self.store.create("events", issued_event(ns, account, name, datetime.datetime.now(datetime.UTC)))
        except ApiError as exc:
            if exc.code != 409:
                raise
