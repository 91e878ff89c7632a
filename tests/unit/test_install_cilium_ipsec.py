"""cilium-ipsec's install: the generated key Secret first (never printed), then the cilium release with the
cilium mesh's platform values and the IPsec layer after them, pinned to its own chart; values validated
against Cilium's chart schema after Helm's merge."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_install_dry_run import _dry_run
from test_install_dry_run import _steps as dry_run_steps
from test_install_values import _undeclared, cilium_schema  # noqa: F401  (cilium_schema is a fixture)

from pytest_meshscale.meshes.base import InstallContext
from pytest_meshscale.meshes.cilium_ipsec.driver import CiliumIpsecDriver
from pytest_meshscale.meshes.install.steps import Plan, Target
from pytest_meshscale.provision.installer import load_versions
from pytest_meshscale.provision.installer.render import render_dry_run

REPO = Path(__file__).resolve().parents[2]
MESHES = REPO / "fixtures" / "meshes"
KEY_LINE = re.compile(r"^3\+ rfc4106\(gcm\(aes\)\) ([0-9a-f]{40}) 128$")  # the IPsec guide's format


def _steps(platform: str = "kind", fips: bool = False):  # type: ignore[no-untyped-def]
    ctx = InstallContext(Target(None, "kind-pr-9"), load_versions(), MESHES / "cilium-ipsec", platform,
                         "pr-9-control-plane" if platform == "kind" else None, fips)
    return CiliumIpsecDriver().install_steps(ctx)


def _key(step: Any) -> str:
    secret = yaml.safe_load(step.manifest)
    assert (secret["kind"], secret["metadata"]["name"], secret["metadata"]["namespace"]) == (
        "Secret", "cilium-ipsec-keys", "kube-system")
    match = KEY_LINE.match(secret["stringData"]["keys"])
    assert match, secret["stringData"]["keys"][:30]
    return match.group(1)


def test_the_key_secret_comes_first_then_the_cilium_release_and_its_rollouts() -> None:
    assert [s.name for s in _steps()] == ["secret-cilium-ipsec-keys", "helm-cilium", "wait-daemonset-cilium",
                                          "wait-deployment-cilium-operator", "wait-nodes"]


def test_each_plan_generates_its_own_key_and_an_existing_secret_is_kept() -> None:
    first, second = _steps()[0], _steps()[0]
    assert _key(first) != _key(second)  # 20 random bytes each time, never a fixed key
    assert first.secret and first.argv[-3:] == ("apply", "-f", "-")
    assert first.skip_if == ("kubectl", "--context", "kind-pr-9", "--namespace", "kube-system", "get", "secret",
                             "cilium-ipsec-keys")
    assert first.undo is not None and first.undo.argv[-4:] == ("delete", "secret", "cilium-ipsec-keys",
                                                                "--ignore-not-found")


def test_no_key_is_committed_in_the_fixtures() -> None:
    texts = [p.read_text() for p in (MESHES / "cilium-ipsec").iterdir()]
    assert not any(re.search(r"[0-9a-f]{40}", t) for t in texts)


def test_the_dry_run_says_a_key_is_generated_but_never_prints_it() -> None:
    steps = _steps()
    text = render_dry_run(Plan("cilium-ipsec on kind", "kind", "cilium-ipsec", tuple(steps), ()))
    assert _key(steps[0]) not in text and "rfc4106" not in text
    assert "a key generated when the plan is built, never printed" in text
    assert "cilium-ipsec-keys" in text  # the guard and the undo still show what is created


@pytest.mark.parametrize("platform", ["kind", "aks"])
def test_the_release_layers_the_ipsec_values_after_the_cilium_platform_values(platform: str) -> None:
    argv = _steps(platform)[1].argv
    files = [argv[i + 1] for i, a in enumerate(argv) if a == "-f"]
    assert files == [str(MESHES / "cilium" / f"values-{platform}.yaml"), str(MESHES / "cilium-ipsec" /
                                                                           "values-ipsec.yaml")]
    assert argv[argv.index("--version") + 1] == load_versions().pin("cilium_ipsec_chart") == "1.16.4"
    assert argv[argv.index("--repo") + 1] == load_versions().pin("cilium_repo")
    assert ("k8sServiceHost=pr-9-control-plane" in argv) is (platform == "kind")


def test_fips_is_accepted_with_its_conditions_stated() -> None:
    assert [s.name for s in _steps(fips=True)] == [s.name for s in _steps()]  # AES-GCM either way
    notes = " ".join(CiliumIpsecDriver().install_notes(fips=True))
    assert "fips_enabled" in notes and "not a validation claim" in notes


def _merge(base: Any, layer: Any) -> Any:
    """Helm's merge of -f files: maps merge key by key, anything else is replaced by the later file."""
    if isinstance(base, dict) and isinstance(layer, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in layer.items()}}
    return layer


def _values(platform: str) -> dict[str, Any]:
    layers = [MESHES / "cilium" / f"values-{platform}.yaml", MESHES / "cilium-ipsec" / "values-ipsec.yaml"]
    merged: dict[str, Any] = {}
    for path in layers:
        merged = _merge(merged, yaml.safe_load(path.read_text()))
    return merged


@pytest.mark.parametrize("platform", ["kind", "aks"])
def test_merged_values_validate_against_the_charts_schema(cilium_schema: dict[str, Any], platform: str) -> None:  # noqa: F811
    import jsonschema

    values = _values(platform)
    jsonschema.Draft7Validator(cilium_schema).validate(values)
    assert _undeclared(values, cilium_schema) == []
    layer = yaml.safe_load((MESHES / "cilium-ipsec" / "values-ipsec.yaml").read_text())
    assert _undeclared(layer, cilium_schema) == []


@pytest.mark.parametrize("platform", ["kind", "aks"])
def test_merged_values_are_the_seeds_cilium_with_ipsec_instead_of_wireguard(platform: str) -> None:
    values = _values(platform)
    assert values["encryption"] == {"enabled": True, "type": "ipsec",
                                    "ipsec": {"secretName": "cilium-ipsec-keys", "keyFile": "keys"}}
    assert values["l7Proxy"] is True and values["ciliumEndpointSlice"] == {"enabled": True}
    assert values["bpf"] == {"hostLegacyRouting": True}  # the guide: IPsec does not work with BPF host routing


def test_the_merge_helper_replaces_scalars_and_merges_maps() -> None:
    assert _merge({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": 3}, "d": [2]}) == {"a": {"b": 3, "c": 2}, "d": [2]}


def test_kind_dry_run_lists_the_key_step_first_and_never_the_key(pytester: pytest.Pytester,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = _dry_run(pytester, monkeypatch, "--mesh-cluster=kind", "--mesh=cilium-ipsec",
                   "--mesh-cilium-ipsec-version=1.16.5").stdout.str()
    assert dry_run_steps(out) == ["kind-cluster", "secret-cilium-ipsec-keys", "helm-cilium", "wait-daemonset-cilium",
                                  "wait-deployment-cilium-operator", "wait-nodes", "helm-metrics-server",
                                  "wait-deployment-metrics-server"]
    assert "--version 1.16.5" in out and "values-ipsec.yaml" in out and "fixtures/kind/cilium-ipsec.yaml" in out
    assert "a key generated when the plan is built, never printed" in out
    assert not re.search(r"\d+\+ rfc4106\(gcm\(aes\)\) [0-9a-f]{40}", out)  # no key line anywhere
