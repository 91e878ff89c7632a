"""Mesh values files: Cilium's against the chart's values JSON schema (and every key must be one the schema
declares, since the schema leaves unknown keys open); Istio's carry the seed's settings in the >= 1.24 layout."""

from __future__ import annotations

import contextlib
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_meshscale.meshes.install.steps import Plan
from pytest_meshscale.meshes.install.versions import Versions
from pytest_meshscale.provision.installer import MESHES as MESHES_REGISTERED
from pytest_meshscale.provision.installer import PlanError, load_versions, plan_for

REPO = Path(__file__).resolve().parents[2]
MESHES = REPO / "fixtures" / "meshes"
SCHEMA = REPO / ".." / "shared" / "upstream" / "helm-schemas" / "cilium-values.schema.json"


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def cilium_schema() -> dict[str, Any]:
    if not SCHEMA.is_file():
        pytest.skip(f"Cilium values schema not found at {SCHEMA} (../shared/upstream/helm-schemas is absent)")
    return json.loads(SCHEMA.read_text())


def _undeclared(values: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Key paths the schema does not declare (a typo would otherwise validate: no additionalProperties)."""
    if not isinstance(values, dict) or "properties" not in schema:
        return []
    found = []
    for key, value in values.items():
        sub = schema["properties"].get(key)
        found += [f"{path}{key}"] if sub is None else _undeclared(value, sub, f"{path}{key}.")
    return found


@pytest.mark.parametrize("platform", ["kind", "aks"])
def test_cilium_values_validate_against_the_charts_schema(cilium_schema: dict[str, Any], platform: str) -> None:
    import jsonschema

    values = _load(MESHES / "cilium" / f"values-{platform}.yaml")
    jsonschema.Draft7Validator(cilium_schema).validate(values)
    assert _undeclared(values, cilium_schema) == []


def test_the_undeclared_key_check_catches_a_typo(cilium_schema: dict[str, Any]) -> None:
    assert _undeclared({"encryption": {"enabeld": True}, "l7proxy": True}, cilium_schema) == [
        "encryption.enabeld", "l7proxy"]


@pytest.mark.parametrize("platform", ["kind", "aks"])
def test_cilium_values_mirror_the_seed(platform: str) -> None:
    values = _load(MESHES / "cilium" / f"values-{platform}.yaml")
    assert values["encryption"] == {"enabled": True, "type": "wireguard"}
    assert values["l7Proxy"] is True and values["ciliumEndpointSlice"] == {"enabled": True}
    # node-init and BYO CNI are AKS needs; kind nodes need neither, but kind runs without kube-proxy
    assert values["nodeinit"]["enabled"] is (platform == "aks")
    assert values.get("aksbyocni", {}).get("enabled", False) is (platform == "aks")
    if platform == "kind":
        assert values["kubeProxyReplacement"] is True and values["k8sServicePort"] == 6443
        assert values["k8sServiceHost"].endswith("-control-plane")


def test_istiod_values_carry_the_seeds_settings_at_the_top_level() -> None:
    values = _load(MESHES / "istio-ambient" / "values-istiod.yaml")
    assert values["nodeSelector"] == {"size": "large"}
    assert values["tolerations"] == [{"key": "client", "operator": "Exists", "effect": "NoSchedule"}]
    assert values["autoscaleMax"] == 10
    # Istio >= 1.24 charts read user values at the top level; the seed's `defaults.pilot` would be ignored
    assert not {"defaults", "pilot", "_internal_defaults_do_not_set"} & set(values)


def test_fips_values_set_the_compliance_policy_and_ztunnel_tls12() -> None:
    istiod = _load(MESHES / "istio-ambient" / "values-istiod-fips.yaml")
    assert istiod["env"] == {"COMPLIANCE_POLICY": "fips-140-2"}
    assert istiod["meshConfig"]["defaultConfig"]["proxyMetadata"]["COMPLIANCE_POLICY"] == "fips-140-2"
    assert _load(MESHES / "istio-ambient" / "values-ztunnel-fips.yaml")["env"] == {"TLS12_ENABLED": "true"}
    text = (MESHES / "istio-ambient" / "values-istiod-fips.yaml").read_text()
    assert "BoringSSL" in text  # documented as needing a FIPS build


def _every_plan(versions: Versions) -> list[Plan]:
    """Each registered mesh on kind and on an existing (AKS) cluster, with and without FIPS where it is accepted."""
    plans = []
    for mesh in MESHES_REGISTERED:
        for cluster_kind, fips in itertools.product(("kind", "existing"), (False, True)):
            with contextlib.suppress(PlanError):
                plans.append(plan_for(cluster_kind, mesh, versions, fips=fips))
    return plans


def test_every_values_file_is_used_by_some_plan() -> None:
    plans = _every_plan(load_versions(overrides={"istio_chart": "1.28.1"}))
    used = {Path(a).resolve() for p in plans for s in p.steps for a in s.argv if "/meshes/" in a}
    on_disk = {p.resolve() for p in MESHES.glob("*/values*.yaml")}
    assert on_disk and on_disk == used
