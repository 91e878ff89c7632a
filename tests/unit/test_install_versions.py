"""fixtures/meshes/versions.yaml: the pins the brief and the seed ask for, overrides, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pytest_meshscale.provision.installer import VERSIONS_FILE, VersionsError, load_versions, parse_versions


def test_the_pins_are_the_seeds_cilium_an_istio_1_24_and_gateway_api_v1_3_0() -> None:
    v = load_versions()
    assert v.cilium_chart == "1.16.1"  # the seed's helm --version
    assert v.istio_minor() == (1, 24)  # ambient GA
    assert v.gateway_api == "v1.3.0"
    assert "@sha256:" in v.kind_node_image  # kind release notes: the digest is what pins the image
    assert v.kind_node_image.split(":")[1].split("@")[0] == v.kubectl  # kubectl matches the node's Kubernetes


def test_an_override_replaces_one_pin_and_is_validated() -> None:
    assert load_versions(overrides={"istio_chart": "1.28.1"}).istio_chart == "1.28.1"
    with pytest.raises(VersionsError, match=r"^override: istio_chart: bad value '1.28'; accepted: a chart version"):
        load_versions(overrides={"istio_chart": "1.28"})
    with pytest.raises(VersionsError, match=r"^override: unknown key 'istio'; accepted: cilium_chart, "):
        load_versions(overrides={"istio": "1.24.3"})


def test_a_file_with_a_missing_or_bad_pin_is_rejected_with_its_name(tmp_path: Path) -> None:
    data = yaml.safe_load(VERSIONS_FILE.read_text())
    del data["helm"]
    with pytest.raises(VersionsError, match=r"^f.yaml: missing helm$"):
        parse_versions(data, "f.yaml")
    data["helm"] = "3.16.4"
    with pytest.raises(VersionsError, match=r"^f.yaml: helm: bad value '3.16.4'; accepted: a release tag"):
        parse_versions(data, "f.yaml")
    bad = tmp_path / "v.yaml"
    bad.write_text("a: [")
    with pytest.raises(VersionsError, match=r"v.yaml: cannot read \((ScannerError|ParserError)"):
        load_versions(bad)
