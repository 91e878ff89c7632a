"""Scale profiles: the shipped ones are right (full is exactly the seed) and bad fields are named."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from pytest_meshscale.data.profiles import load_profile, profile_path
from pytest_meshscale.model import ProfileError, parse_profile


def _data(name: str) -> dict[str, Any]:
    return yaml.safe_load(profile_path(name).read_text())


def test_full_is_the_seed() -> None:
    p = load_profile("full")
    server, client = p.pool("server"), p.pool("client")
    assert (server.count, server.cores, client.count, client.cores) == (900, 8, 100, 32)
    assert client.labels == {"size": "large"} and server.labels == {"size": "small", "group": "1"}
    assert [(t.key, t.value, t.effect) for t in client.taints] == [("client", "true", "NoSchedule")]
    w = p.workload
    assert (w.namespaces, w.services_per_namespace, w.pods_per_service, w.clients_per_namespace) == (500, 1, 100, 1)
    assert w.namespace_names()[0] == "ns-001" and w.namespace_names()[-1] == "ns-500"
    assert (p.churn.rescale_interval_s, p.churn.replicas_min, p.churn.replicas_max) == (1, 85, 115)
    assert p.churn.relabel_interval_s == 60
    load = p.load
    assert (load.qps, load.connections, load.duration_s, load.timeout_ms) == (None, 128, 120, 750)
    assert load.uniform and load.percentiles == (50, 75, 90, 99, 99.9)
    assert w.policy == "seed-l7"  # istioL7 / ciliumL7: the blog's runs had the L7 policy everywhere


@pytest.mark.parametrize("name", ["smoke", "pr", "full"])
def test_shipped_profiles_load(name: str) -> None:
    assert load_profile(name).name == name


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("load", "connections"), 0, "field 'load.connections' must be an integer >= 1, got 0"),
        (("load", "qps"), "fast", "field 'load.qps' must be 'max' or a number > 0, got 'fast'"),
        (("churn", "replicas_max"), 1, "field 'churn.replicas_max' must be >= replicas_min (3), got 1"),
        (("workload", "namespacez"), 3, "field 'workload.namespacez' is not a known field, got 3"),
        (("thresholds", "min_qps"), "lots", "field 'thresholds.min_qps' must be a number >= 0.0, got 'lots'"),
    ],
)
def test_bad_field_is_named(path: tuple[str, str], value: object, message: str) -> None:
    data = copy.deepcopy(_data("smoke"))
    data[path[0]][path[1]] = value
    with pytest.raises(ProfileError) as err:
        parse_profile(data, "my.yaml")
    assert str(err.value) == f"profile my.yaml: {message}"


def test_unknown_workload_policy_is_named_before_the_run(tmp_path) -> None:
    data = copy.deepcopy(_data("smoke"))
    data["workload"]["policy"] = "seed-l8"
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ProfileError, match=r"field 'workload.policy' must be one of none, .*seed-l7.*, got 'seed-l8'"):
        load_profile(str(path))
    data["workload"]["policy"] = "none"
    path.write_text(yaml.safe_dump(data))
    assert load_profile(str(path)).workload.policy == "none"


def test_bad_taint_effect_and_label_types() -> None:
    data = copy.deepcopy(_data("smoke"))
    data["node_pools"][1]["taints"][0]["effect"] = "Sometimes"
    with pytest.raises(ProfileError, match=r"node_pools\[1\].taints\[0\].effect' must be one of NoSchedule"):
        parse_profile(data, "x")
    data = copy.deepcopy(_data("smoke"))
    data["node_pools"][0]["labels"] = {"group": 1}
    with pytest.raises(ProfileError, match="mapping of strings to strings"):
        parse_profile(data, "x")


def test_pools_need_one_server_and_one_client() -> None:
    data = copy.deepcopy(_data("smoke"))
    data["node_pools"][1]["role"] = "server"
    with pytest.raises(ProfileError, match="exactly one 'server' and one 'client' pool"):
        parse_profile(data, "x")


@pytest.mark.parametrize("prefix", ["NS_", "ns_", "1ns-", "-ns", "", "Ns-", "a" * 21, "ns.", 3])
def test_namespace_prefix_must_be_a_dns_label_prefix(prefix: object) -> None:
    """Accepted today and then nine HTTP 422s from the API server: refused here, one line, file/field/value."""
    data = copy.deepcopy(_data("smoke"))
    data["workload"]["namespace_prefix"] = prefix
    with pytest.raises(ProfileError) as err:
        parse_profile(data, "my.yaml")
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith("profile my.yaml: field 'workload.namespace_prefix' must be ")
    assert text.endswith(f"got {prefix!r}")
    if isinstance(prefix, str):
        assert "DNS-1123 label prefix" in text and "at most 20 characters" in text


@pytest.mark.parametrize("prefix", ["ns-", "team-a-", "x", "perf2", "a" * 20])
def test_good_namespace_prefixes_are_accepted(prefix: str) -> None:
    data = copy.deepcopy(_data("smoke"))
    data["workload"]["namespace_prefix"] = prefix
    names = parse_profile(data, "my.yaml").workload.namespace_names("r1")
    assert names[0] == f"{prefix}r1-001"


def test_a_missing_profile_file_says_not_found(tmp_path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ProfileError) as err:
        load_profile(str(missing))
    assert str(err.value) == (
        f"profile {missing}: not found (a scale is smoke, pr, full or the path of a profile YAML file)"
    )
    with pytest.raises(ProfileError, match=r"^profile nope: not found \("):
        load_profile("nope")


def test_a_directory_or_bad_yaml_is_one_line_naming_the_file(tmp_path) -> None:
    with pytest.raises(ProfileError, match=rf"^profile {tmp_path}: is a directory, not a profile file"):
        load_profile(str(tmp_path))
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n  x: 1\n")
    with pytest.raises(ProfileError) as err:
        load_profile(str(bad))
    assert str(err.value).startswith(f"profile {bad}: is not valid YAML (") and "\n" not in str(err.value)
