"""Reading a policy file (intents + probe cells, parsed YAML) into the model; errors name field and value.

    name, description
    intents: [{name, description, default_deny: true,
               target: {namespaces: all | [NS...], labels: {..}, service: NAME},
               allow: [{from: [{namespaces: any | [NS...] (default: the target's own),
                                labels: {..}, service_account: NAME}],
                        ports: [8080], http: {methods: [GET], paths: ["/", "/api/*"]}}]}]
    cells:   [{from: NS/WORKLOAD, to: NS/WORKLOAD, port: 8080, method: GET, path: /,
               expect: allow | deny-l7 | deny-l4}]

NS is a name or a placeholder, `{ns[0]}`, `{ns[1]}`... (the fleet's first, second... namespace), so
one file fits every profile; `all` targets every namespace of the fleet. WORKLOAD is a name the
caller maps to a fleet endpoint (policy_files: `client`, `server`). `expect` is the mesh-neutral
verdict (model.policy.expected_verdict without `l7_enforced`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .errors import ProfileError
from .fields import Fields
from .policy import ANY_NAMESPACE, Allow, Endpoint, Intent, L7Rule, PathMatch, Peer, Request, Target, Verdict
from .policy_errors import PolicyError
from .policy_matrix import ProbeCell

__all__ = ["HTTP_METHODS", "PolicyCase", "parse_intent", "parse_policy_case"]

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Characters that mean the same in a Cilium regex (after escaping) and an Istio path; "/*" = prefix.
_PATH = re.compile(r"^/[A-Za-z0-9/_.~-]*(?<=/)\*$|^/[A-Za-z0-9/_.~-]*$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PLACEHOLDER = re.compile(r"\{ns\[(\d+)\]\}")
_VERDICTS = tuple(v.value for v in Verdict)


@dataclass(frozen=True, slots=True)
class PolicyCase:
    """One policy file: intents applied together and the cells the test probes."""

    name: str
    description: str
    intents: tuple[Intent, ...]
    cells: tuple[ProbeCell, ...]


@dataclass(frozen=True, slots=True)
class _Fleet:
    namespaces: tuple[str, ...]
    workloads: Mapping[str, Endpoint]

    def namespace(self, f: Fields, key: str, text: object) -> str:
        if not isinstance(text, str) or not text:
            raise f.fail(key, text, "must be a namespace name or a placeholder like {ns[0]}")
        return _PLACEHOLDER.sub(lambda m: self._index(f, key, int(m.group(1))), text)

    def _index(self, f: Fields, key: str, index: int) -> str:
        if index >= len(self.namespaces):
            have = f"{len(self.namespaces)} namespace(s): {', '.join(self.namespaces[:3])}"
            raise f.fail(key, f"{{ns[{index}]}}", f"needs namespace index {index} but the fleet has {have}")
        return self.namespaces[index]

    def endpoint(self, f: Fields, key: str) -> Endpoint:
        text = f.text(key)
        ns, _, name = text.rpartition("/")
        if not ns or name not in self.workloads:
            names = ", ".join(self.workloads)
            raise f.fail(key, text, f"must be NAMESPACE/WORKLOAD with WORKLOAD one of {names}")
        return dataclasses.replace(self.workloads[name], namespace=self.namespace(f, key, ns))


def parse_policy_case(
    data: object, source: str, namespaces: Sequence[str], workloads: Mapping[str, Endpoint]
) -> PolicyCase:
    """Parse one policy file; `workloads` maps the names used in cells to fleet endpoints."""
    try:
        return _case(Fields(data, source), _Fleet(tuple(namespaces), workloads))
    except ProfileError as err:  # Fields reports in profile terms; say "policy" to the user
        raise PolicyError(err.source, err.field, err.value, err.expected) from None


def parse_intent(data: object, source: str, namespaces: Sequence[str]) -> Intent:
    """Parse one intent mapping (the items of a policy file's `intents`)."""
    try:
        return _intent(Fields(data, source), _Fleet(tuple(namespaces), {}))
    except ProfileError as err:
        raise PolicyError(err.source, err.field, err.value, err.expected) from None


def _case(f: Fields, fleet: _Fleet) -> PolicyCase:
    name, description = _name(f, "name"), f.text("description")
    intents = tuple(_intent(i, fleet) for i in f.items("intents"))
    cells = tuple(_cell(c, fleet) for c in f.items("cells", []))
    f.done()
    return PolicyCase(name, description, intents, cells)


def _name(f: Fields, key: str) -> str:
    value = f.text(key)
    if not _NAME.match(value) or len(value) > 63:
        raise f.fail(key, value, "must be a Kubernetes name (lowercase letters, digits, '-')")
    return value


def _intent(f: Fields, fleet: _Fleet) -> Intent:
    name, description = _name(f, "name"), f.text("description")
    default_deny = f.boolean("default_deny", True)
    target = _target(f.sub("target"), fleet)
    rules = tuple(_allow(a, fleet) for a in f.items("allow", []))
    if not default_deny and any(r.http for r in rules):
        raise f.fail("default_deny", False, "must be true when a rule has http (meshes differ otherwise)")
    f.done()
    return Intent(name, description, target, rules, default_deny)


def _target(f: Fields, fleet: _Fleet) -> Target:
    raw = f.raw("namespaces")
    if raw == "all":
        namespaces = fleet.namespaces
    else:
        namespaces = _namespace_list(f, "namespaces", raw, fleet)
    service = f.raw("service", None)
    if service is not None:
        service = _name(f, "service")
    labels = f.str_map("labels")
    f.done()
    return Target(namespaces, labels, service)


def _namespace_list(f: Fields, key: str, raw: object, fleet: _Fleet) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise f.fail(key, raw, "must be a non-empty list of namespaces (placeholders like {ns[0]} allowed)")
    return tuple(fleet.namespace(f, key, v) for v in raw)


def _peer(f: Fields, fleet: _Fleet) -> Peer:
    raw = f.raw("namespaces", None)
    if raw is None:
        namespaces: tuple[str, ...] = ()  # the target's own namespace, as Cilium scopes selectors
    elif raw == "any":
        namespaces = (ANY_NAMESPACE,)
    else:
        namespaces = _namespace_list(f, "namespaces", raw, fleet)
    sa = f.raw("service_account", None)
    peer = Peer(namespaces, f.str_map("labels"), None if sa is None else _name(f, "service_account"))
    f.done()
    return peer


def _allow(f: Fields, fleet: _Fleet) -> Allow:
    peers = tuple(_peer(p, fleet) for p in f.items("from"))
    if not peers:
        raise f.fail("from", [], "must name at least one peer (use {namespaces: any} for everyone)")
    ports = _ports(f)
    http = _http(f.sub("http")) if f.raw("http", None) is not None else None
    f.done()
    return Allow(peers, ports, http)


def _ports(f: Fields) -> tuple[int, ...]:
    raw = f.raw("ports")
    if not isinstance(raw, list) or not raw or not all(_is_port(p) for p in raw):
        raise f.fail("ports", raw, "must be a non-empty list of port numbers 1-65535")
    return tuple(raw)


def _is_port(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536


def _http(f: Fields) -> L7Rule:
    methods = _strings(f, "methods", lambda m: m in HTTP_METHODS, f"one of {', '.join(HTTP_METHODS)}")
    paths = _strings(f, "paths", lambda p: bool(_PATH.match(p)), "paths like /, /api/orders or /api/*")
    if not methods and not paths:
        raise f.fail("methods", [], "or paths must be given (an empty http rule constrains nothing)")
    f.done()
    return L7Rule(methods, tuple(PathMatch(p) for p in paths))


def _strings(f: Fields, key: str, ok: Callable[[str], bool], accepted: str) -> tuple[str, ...]:
    raw = f.raw(key, [])
    if not isinstance(raw, list) or not all(isinstance(v, str) and ok(v) for v in raw):
        raise f.fail(key, raw, f"must be a list of {accepted}")
    return tuple(raw)


def _cell(f: Fields, fleet: _Fleet) -> ProbeCell:
    source, destination = fleet.endpoint(f, "from"), fleet.endpoint(f, "to")
    port = f.integer("port", minimum=1)
    method = f.text("method", "GET", choices=HTTP_METHODS)
    path = f.text("path", "/")
    if not path.startswith("/"):
        raise f.fail("path", path, "must start with /")
    expect = Verdict(f.text("expect", choices=_VERDICTS))
    f.done()
    return ProbeCell(Request(source, destination, port, method, path), expect)
