"""Whether every meshed workload holds its mTLS identity, read through the API: Linkerd's identity controller
posts a Kubernetes Event `IssuedLeafCertificate` on the ServiceAccount each time it signs a proxy's certificate,
"issued certificate for <identity> until <expiry>: <hash>" (linkerd2 controller/identity; the events
`kubectl get event --field-selector reason=IssuedLeafCertificate` shows, one per ServiceAccount). A meshed pod
whose ServiceAccount has no such event, or only expired ones, has no identity: its proxy cannot terminate mTLS,
so meshed clients cannot reach it (linkerd.io/2-edge/features/automatic-mtls). This is Linkerd's counterpart of
Cilium's per-node WireGuard key."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping

from ...cluster.base import Cluster, Manifest
from .render import identity

__all__ = ["ISSUED", "PROXY", "issued_until", "meshed_accounts", "missing_identities"]

ISSUED = "IssuedLeafCertificate"
PROXY = "linkerd-proxy"  # the injected sidecar's container name
_MESSAGE = re.compile(r"issued certificate for (\S+) until (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)? ([+-]\d{4})")


def issued_until(event: Mapping[str, object]) -> tuple[str, datetime.datetime] | None:
    """(identity, expiry) from one IssuedLeafCertificate event's message (Go's time.String() format)."""
    match = _MESSAGE.search(str(event.get("message", "")))
    if match is None:
        return None
    until = datetime.datetime.strptime(f"{match.group(2)} {match.group(3)}", "%Y-%m-%d %H:%M:%S %z")
    return match.group(1), until


def meshed_accounts(pods: Iterable[Manifest]) -> set[tuple[str, str]]:
    """(namespace, ServiceAccount) of each pod carrying the Linkerd proxy."""
    found = set()
    for pod in pods:
        spec = pod.get("spec") or {}
        if any(c.get("name") == PROXY for c in spec.get("containers") or []):
            account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
            found.add((pod["metadata"]["namespace"], str(account)))
    return found


def missing_identities(cluster: Cluster, namespaces: Iterable[str],
                       now: datetime.datetime | None = None) -> dict[str, str]:
    """identity -> why it is not held, for every meshed ServiceAccount in the namespaces ({} when all are);
    raises ValueError when no pod there is meshed (the check would prove nothing)."""
    now = now or datetime.datetime.now(datetime.UTC)
    namespaces = list(namespaces)
    accounts = meshed_accounts(p for ns in namespaces for p in cluster.list("v1", "Pod", ns))
    if not accounts:
        raise ValueError(f"no pod with a {PROXY} container in {namespaces[:3]}: nothing is meshed")
    issued: dict[str, datetime.datetime] = {}
    for ns in sorted({ns for ns, _ in accounts}):
        for event in cluster.list("v1", "Event", ns):
            found = issued_until(event) if event.get("reason") == ISSUED else None
            if found is not None:
                issued[found[0]] = max(found[1], issued.get(found[0], found[1]))
    missing = {}
    for ns, account in sorted(accounts):
        name = identity(account, ns)
        if name not in issued:
            missing[name] = f"no {ISSUED} event on serviceaccount {ns}/{account}"
        elif issued[name] <= now:
            missing[name] = f"its certificate expired at {issued[name].isoformat()}"
    return missing
