"""Reading policy files: placeholders, defaults, and one clear line naming file, field and value."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_meshscale.data.policies import fleet_workloads, load_policy_case, policy_path
from pytest_meshscale.model import ANY_NAMESPACE, PolicyCase, PolicyError, parse_intent, parse_policy_case

NAMESPACES = ["ns-001", "ns-002", "ns-003"]


def _data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(policy_path(name).read_text())
    return data


def _parse(data: object, namespaces: list[str] = NAMESPACES) -> PolicyCase:
    return parse_policy_case(data, "p.yaml", namespaces, fleet_workloads())


def test_placeholders_and_all_are_filled_from_the_fleet() -> None:
    case = load_policy_case("cross-namespace", ["a", "b", "c", "d"])
    (intent,) = case.intents
    assert intent.target.namespaces == ("a",)
    assert intent.target.service == "loadservice"
    assert [r.peers[0].namespaces for r in intent.allow] == [("b",), ("c",)]
    assert case.cells[0].request.source.namespace == "b"
    assert case.cells[0].request.destination.service == "loadservice"
    assert load_policy_case("seed-l7", ["a", "b"]).intents[0].target.namespaces == ("a", "b")


def test_defaults_and_any_namespace() -> None:
    data = _data("l4-port")
    data["intents"][0]["allow"][0]["from"][0]["namespaces"] = "any"
    case = _parse(data)
    intent = case.intents[0]
    assert intent.default_deny is True
    assert intent.allow[0].peers[0].namespaces == (ANY_NAMESPACE,)
    assert case.cells[0].request.method == "GET"
    assert case.cells[0].request.path == "/"


def _set(data: dict[str, Any], path: tuple[Any, ...], value: object) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


RULE = ("intents", 0, "allow", 0)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            (*RULE, "ports"),
            [8080, 70000],
            "field 'intents[0].allow[0].ports' must be a non-empty list of port",
        ),
        (
            (*RULE, "http", "methods"),
            ["FETCH"],
            "field 'intents[0].allow[0].http.methods' must be a list of one of GET",
        ),
        (
            (*RULE, "http", "paths"),
            ["/a*"],
            "field 'intents[0].allow[0].http.paths' must be a list of paths like",
        ),
        (
            (*RULE, "http", "paths"),
            ["api"],
            "field 'intents[0].allow[0].http.paths' must be a list of paths like",
        ),
        ((*RULE, "http"), {}, "field 'intents[0].allow[0].http.methods' or paths must be given"),
        ((*RULE, "from"), [], "field 'intents[0].allow[0].from' must name at least one peer"),
        ((*RULE, "form"), [], "field 'intents[0].allow[0].form' is not a known field"),
        (
            ("intents", 0, "default_deny"),
            False,
            "field 'intents[0].default_deny' must be true when a rule has http",
        ),
        (("intents", 0, "target", "namespaces"), ["{ns[7]}"], "needs namespace index 7 but the fleet has 3"),
        (("intents", 0, "name"), "Seed_L7", "field 'intents[0].name' must be a Kubernetes name"),
        (
            ("cells", 0, "from"),
            "{ns[0]}/fortio",
            "field 'cells[0].from' must be NAMESPACE/WORKLOAD with WORKLOAD one",
        ),
        (("cells", 0, "expect"), "deny", "field 'cells[0].expect' must be one of allow, deny-l7, deny-l4"),
        (("cells", 0, "method"), "get", "field 'cells[0].method' must be one of GET"),
    ],
)
def test_bad_field_is_named(path: tuple[Any, ...], value: object, message: str) -> None:
    data = copy.deepcopy(_data("seed-l7"))
    _set(data, path, value)
    with pytest.raises(PolicyError) as err:
        _parse(data)
    assert str(err.value).startswith("policy p.yaml: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_policy_name_and_bad_yaml_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="must be one of cross-namespace, default-deny"):
        load_policy_case("nope", NAMESPACES)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(PolicyError, match="must be valid YAML"):
        load_policy_case(str(bad), NAMESPACES)


def test_one_intent_parses_alone_and_names_its_source() -> None:
    data = _data("seed-l7")["intents"][0]
    intent = parse_intent(data, "inline", ["ns-001"])
    assert intent.target.namespaces == ("ns-001",)
    with pytest.raises(PolicyError, match=r"^policy inline: field 'allow\[0\].ports'"):
        parse_intent({**data, "allow": [{**data["allow"][0], "ports": "8080"}]}, "inline", ["ns-001"])
