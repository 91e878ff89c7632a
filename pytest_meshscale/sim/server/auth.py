"""Bearer-token authentication and a small RBAC: the admin token may do anything; restricted tokens
(from --token-file) may do only what their rules list."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Authorizer", "Identity", "Rule", "TokenFileError", "load_token_file"]


class TokenFileError(ValueError):
    """The token file is unreadable or a rule is malformed; the message names the field."""


@dataclass(frozen=True, slots=True)
class Rule:
    verbs: frozenset[str]
    resources: frozenset[str]  # "pods", "deployments", "deployments.apps", "pods/log" or "*"
    namespaces: frozenset[str] | None = None  # None: every namespace (and cluster-scoped kinds)
    paths: frozenset[str] = frozenset()  # RBAC's nonResourceURLs: "/metrics", or a prefix ending in "*"

    def allows_path(self, verb: str, path: str) -> bool:
        """As RBAC matches nonResourceURLs: the exact path, or a prefix rule ending in "*"."""
        verb_ok = "*" in self.verbs or verb in self.verbs
        return verb_ok and any(p == path or (p.endswith("*") and path.startswith(p[:-1])) for p in self.paths)

    def allows(self, verb: str, resource: str, subresource: str, namespace: str | None) -> bool:
        if not self.resources:
            return False
        if "*" not in self.verbs and verb not in self.verbs:
            return False
        plural = resource.partition(".")[0]
        names = {resource, plural} | (
            {f"{resource}/{subresource}", f"{plural}/{subresource}"} if subresource else set()
        )
        wanted = names if not subresource else {n for n in names if "/" in n}
        if "*" not in self.resources and not (wanted & self.resources):
            return False
        return self.namespaces is None or (namespace is not None and namespace in self.namespaces)


@dataclass(frozen=True, slots=True)
class Identity:
    user: str
    rules: tuple[Rule, ...] | None  # None: admin
    # the sim's own data-plane agent (--agent): the injected API faults stand in front of the API server for the
    # run's clients, as on kwok, so they never hit the agent's watches and writes
    internal: bool = False


def _strings(value: Any, where: str) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise TokenFileError(f"token file: {where} must be a non-empty list of strings, got {value!r}")
    return frozenset(value)


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise TokenFileError(f"token file: {where} must be a mapping with verbs/resources/namespaces, got {raw!r}")
    unknown = set(raw) - {"verbs", "resources", "namespaces", "nonResourceURLs"}
    if unknown:
        raise TokenFileError(f"token file: {where} has unknown keys {sorted(unknown)}; accepted: verbs, resources, "
                             "namespaces, nonResourceURLs")
    verbs = _strings(raw.get("verbs"), f"{where}.verbs")
    if "nonResourceURLs" in raw:  # as RBAC: one rule is about resources or about paths, never both
        if "resources" in raw or "namespaces" in raw:
            raise TokenFileError(f"token file: {where}: nonResourceURLs cannot be combined with resources or "
                                 "namespaces (non-resource URLs are cluster-wide)")
        return Rule(verbs, frozenset(), None, _strings(raw["nonResourceURLs"], f"{where}.nonResourceURLs"))
    ns = raw.get("namespaces")
    return Rule(verbs, _strings(raw.get("resources"), f"{where}.resources"),
                None if ns is None else _strings(ns, f"{where}.namespaces"))


def load_token_file(path: str) -> dict[str, tuple[Rule, ...]]:
    """{token: rules} from YAML/JSON: either {TOKEN: [rules]} or {tokens: {TOKEN: [rules]}}."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise TokenFileError(f"token file {path!r} cannot be read as YAML/JSON: {exc}") from None
    if isinstance(data, Mapping) and isinstance(data.get("tokens"), Mapping):
        data = data["tokens"]
    if not isinstance(data, Mapping) or not data:
        raise TokenFileError(f"token file {path!r} must map each token to a list of rules, got {json.dumps(data)[:80]}")
    out: dict[str, tuple[Rule, ...]] = {}
    for token, rules in data.items():
        if not isinstance(rules, list):
            raise TokenFileError(f"token file: rules of token {str(token)[:6]}... must be a list, got {rules!r}")
        out[str(token)] = tuple(_rule(r, f"token {str(token)[:6]}...[{i}]") for i, r in enumerate(rules))
    return out


class Authorizer:
    """Who a bearer token is, and whether it may do a verb on a resource in a namespace."""

    def __init__(self, admin_token: str | None = None, restricted: Mapping[str, tuple[Rule, ...]] | None = None):
        self.admin_token = admin_token or secrets.token_urlsafe(32)
        self.agent_token = secrets.token_urlsafe(32)  # handed only to the agent the sim runs in-process
        self._ids = {self.admin_token: Identity("meshscale-sim-admin", None),
                     self.agent_token: Identity("meshscale-sim-agent", None, internal=True)}
        for i, (token, rules) in enumerate((restricted or {}).items()):
            self._ids[token] = Identity(f"meshscale-sim-restricted-{i}", rules)

    def identify(self, authorization: str | None) -> Identity | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        return self._ids.get(authorization[7:].strip())

    @staticmethod
    def allowed(who: Identity, verb: str, resource: str, subresource: str, namespace: str | None) -> bool:
        if who.rules is None:
            return True
        return any(r.allows(verb, resource, subresource, namespace) for r in who.rules)

    @staticmethod
    def allowed_path(who: Identity, verb: str, path: str) -> bool:
        return who.rules is None or any(r.allows_path(verb, path) for r in who.rules)
