"""`pytest --mesh-dry-run`: every step for the chosen cluster and meshes, in order, and nothing executed:
PATH holds no kind, kubectl or helm, no test runs, no cluster folder or results are made, exit code 0."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_meshscale.provision.installer import MESHES, load_versions, plan_for

REPO = Path(__file__).resolve().parents[2]
METRICS = ["helm-metrics-server", "wait-deployment-metrics-server"]  # kind serves no metrics.k8s.io by itself
KIND_STEPS = {
    "cilium": ["kind-cluster", "helm-cilium", "wait-daemonset-cilium", "wait-deployment-cilium-operator", "wait-nodes",
               *METRICS],
    "istio-ambient": ["kind-cluster", "wait-nodes", "gateway-api-crds", "wait-gateway-api-crds",
                      "namespace-istio-system", "helm-istio-base", "helm-istiod", "helm-istio-cni", "helm-ztunnel",
                      "wait-daemonset-istio-cni-node", "wait-daemonset-ztunnel", *METRICS],
    "baseline": ["kind-cluster", "wait-nodes", *METRICS],
}


def _dry_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str) -> pytest.RunResult:
    monkeypatch.setenv("PATH", str(pytester.path / "no-tools-here"))
    pytester.makepyfile(test_never="def test_never():\n    raise AssertionError('a dry run ran a test')\n")
    pytester.chdir()
    result = pytester.runpytest_subprocess("--mesh-dry-run", "-p", "no:cacheprovider", "--rootdir", str(REPO),
                                           "-o", "addopts=", *args, timeout=120)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    assert not (pytester.path / ".pytest-kind").exists() and not (pytester.path / "meshscale-results").exists()
    assert "test_never" not in result.stdout.str() and "passed" not in result.stdout.str()
    return result


def _steps(text: str) -> list[str]:
    """Step names of the install section (before the first uninstall heading)."""
    install = text.split("\nuninstall")[0]
    return re.findall(r"^  \d+\. (\S+)$", install, re.M)


@pytest.mark.parametrize("mesh_under_test", ["cilium", "istio-ambient", "baseline"])
def test_kind_dry_run_lists_every_step_in_order_and_runs_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mesh_under_test: str
) -> None:
    mesh = mesh_under_test  # not `mesh`: that name is the plugin's fixture
    out = _dry_run(pytester, monkeypatch, "--mesh-cluster=kind", f"--mesh={mesh}").stdout.str()
    assert out.startswith("meshscale dry run (nothing is executed): cluster kind, meshes " + mesh)
    assert _steps(out) == KIND_STEPS[mesh]
    assert _steps(out) == [s.name for s in plan_for("kind", mesh, load_versions()).steps]
    kubeconfig = pytester.path / ".pytest-kind" / f"meshscale-{mesh}" / "kubeconfig"
    create = (f"$ kind create cluster --name=meshscale-{mesh} --kubeconfig={kubeconfig} "
              f"--image={load_versions().node_image(mesh)} --config {REPO / 'fixtures' / 'kind' / (mesh + '.yaml')}")
    assert create in out  # exactly what pytest-kind-ng's KindCluster.create() runs
    assert f"$ kind delete cluster --name=meshscale-{mesh} --kubeconfig={kubeconfig}" in out
    assert "never downloaded" in out


def test_kind_dry_run_of_all_meshes_and_the_version_overrides(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _dry_run(pytester, monkeypatch, "--mesh-cluster=kind", "--mesh-cilium-version=1.16.5",
                   "--mesh-istio-version=1.26.1").stdout.str()
    sections = re.findall(r"^=== (\S+) on kind ===$", out, re.M)
    assert sections == list(MESHES)  # every registered mesh, in the registry's order
    assert "--version 1.16.5" in out and "--version 1.26.1" in out and "--version 1.16.1" not in out


def test_kind_dry_run_with_install_skip_only_makes_the_cluster(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _dry_run(pytester, monkeypatch, "--mesh-cluster=kind", "--mesh=cilium", "--mesh-install=skip").stdout.str()
    assert _steps(out) == ["kind-cluster"] and "helm install" not in out


def test_existing_dry_run_shows_the_preflight_then_the_install_plan(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _dry_run(pytester, monkeypatch, "--mesh-cluster=existing", "--mesh=cilium", "--mesh-install=auto",
                   "--mesh-kubeconfig=/nowhere/kc", "--mesh-context=aks-1").stdout.str()
    order = ["GET /version", "selfsubjectaccessreviews x 70", "GET /api/v1/nodes", "detect cilium",
             "mesh install: auto", "$ helm install cilium"]
    positions = [out.index(needle) for needle in order]
    assert positions == sorted(positions), out
    assert "--kubeconfig /nowhere/kc --kube-context aks-1" in out and "values-aks.yaml" in out


def test_sim_dry_run_shows_the_sim_per_mesh(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _dry_run(pytester, monkeypatch, "--mesh=cilium,baseline").stdout.str()
    assert re.findall(r"sim up --mesh (\S+) --scale smoke", out) == ["cilium", "baseline"]
