"""The expected-verdict oracle: truth tables of every shipped policy file, union, L7, path semantics."""

from __future__ import annotations

import re

import pytest

from pytest_meshscale.data.policies import fleet_workloads, load_policy_case, policy_names
from pytest_meshscale.model import (
    Allow,
    Endpoint,
    Intent,
    L7Rule,
    PathMatch,
    Peer,
    PolicyCase,
    Request,
    Target,
    Verdict,
    expected_verdict,
    l7_namespaces,
)

NAMESPACES = ["ns-001", "ns-002", "ns-003"]
CLIENT, SERVER = fleet_workloads()["client"], fleet_workloads()["server"]
ALLOW, L7, L4 = Verdict.ALLOW, Verdict.DENY_L7, Verdict.DENY_L4


def _case(name: str) -> PolicyCase:
    return load_policy_case(name, NAMESPACES)


def _at(template: Endpoint, ns: str) -> Endpoint:
    return Endpoint(ns, template.workload, template.labels, template.service_account, template.service)


def _get(src_ns: str, dst_ns: str, method: str = "GET", path: str = "/", port: int = 8080) -> Request:
    return Request(_at(CLIENT, src_ns), _at(SERVER, dst_ns), port, method, path)


def test_every_seed_scenario_is_shipped() -> None:
    expected = {"default-deny", "l4-port", "l4-namespace", "l7-method-path", "cross-namespace", "seed-l7"}
    assert expected <= set(policy_names())


@pytest.mark.parametrize("name", policy_names())
def test_oracle_matches_the_truth_table_written_in_the_file(name: str) -> None:
    case = _case(name)
    assert case.cells, f"{name} has no probe cells"
    got = {c.key: expected_verdict(case.intents, c.request).value for c in case.cells}
    assert got == {c.key: c.expect.value for c in case.cells}


@pytest.mark.parametrize("name", policy_names())
def test_every_file_exercises_a_deny_and_an_allow(name: str) -> None:
    verdicts = {c.expect for c in _case(name).cells}
    assert ALLOW in verdicts
    assert verdicts & {L4, L7}


def test_seed_intent_is_the_blogs_path_policy() -> None:
    (intent,) = _case("seed-l7").intents
    (rule,) = intent.allow
    assert intent.target.labels == {"app": "loadservice"}
    assert rule.ports == (8080,)
    assert rule.peers[0].labels == {"app": "fortio-client"}
    assert rule.peers[0].namespaces == ()
    assert rule.http == L7Rule(("GET",), (PathMatch("/"),))
    assert intent.target.namespaces == tuple(NAMESPACES)


def test_behind_a_waypoint_an_l4_deny_is_answered_403() -> None:
    intents = _case("cross-namespace").intents
    enforced = l7_namespaces(intents)
    assert enforced == {"ns-001"}
    same_ns = _get("ns-001", "ns-001")
    assert expected_verdict(intents, same_ns) is L4
    assert expected_verdict(intents, same_ns, l7_enforced=enforced) is L7
    assert expected_verdict(intents, _get("ns-002", "ns-001"), l7_enforced=enforced) is ALLOW


def _intent(*rules: Allow, default_deny: bool = True, name: str = "i") -> Intent:
    return Intent(name, "", Target(("ns-001",), {"app": "loadservice"}), rules, default_deny)


CLIENTS = (Peer((), {"app": "fortio-client"}, "fortio-client"),)


def test_union_of_intents_an_l4_rule_lifts_the_l7_constraint_for_its_peers() -> None:
    l7 = _intent(Allow(CLIENTS, (8080,), L7Rule(("GET",), (PathMatch("/"),))))
    l4 = _intent(Allow(CLIENTS, (8080,)), name="j")
    assert expected_verdict([l7], _get("ns-001", "ns-001", "POST")) is L7
    assert expected_verdict([l7, l4], _get("ns-001", "ns-001", "POST")) is ALLOW


def test_allow_only_intent_counts_only_under_a_default_deny() -> None:
    extra = _intent(Allow((Peer(("ns-002",), {}, None),), (8080,)), default_deny=False, name="extra")
    assert expected_verdict([extra], _get("ns-003", "ns-001")) is ALLOW  # nothing isolates the pods
    deny = _intent()
    assert expected_verdict([deny, extra], _get("ns-003", "ns-001")) is L4
    assert expected_verdict([deny, extra], _get("ns-002", "ns-001")) is ALLOW


def test_peer_scopes_service_account_labels_and_any_namespace() -> None:
    anyone = _intent(Allow((Peer(("*",), {}, "fortio-client"),), (8080,)))
    assert expected_verdict([anyone], _get("ns-003", "ns-001")) is ALLOW
    other_sa = _intent(Allow((Peer((), {}, "someone-else"),), (8080,)))
    assert expected_verdict([other_sa], _get("ns-001", "ns-001")) is L4
    other_label = _intent(Allow((Peer((), {"app": "other"}, None),), (8080,)))
    assert expected_verdict([other_label], _get("ns-001", "ns-001")) is L4


def test_wrong_port_is_an_l4_deny_even_with_http_rules() -> None:
    l7 = _intent(Allow(CLIENTS, (8080,), L7Rule(("GET",), ())))
    assert expected_verdict([l7], _get("ns-001", "ns-001", port=9090)) is L4
    assert expected_verdict([l7], _get("ns-001", "ns-001", path="/any/thing")) is ALLOW


@pytest.mark.parametrize(
    ("pattern", "path", "match"),
    [
        ("/", "/", True),
        ("/", "/x", False),
        ("/", "", False),
        ("/api/*", "/api/", True),
        ("/api/*", "/api/a/b", True),
        ("/api/*", "/api", False),
        ("/api/*", "/apix", False),
        ("/v1.0", "/v1x0", False),
        ("/*", "/anything", True),
    ],
)
def test_path_semantics_agree_in_the_model_cilium_regex_and_istio_path(
    pattern: str, path: str, match: bool
) -> None:
    p = PathMatch(pattern)
    assert p.matches(path) is match
    assert bool(re.fullmatch(p.regex(), path)) is match  # Envoy (Cilium) matches the whole path
    istio = p.istio()
    assert (path.startswith(istio[:-1]) if istio.endswith("*") else path == istio) is match


def test_cilium_regex_forms_follow_upstream() -> None:
    assert PathMatch("/").regex() == "/$"  # cilium-cli echo-ingress-l7-http.yaml writes "/$"
    assert PathMatch("/api/*").regex() == "/api/.*"  # docs: "/v1/.*"
    assert PathMatch("/v1.0/x").regex() == r"/v1\.0/x$"


def test_a_single_intent_is_accepted() -> None:
    (intent,) = _case("seed-l7").intents
    assert expected_verdict(intent, _get("ns-001", "ns-001", path="/x")) is L7
