"""--mesh-install=auto around a real cluster (mesh_setup): the mesh is installed only when its driver does not
detect it, with the pinned plan's commands in order, and exactly what ran is uninstalled at the end (nothing
with --mesh-keep, nothing on a kind cluster the run deletes whole). helm and kubectl are fakes that record
their calls; the cluster is a sim without the mesh."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from test_cluster_providers import Settings, _executable

from pytest_meshscale.cluster import ClusterError
from pytest_meshscale.provision.installer import load_versions
from pytest_meshscale.provision.mesh_setup import install_plan, mesh_setup
from pytest_meshscale.provision.target import ClusterTarget
from pytest_meshscale.sim.process import SimProcess

FAKE_TOOL = """#!{python}
import json, os, sys
args = sys.argv[1:]
if args[:1] == ["version"]:  # the tool lookup's check (helm version --short, kubectl version --client)
    sys.exit(print("v3.16.4 Client Version: v1.30.13"))
with open(os.environ["FAKE_TOOLS_LOG"], "a") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0]), *args]) + "\\n")
line = " ".join(args)
if any(word and word in line for word in os.environ.get("FAKE_FAIL", "").split(",")):
    sys.exit("fake: failed on purpose")
if args[:1] == ["status"] or (args and "get" in args[:5]):  # guards: exit 0 = present
    sys.exit(0 if any(w and w in line for w in os.environ.get("FAKE_PRESENT", "").split(",")) else 1)
"""


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    with SimProcess(mesh="baseline", scale="smoke") as proc:  # no mesh installed
        yield proc


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "tools.jsonl"
    for name in ("helm", "kubectl"):
        _executable(tmp_path / name, FAKE_TOOL.format(python=sys.executable))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("FAKE_TOOLS_LOG", str(log))
    return log


def _calls(log: Path) -> list[str]:
    return [" ".join(json.loads(line)[:3]) for line in log.read_text().splitlines()] if log.exists() else []


def _target(sim: SimProcess, kind: str = "existing", owned: bool = False) -> ClusterTarget:
    return ClusterTarget(kind, "sim", str(sim.kubeconfig), None, teardown=True, owned=owned)


def _settings(**kw: object) -> Settings:
    return Settings(cluster="existing", install="auto", versions=load_versions(), **kw)  # type: ignore[arg-type]


def test_an_absent_mesh_is_installed_in_plan_order_and_exactly_that_is_uninstalled(
    sim: SimProcess, tools: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PRESENT", "crd/gateways")  # the Gateway API CRDs were there before the run
    said: list[str] = []
    with mesh_setup(_settings(), _target(sim), "istio-ambient", say=said.append):
        installed = _calls(tools)
    uninstalled = _calls(tools)[len(installed):]
    runs = [c for c in installed if not c.startswith(("helm status", "kubectl --kubeconfig"))]
    releases = [c.split()[2] for c in runs if c.startswith("helm install")]
    assert releases == ["istio-base", "istiod", "istio-cni", "ztunnel"]
    assert "kubectl --kubeconfig" in " ".join(installed)  # every kubectl call names the cluster's kubeconfig
    assert uninstalled == ["helm uninstall ztunnel", "helm uninstall istio-cni", "helm uninstall istiod",
                           "helm uninstall istio-base", f"kubectl --kubeconfig {sim.kubeconfig}"]
    assert "gateway-api-crds: present, skipped (will not be uninstalled)" in " ".join(said)
    assert any("istio-ambient absent: will install" in line for line in said)


def test_a_failed_step_uninstalls_what_ran_and_is_one_line(
    sim: SimProcess, tools: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_FAIL", "install istio-cni")
    failed = r"^meshscale install of istio-ambient: step helm-istio-cni failed .*removed$"
    with pytest.raises(ClusterError, match=failed), mesh_setup(_settings(), _target(sim), "istio-ambient",
                                                               say=lambda _: None):
        pytest.fail("the run must not start after a failed install")
    assert [c for c in _calls(tools) if "uninstall" in c] == [
        "helm uninstall istiod", "helm uninstall istio-base"]


@pytest.mark.parametrize(("keep", "kind", "owned"), [(True, "existing", False), (False, "kind", True)])
def test_nothing_is_uninstalled_when_kept_or_when_the_run_deletes_the_kind_cluster(
    sim: SimProcess, tools: Path, keep: bool, kind: str, owned: bool
) -> None:
    with mesh_setup(_settings(keep=keep), _target(sim, kind, owned), "cilium", say=lambda _: None):
        count = len(_calls(tools))
    assert count > 0 and _calls(tools)[count:] == []


def test_a_present_mesh_is_never_installed(sim: SimProcess, tools: Path) -> None:
    with mesh_setup(_settings(), _target(sim), "baseline", say=lambda _: None):
        pass
    assert _calls(tools) == []


def test_the_kind_plan_leaves_the_cluster_to_kind_cluster_and_targets_its_kubeconfig(sim: SimProcess) -> None:
    target = replace(_target(sim, "kind"), name="kind-meshscale-cilium", context="kind-meshscale-cilium")
    plan = install_plan(_settings(), target, "cilium")
    assert [s.name for s in plan.steps][0] == "helm-cilium"
    assert not any(s.owns_cluster for s in plan.steps)
    helm = plan.steps[0].argv
    assert "k8sServiceHost=meshscale-cilium-control-plane" in helm and str(sim.kubeconfig) in helm
