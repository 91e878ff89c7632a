"""runner.py against stand-in kind/kubectl/helm scripts (no cluster): order, guards, failures, uninstall,
and the one-line message when a tool is missing. Nothing is downloaded."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from pytest_meshscale.provision.installer import load_versions, plan_for
from pytest_meshscale.provision.installer.runner import StepFailed, run_plan, run_uninstall
from pytest_meshscale.provision.tools import ToolMissing, resolve_tools

VERSIONS = load_versions()
# Logs its argv (and a manifest read from stdin); a guard (`helm status X`, `kubectl get ... X`) succeeds
# when X is in `present`; `helm install <broken>` fails.
FAKE = """#!{python}
import os, sys
args = sys.argv[1:]
if args[:1] == ["version"]:  # the tool lookup asks each tool its version (kind, kubectl --client, helm)
    sys.exit(print(os.path.basename(sys.argv[0]) + " version: Client Version: v0.0.0"))
with open({log!r}, "a") as log:
    log.write(os.path.basename(sys.argv[0]) + " " + " ".join(args) + "\\n")
    if args[-2:] == ["-f", "-"]:
        log.write(sys.stdin.read())
if args[0] == "status" or "get" in args:
    sys.exit(0 if (args[1] if args[0] == "status" else args[-1]) in {present!r} else 1)
if args[:2] == ["install", {broken!r}]:
    sys.exit("Error: INSTALLATION FAILED: boom")
"""


def _tools(tmp_path: Path, present: tuple[str, ...] = (), broken: str = "") -> tuple[dict[str, str], Path]:
    log = tmp_path / "calls.log"
    paths = {}
    for name in ("kind", "kubectl", "helm"):
        script = tmp_path / name
        script.write_text(FAKE.format(python=sys.executable, log=str(log), present=list(present), broken=broken))
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        paths[name] = str(script)
    return paths, log


def _calls(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if line.split(" ")[0] in ("kind", "kubectl", "helm")]


def test_install_runs_every_step_in_order_and_reports_progress(tmp_path: Path) -> None:
    plan = plan_for("existing", "istio-ambient", VERSIONS, context="c")
    paths, log = _tools(tmp_path)
    said: list[str] = []
    ran = run_plan(plan, resolve_tools(plan.binaries(), paths), said.append)
    assert ran == [s.name for s in plan.steps]
    assert said[0].startswith("meshscale install [1/9] gateway-api-crds: ok (")
    installs = [c.split()[2] for c in _calls(log) if c.startswith("helm install")]
    assert installs == ["istio-base", "istiod", "istio-cni", "ztunnel"]
    assert "kind: Namespace" in log.read_text()  # the manifest went in on stdin


def test_present_objects_are_skipped_and_not_uninstalled(tmp_path: Path) -> None:
    plan = plan_for("existing", "istio-ambient", VERSIONS)
    paths, log = _tools(tmp_path, present=("crd/gateways.gateway.networking.k8s.io", "istio-system", "istio-base"))
    tools = resolve_tools(plan.binaries(), paths)
    said: list[str] = []
    ran = run_plan(plan, tools, said.append)
    assert "gateway-api-crds" not in ran and "namespace-istio-system" not in ran and "helm-istio-base" not in ran
    assert "meshscale install [1/9] gateway-api-crds: present, skipped (will not be uninstalled)" in said
    log.write_text("")
    run_uninstall(plan, ran, tools, said.append)
    assert _calls(log) == [f"helm uninstall {r} --namespace istio-system --wait" for r in ("ztunnel", "istio-cni",
                                                                                          "istiod")]


def test_a_failing_step_stops_the_run_and_says_what_ran(tmp_path: Path) -> None:
    plan = plan_for("kind", "cilium", VERSIONS)
    paths, _ = _tools(tmp_path, broken="cilium")
    message = r"^step helm-cilium failed \(exit 1\): Error: INSTALLATION FAILED: boom$"
    with pytest.raises(StepFailed, match=message) as e:
        run_plan(plan, resolve_tools(plan.binaries(), paths), lambda _: None)
    assert e.value.ran == ("kind-cluster",)


def test_a_missing_tool_is_one_line_saying_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: nothing to find, nothing fetched
    plan = plan_for("kind", "baseline", VERSIONS)
    with pytest.raises(ToolMissing) as info:
        resolve_tools(plan.binaries())
    assert str(info.value) == ("meshscale: `kind` not found on PATH; install it "
                               "(https://kind.sigs.k8s.io/docs/user/quick-start/#installation) "
                               "or pass --mesh-kind-bin PATH (nothing is downloaded)")
