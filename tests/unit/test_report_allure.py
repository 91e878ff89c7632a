"""Allure identity and run files: two meshes in one results folder are two results per test, not
retries; environment.properties, categories.json, executor.json and global attachments."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from pytest_meshscale.model import NodePool
from pytest_meshscale.report.run_files import (
    MeshFacts,
    RunFacts,
    environment_properties,
    executor,
    merge_environments,
    read_properties,
    write_run_files,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

INNER = """
import os
import pytest
from pytest_meshscale.report.allure_labels import ResultIdentity, attach_run_file, label_test

@pytest.fixture(autouse=True)
def _identity():
    label_test(ResultIdentity(mesh=os.environ["MESH"], scale="pr", suite="policy", scenario="L7 deny by path",
                            simulated=True, run_id=os.environ["RUN"], cluster="sim-" + os.environ["RUN"]))

def test_allows_get():
    pass

def test_denies_post():
    assert os.environ["MESH"] != "cilium", "POST /admin allowed on cilium"

def test_zz_run_file():
    attach_run_file("profile.yaml", "name: pr\\n")
"""


def _results(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in folder.glob("*-result.json")]


def _run_two_meshes(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, label: bool = True) -> Path:
    pytester.makepyfile(test_inner=INNER if label else INNER.replace("    label_test(", "    (lambda _: None)("))
    alluredir = pytester.path / "allure-results"
    for mesh, run in (("istio-ambient", "r1"), ("cilium", "r2")):
        monkeypatch.setenv("MESH", mesh)
        monkeypatch.setenv("RUN", run)
        pytester.runpytest_inprocess("-p", "no:meshscale", "-p", "no:cacheprovider", f"--alluredir={alluredir}")
    return alluredir


def _param(result: dict, name: str) -> dict:
    return next(p for p in result["parameters"] if p["name"] == name)


def test_two_meshes_give_twice_the_tests_not_retries(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    results = _results(_run_two_meshes(pytester, monkeypatch))
    assert len(results) == 6
    # Allure's identity: historyId (Allure 2) and testCaseId + non-excluded parameters (Allure 3)
    assert len({r["historyId"] for r in results}) == 6
    keys = {
        (
            r["testCaseId"],
            tuple(sorted((p["name"], p["value"]) for p in r["parameters"] if not p.get("excluded"))),
        )
        for r in results
    }
    assert len(keys) == 6
    assert len({r["testCaseId"] for r in results}) == 3  # same test, different mesh
    by_mesh = {(_param(r, "mesh")["value"], r["name"]): r for r in results}
    assert by_mesh[("'cilium'", "test_denies_post")]["status"] == "failed"
    assert by_mesh[("'istio-ambient'", "test_denies_post")]["status"] == "passed"


def test_labels_and_excluded_volatile_parameters(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    result = next(r for r in _results(_run_two_meshes(pytester, monkeypatch)) if r["name"] == "test_allows_get")
    labels = {(lab["name"], lab["value"]) for lab in result["labels"]}
    assert {
        ("mesh", result["parameters"][0]["value"].strip("'")),
        ("epic", "Policy enforcement"),
        ("feature", "L7 deny by path"),
        ("tag", "SIMULATED"),
        ("simulated", "true"),
    } <= labels
    assert _param(result, "run id")["excluded"] is True
    assert _param(result, "cluster")["excluded"] is True
    assert not _param(result, "scale").get("excluded")
    assert _param(result, "mesh_name")["mode"] == "hidden"  # pytest's duplicate of `mesh`


def test_without_the_mesh_parameter_the_meshes_collide(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """The control: what the label helper prevents (Allure would show 3 tests with one retry each)."""
    results = _results(_run_two_meshes(pytester, monkeypatch, label=False))
    assert len(results) == 6
    assert len({r["historyId"] for r in results}) == 3


def test_run_file_goes_to_allure_globals(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    alluredir = _run_two_meshes(pytester, monkeypatch)
    globals_ = [json.loads(p.read_text()) for p in alluredir.glob("*-globals.json")]
    attachments = [a for g in globals_ for a in g.get("attachments", [])]
    assert [a["name"] for a in attachments] == ["profile.yaml", "profile.yaml"]  # one per session
    assert (alluredir / attachments[0]["source"]).read_text() == "name: pr\n"


FACTS = RunFacts(
    meshes=(MeshFacts("istio-ambient", "1.24.0", ("l7-policy", "mtls")), MeshFacts("cilium", "1.16.3")),
    kubernetes_version="v1.31.0",
    pools=(NodePool("server", "server", 1, 4, 8), NodePool("client", "client", 2, 4, 8)),
    profile="pr",
    cluster_kind="sim",
    simulated=True,
)


def test_environment_properties_round_trip(tmp_path: Path):
    written = write_run_files(tmp_path, FACTS, environ={})
    assert [p.name for p in written] == ["environment.properties", "categories.json"]
    props = read_properties(tmp_path / "environment.properties")
    assert props == environment_properties(FACTS)
    assert props["simulated"] == "true"
    assert props["nodes"] == "3"
    assert props["mesh.istio-ambient.features"] == "l7-policy, mtls"
    assert props["mesh.cilium.features"] == "none"
    assert props["pool.client"] == "2 x 4 cores / 8 GiB (client)"


def test_categories_split_findings_from_infrastructure(tmp_path: Path):
    write_run_files(tmp_path, FACTS, environ={})
    cats = json.loads((tmp_path / "categories.json").read_text())
    by_status = {c["matchedStatuses"][0]: c["name"] for c in reversed(cats)}
    assert "finding" in by_status["failed"].lower()
    assert "infrastructure" in by_status["broken"].lower()


def test_executor_only_in_ci(tmp_path: Path):
    assert executor({}) is None
    gh = {
        "CI": "true",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_RUN_ID": "42",
        "GITHUB_RUN_NUMBER": "7",
        "GITHUB_WORKFLOW": "pr",
    }
    assert executor(gh) == {
        "name": "GitHub Actions",
        "type": "github",
        "url": "https://github.example/o/r",
        "buildOrder": 7,
        "buildName": "pr #7",
        "buildUrl": "https://github.example/o/r/actions/runs/42",
    }
    assert (tmp_path / "executor.json") in write_run_files(tmp_path, FACTS, environ={"CI": "1"})


def test_merged_environment_of_two_jobs(tmp_path: Path):
    istio, cilium = tmp_path / "a", tmp_path / "b"
    write_run_files(istio, RunFacts(FACTS.meshes[:1], "v1.31.0", FACTS.pools, "pr", "kind", False), environ={})
    write_run_files(cilium, RunFacts(FACTS.meshes[1:], "v1.31.1", FACTS.pools, "pr", "sim", True), environ={})
    merged = merge_environments([istio / "environment.properties", cilium / "environment.properties"])
    assert merged["mesh.istio-ambient.version"] == "1.24.0"
    assert merged["mesh.cilium.version"] == "1.16.3"
    assert merged["kubernetes.version"] == "v1.31.0, v1.31.1"
    assert merged["profile"] == "pr"
    assert merged["simulated"] == "true"  # one simulated job makes the report simulated


def test_the_environment_says_which_planes_were_real():
    assert environment_properties(FACTS)["cluster.planes"] == (
        "control plane: SIMULATED (v1.31.0), data plane: SIMULATED")
    kwok = dataclasses.replace(FACTS, cluster_kind="kwok", kubernetes_version="v1.37.2")
    assert environment_properties(kwok)["cluster.planes"] == (
        "control plane: kube-apiserver v1.37.2 (real), data plane: SIMULATED")
