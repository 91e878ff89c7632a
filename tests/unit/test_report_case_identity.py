"""Environments tab identity: each parametrized case is compared with the same case on the other meshes
(not with an arbitrary case of the same test function), and checks across meshes get their own
environment instead of Allure's "default"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_meshscale.report import MESH_LABEL
from pytest_meshscale.report import case_identity as ids
from pytest_meshscale.report.allure_cli import AllureMissing, find_allure
from pytest_meshscale.report.build_command import main as build
from pytest_meshscale.report.report_inputs import scan_inputs, stage_results

FULL_NAME = "tests.policy.test_policy_l4#test_l4_matrix_matches_intent"


def _result(mesh: str | None, case: str | None, uid: str = "") -> dict:
    """The shape allure-pytest writes: parameter values are repr() strings, testCaseId = md5(fullName)."""
    params = [
        {"name": "run id", "value": "'r1'", "excluded": True},
        {"name": "cluster", "value": f"'sim-{mesh}'", "excluded": True},
    ]
    labels = [{"name": "suite", "value": "test_policy_l4"}]
    if mesh:
        params += [{"name": "mesh", "value": repr(mesh)}, {"name": "mesh_name", "value": repr(mesh)}]
        labels.append({"name": MESH_LABEL, "value": mesh})
    if case:
        params.append({"name": "case", "value": repr(case)})
    return {
        "uuid": uid or f"{mesh}-{case}",
        "name": f"test_l4_matrix_matches_intent[{mesh}-{case}]",
        "fullName": FULL_NAME,
        "testCaseId": "same-for-every-case",
        "status": "passed",
        "start": 1,
        "stop": 2,
        "labels": labels,
        "parameters": params,
    }


def test_same_case_same_id_on_every_mesh_and_across_runs():
    cilium, istio = (
        ids.comparison_case_id(_result("cilium", "l4-port")),
        ids.comparison_case_id(_result("istio-ambient", "l4-port")),
    )
    assert cilium is not None
    assert cilium == istio
    rerun = _result("cilium", "l4-port")
    rerun["parameters"][0]["value"] = "'r2'"  # excluded, volatile: history must stay continuous
    assert ids.comparison_case_id(rerun) == cilium


def test_other_case_other_id():
    assert ids.comparison_case_id(_result("cilium", "l4-port")) != ids.comparison_case_id(
        _result("cilium", "default-deny")
    )


def test_mesh_parameters_are_not_part_of_the_case():
    assert ids.case_parameters(_result("cilium", "l4-port"), "cilium") == [("case", "'l4-port'")]


# not "mesh": the plugin's own fixture of that name would be requested
@pytest.mark.parametrize(("mesh_label", "case"), [("cilium", None), (None, "l4-port")])
def test_allure_pytest_id_kept_without_mesh_or_without_case(mesh_label: str | None, case: str | None):
    assert ids.comparison_case_id(_result(mesh_label, case)) is None


def test_the_mesh_label_is_the_one_the_plugin_writes():
    assert ids.MESH_LABEL == MESH_LABEL


def _write(folder: Path, results: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for result in results:
        (folder / f"{result['uuid']}-result.json").write_text(json.dumps(result), encoding="utf-8")


@pytest.fixture
def results(tmp_path: Path) -> Path:
    folder = tmp_path / "allure-results"
    cases = [_result(m, c) for m in ("cilium", "istio-ambient") for c in ("l4-port", "default-deny")]
    _write(folder, [*cases, _result(None, None, uid="parity")])
    return folder


def test_staging_rewrites_ids_and_leaves_inputs_alone(results: Path, tmp_path: Path):
    before = {p.name: p.read_text() for p in results.iterdir()}
    found = scan_inputs([results])
    assert found.cross_mesh
    assert found.meshes == ("cilium", "istio-ambient")
    staged = stage_results(found, tmp_path / "staging")
    by_name = {r["name"]: r["testCaseId"] for r in (json.loads(p.read_text()) for p in staged.glob("*-result.json"))}
    assert (
        by_name["test_l4_matrix_matches_intent[cilium-l4-port]"]
        == by_name["test_l4_matrix_matches_intent[istio-ambient-l4-port]"]
    )
    assert (
        by_name["test_l4_matrix_matches_intent[cilium-l4-port]"]
        != by_name["test_l4_matrix_matches_intent[cilium-default-deny]"]
    )
    assert by_name["test_l4_matrix_matches_intent[None-None]"] == "same-for-every-case"
    assert {p.name: p.read_text() for p in results.iterdir()} == before


def test_no_cross_mesh_results_no_cross_mesh_environment(tmp_path: Path):
    _write(tmp_path / "r", [_result("cilium", "l4-port")])
    assert not scan_inputs([tmp_path / "r"]).cross_mesh


def test_environments_tab_pairs_the_same_case(results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    try:
        find_allure()
    except AllureMissing as exc:
        pytest.skip(f"Allure 3 not available ({exc})")
    out = tmp_path / "report"
    assert build([str(results), "-o", str(out)]) == 0, capsys.readouterr().err
    names = {r["id"]: r["name"] for r in json.loads((out / "test-results.json").read_text())["byId"].values()}
    groups = [json.loads(p.read_text()) for p in (out / "data" / "test-env-groups").glob("*.json")]
    paired = sorted(sorted(names[i] for i in g["testResultsByEnv"].values()) for g in groups)
    assert [
        "test_l4_matrix_matches_intent[cilium-default-deny]",
        "test_l4_matrix_matches_intent[istio-ambient-default-deny]",
    ] in paired
    assert ["test_l4_matrix_matches_intent[None-None]"] in paired
    envs = {e["id"]: e["name"] for e in json.loads((out / "widgets" / "environments.json").read_text())}
    parity = next(g for g in groups if "all-meshes" in g["testResultsByEnv"])
    assert names[parity["testResultsByEnv"]["all-meshes"]] == "test_l4_matrix_matches_intent[None-None]"
    assert envs["all-meshes"] == "across meshes"
