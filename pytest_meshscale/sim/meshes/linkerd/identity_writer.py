"""Linkerd's identity controller, played by the agent on a real API server (KWOK runs no linkerd-identity): when a
meshed pod appears, the IssuedLeafCertificate Event on its ServiceAccount is POSTed, the same Event and the same
identity-missing fault as the sim's controller (identity.py); only the write differs. The proxies' certificates
themselves are the data plane's (LinkerdSim.tls_listener), which reads the same fault from the Mirror.

An Event is posted once per ServiceAccount of a namespace's incarnation (its uid): a 409 means it is there already,
and a namespace deleted and created again under the same name gets its Events again, as the new proxies ask anew.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from ...agent.informer import Client
from ...agent.mirror import Mirror
from ...agent.workqueue import Key, MirrorController
from ...faults import Faults
from .identity import event_name, identity_missing, issued_event
from .inject import meshed

__all__ = ["IdentityWriter"]

Obj = dict[str, Any]


class IdentityWriter(MirrorController):
    name = "linkerd-identity"

    def __init__(self, client: Client, mirror: Mirror, faults: Faults, log: Callable[[str], None]) -> None:
        self.client, self.faults = client, faults
        self._posted: set[tuple[str, str]] = set()  # (namespace uid, Event name)
        super().__init__(mirror, log)

    def _incarnation(self, ns: str) -> str:
        return str(((self.mirror.try_get("namespaces", None, ns) or {}).get("metadata") or {}).get("uid") or "")

    def route(self, event: str, resource: str, obj: Obj) -> Iterable[Key]:
        # MODIFIED too: after a relist (410) a pod the agent had not seen yet arrives as one. A pod going away
        # asks for no certificate (and its namespace may be terminating, where an Event is refused).
        if resource != "pods" or event == "DELETED" or not meshed(obj) or obj["metadata"].get("deletionTimestamp"):
            return []
        ns, _, name = event_name(obj)
        if (self._incarnation(ns), name) in self._posted:
            return []  # the common case under churn: nothing to queue
        return [(ns, str(obj["metadata"]["name"]))]

    def reconcile(self, ns: str, name: str) -> None:
        pod = self.mirror.try_get("pods", ns, name)
        if pod is None or identity_missing(self.mirror, self.faults, pod):
            return
        ns, account, event = event_name(pod)
        posted = (self._incarnation(ns), event)
        if posted in self._posted:
            return
        self.client.create(issued_event(ns, account, event, datetime.datetime.now(datetime.UTC)))  # 409: there
        self._posted.add(posted)
