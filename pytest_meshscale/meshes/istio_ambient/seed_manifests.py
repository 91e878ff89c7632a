"""The seed's own policy manifests, rebuilt field for field (istio-and-scenario.md §1.5), so the suite
can show it catches their defects: tcp-policy's from and to in two separate rules (ORed: allow-all), and
an L7 policy that names a method but no path."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from ...model import Intent, L7Rule

__all__ = ["seed_istio_tcp_policy", "without_paths"]


def seed_istio_tcp_policy(namespace: str, labels: Mapping[str, str]) -> dict:
    """AuthorizationPolicy `tcp-policy` exactly as the seed's chart rendered it for `istioL4`."""
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "tcp-policy", "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "selector": {"matchLabels": {"app": "loadservice"}},
            "action": "ALLOW",
            "rules": [
                {"from": [{"source": {"namespaces": [namespace]}}]},
                {"to": [{"operation": {"ports": ["8080"]}}]},
            ],
        },
    }


def without_paths(intents: Sequence[Intent]) -> list[Intent]:
    """The same intents with every L7 path dropped (methods kept), as the seed's istioL7 policy was."""
    def strip(rule: object) -> object:
        http = getattr(rule, "http", None)
        return dataclasses.replace(rule, http=L7Rule(http.methods, ())) if http else rule  # type: ignore[type-var]

    return [dataclasses.replace(i, allow=tuple(strip(r) for r in i.allow)) for i in intents]  # type: ignore[misc]
