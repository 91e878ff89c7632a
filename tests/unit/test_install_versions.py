"""fixtures/meshes/versions.yaml (the shared tools) and fixtures/meshes/<mesh>/versions.yaml (each mesh's
charts): the pins the brief and the seed ask for, overrides, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pytest_meshscale.meshes import DRIVERS
from pytest_meshscale.meshes.istio_ambient.install import istio_minor
from pytest_meshscale.provision.installer import VERSIONS_FILE, VersionsError, load_versions, parse_versions, plan_for


def test_the_pins_are_the_seeds_cilium_an_istio_1_24_and_gateway_api_v1_3_0() -> None:
    v = load_versions()
    assert v.pin("cilium_chart") == "1.16.1"  # the seed's helm --version
    assert istio_minor(v) == (1, 24)  # ambient GA
    assert v.pin("gateway_api") == "v1.3.0"
    assert "@sha256:" in v.kind_node_image  # kind release notes: the digest is what pins the image
    assert v.kind_node_image.split(":")[1].split("@")[0] == v.kubectl  # kubectl matches the node's Kubernetes


def test_every_installable_mesh_has_its_chart_pinned() -> None:
    v = load_versions()
    assert all(driver.chart_key in v.pins for driver in DRIVERS.values() if driver.chart_key)


def test_an_override_replaces_one_pin_and_is_validated() -> None:
    assert load_versions(overrides={"istio_chart": "1.28.1"}).pin("istio_chart") == "1.28.1"
    assert load_versions(overrides={"helm": "v3.17.0"}).helm == "v3.17.0"
    with pytest.raises(VersionsError, match=r"^override: istio_chart: bad value '1.28'; accepted: a chart version"):
        load_versions(overrides={"istio_chart": "1.28"})
    with pytest.raises(VersionsError, match=r"^override: unknown key 'istio'; accepted: kind, kind_node_image, "):
        load_versions(overrides={"istio": "1.24.3"})


def test_a_missing_pin_is_one_line_naming_what_is_pinned() -> None:
    with pytest.raises(VersionsError, match=r"no pin 'nope_chart'; pinned: cilium_chart, "):
        load_versions().pin("nope_chart")


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


def test_a_mesh_file_is_checked_by_key_suffix_and_may_not_repin_another_files_key(tmp_path: Path) -> None:
    (tmp_path / "versions.yaml").write_text(VERSIONS_FILE.read_text())
    mesh = tmp_path / "a-mesh"
    mesh.mkdir()
    (mesh / "versions.yaml").write_text("a_chart: '2.0'\n")
    with pytest.raises(VersionsError, match=r"a-mesh/versions.yaml: a_chart: bad value '2.0'; accepted: a chart"):
        load_versions(tmp_path / "versions.yaml")
    (mesh / "versions.yaml").write_text("a_chart: 2.0.1\na_repo: http://x\n")
    with pytest.raises(VersionsError, match=r"a_repo: bad value 'http://x'; accepted: an https:// Helm"):
        load_versions(tmp_path / "versions.yaml")
    (mesh / "versions.yaml").write_text("a_chart: 2.0.1\nhelm: v3.0.0\n")
    with pytest.raises(VersionsError, match=r"bad key 'helm' \(already pinned in .*\); accepted: a new"):
        load_versions(tmp_path / "versions.yaml")
    other = tmp_path / "b-mesh"
    other.mkdir()
    (mesh / "versions.yaml").write_text("a_chart: 2.0.1\n")
    (other / "versions.yaml").write_text("a_chart: 2.0.2\n")
    with pytest.raises(VersionsError, match=r"b-mesh/versions.yaml: bad key 'a_chart' \(already pinned in .*a-mesh"):
        load_versions(tmp_path / "versions.yaml")


def test_a_mesh_may_pin_its_own_kind_node_image_which_only_its_kind_plan_uses(tmp_path: Path) -> None:
    shared = load_versions()
    assert shared.node_image("linkerd").startswith("kindest/node:v1.31.")  # its charts need 1.31+
    assert shared.node_image("cilium") == shared.kind_node_image
    linkerd, cilium = plan_for("kind", "linkerd", shared).steps[0], plan_for("kind", "cilium", shared).steps[0]
    assert linkerd.argv[linkerd.argv.index("--image") + 1] == shared.node_image("linkerd")
    assert cilium.argv[cilium.argv.index("--image") + 1] == shared.kind_node_image
    (tmp_path / "versions.yaml").write_text(VERSIONS_FILE.read_text())
    (tmp_path / "a-mesh").mkdir()
    (tmp_path / "a-mesh" / "versions.yaml").write_text("kind_node_image: kindest/node:latest\n")
    with pytest.raises(VersionsError, match=r"a-mesh/versions.yaml: kind_node_image: bad value 'kindest/node:latest'"):
        load_versions(tmp_path / "versions.yaml")
