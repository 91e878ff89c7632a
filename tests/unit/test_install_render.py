"""render_dry_run(): every step in order, exact commands, manifests and guards, and both uninstall cases."""

from __future__ import annotations

import shlex

import pytest

from pytest_meshscale.provision.installer import load_versions, plan_for, render_dry_run

VERSIONS = load_versions()


def _commands(text: str) -> list[str]:
    return [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("$ ")]


def test_kind_cilium_dry_run_lists_cluster_then_cilium_then_waits_then_the_uninstall() -> None:
    text = render_dry_run(plan_for("kind", "cilium", VERSIONS))
    lines = text.splitlines()
    assert lines[0] == ("meshscale install plan (dry run, nothing is executed): "
                        "cilium on kind (cluster meshscale-cilium)")
    assert lines[1].startswith("pinned: cilium chart 1.16.1, kind v0.28.0, node image kindest/node:v1.30.13@sha256:")
    commands = _commands(text)
    assert [shlex.split(c)[:3] for c in commands] == [
        ["kind", "create", "cluster"], ["helm", "install", "cilium"], ["kubectl", "--context", "kind-meshscale-cilium"],
        ["kubectl", "--context", "kind-meshscale-cilium"], ["kubectl", "--context", "kind-meshscale-cilium"],
        ["helm", "install", "metrics-server"], ["kubectl", "--context", "kind-meshscale-cilium"],
        ["kind", "delete", "cluster"], ["helm", "uninstall", "metrics-server"], ["helm", "uninstall", "cilium"],
    ]
    assert "uninstall (only what the install ran): 1 step(s)" in text
    assert "uninstall if the cluster already existed: 2 step(s)" in text
    assert "note: WireGuard needs the nodes' kernel wireguard module" in text


def test_istio_dry_run_shows_the_namespace_manifest_and_every_guard() -> None:
    text = render_dry_run(plan_for("kind", "istio-ambient", VERSIONS))
    assert "install: 13 step(s)" in text
    assert "     manifest (stdin):\n       apiVersion: v1\n       kind: Namespace\n" in text
    guards = [line for line in text.splitlines() if "skipped (and never uninstalled) if this succeeds" in line]
    assert len(guards) == 8  # cluster, CRDs, namespace, 4 releases, metrics-server
    order = [shlex.split(c)[2] for c in _commands(text) if c.startswith("helm install")]
    assert order == ["istio-base", "istiod", "istio-cni", "ztunnel", "metrics-server"]
    assert "--set profile=ambient" in text
    assert "v1.3.0/standard-install.yaml" in text


def test_a_pasted_dry_run_command_is_the_plans_argv() -> None:
    plan = plan_for("existing", "cilium", VERSIONS, context="my ctx")  # a space must survive quoting
    assert shlex.split(_commands(render_dry_run(plan))[0]) == list(plan.steps[0].argv)


def test_baseline_dry_run_says_there_is_nothing_to_install() -> None:
    text = render_dry_run(plan_for("existing", "baseline", VERSIONS))
    assert "note: nothing to install: the baseline runs without a mesh" in text
    assert "install: 0 step(s)" in text and _commands(text) == []


@pytest.mark.parametrize(("cluster_kind", "mesh_to_install"), [
    ("kind", "cilium"), ("kind", "istio-ambient"), ("kind", "baseline"), ("existing", "cilium"),
    ("existing", "istio-ambient"),
])
def test_every_step_appears_once_in_plan_order_with_its_command(cluster_kind: str, mesh_to_install: str) -> None:
    plan = plan_for(cluster_kind, mesh_to_install, VERSIONS)
    text = render_dry_run(plan)
    install = text.split("\nuninstall")[0]
    headers = [line.strip() for line in install.splitlines() if line.startswith("  ") and not line.startswith("   ")]
    assert headers == [f"{i}. {s.name}" for i, s in enumerate(plan.steps, 1)]
    assert _commands(install) == [shlex.join(s.argv) for s in plan.steps]
