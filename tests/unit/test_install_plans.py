"""Install plans: step order, pinned versions, guards, uninstall = exactly what ran, argument errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_meshscale.provision.installer import MESHES, PlanError, load_versions, plan_for, uninstall_steps

VERSIONS = load_versions()
ISTIO_ORDER = [
    "gateway-api-crds", "wait-gateway-api-crds", "namespace-istio-system", "helm-istio-base", "helm-istiod",
    "helm-istio-cni", "helm-ztunnel", "wait-daemonset-istio-cni-node", "wait-daemonset-ztunnel",
]


METRICS = ["helm-metrics-server", "wait-deployment-metrics-server"]  # kind only: it serves no metrics.k8s.io


def test_kind_gets_a_pinned_metrics_server_and_existing_clusters_do_not() -> None:
    step = plan_for("kind", "baseline", VERSIONS).step("helm-metrics-server")
    assert step.argv[step.argv.index("--version") + 1] == VERSIONS.metrics_server_chart
    assert "args={--kubelet-insecure-tls}" in step.argv
    assert "helm-metrics-server" not in _names(plan_for("existing", "cilium", VERSIONS))


def _names(plan) -> list[str]:
    return [s.name for s in plan.steps]


def test_kind_plans_create_the_cluster_first_from_the_meshs_config_and_pinned_image() -> None:
    for mesh in ("cilium", "istio-ambient", "baseline"):
        first = plan_for("kind", mesh, VERSIONS).steps[0]
        assert first.argv[:5] == ("kind", "create", "cluster", "--name", f"meshscale-{mesh}")
        assert first.argv[first.argv.index("--config") + 1].endswith(f"fixtures/kind/{mesh}.yaml")
        assert first.argv[first.argv.index("--image") + 1] == VERSIONS.kind_node_image
        assert first.owns_cluster and first.skip_if == ("kind", "get", "kubeconfig", "--name", f"meshscale-{mesh}")


def test_istio_ambient_installs_crds_then_base_istiod_cni_ztunnel_then_waits() -> None:
    plan = plan_for("kind", "istio-ambient", VERSIONS)
    assert _names(plan) == ["kind-cluster", "wait-nodes", *ISTIO_ORDER, *METRICS]
    assert _names(plan_for("existing", "istio-ambient", VERSIONS)) == ISTIO_ORDER


@pytest.mark.parametrize(("release", "profile"), [("istio-base", False), ("istiod", True), ("istio-cni", True),
                                                  ("ztunnel", False)])
def test_istio_releases_are_pinned_with_the_ambient_profile_where_the_guide_sets_it(release: str,
                                                                                    profile: bool) -> None:
    argv = plan_for("kind", "istio-ambient", VERSIONS).step(f"helm-{release}").argv
    assert argv[argv.index("--version") + 1] == VERSIONS.pin("istio_chart")
    assert argv[argv.index("--repo") + 1] == VERSIONS.pin("istio_repo")
    assert ("profile=ambient" in argv) is profile
    assert "--wait" in argv and argv[argv.index("--namespace") + 1] == "istio-system"


def test_gateway_api_crds_are_the_pinned_release_and_only_applied_when_absent() -> None:
    step = plan_for("existing", "istio-ambient", VERSIONS).step("gateway-api-crds")
    assert step.argv[-1] == "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.3.0/standard-install.yaml"
    assert step.skip_if == ("kubectl", "get", "crd/gateways.gateway.networking.k8s.io")


def test_cilium_on_kind_pins_the_chart_uses_kind_values_and_points_at_the_control_plane() -> None:
    plan = plan_for("kind", "cilium", VERSIONS, cluster_name="pr-7")
    assert _names(plan) == ["kind-cluster", "helm-cilium", "wait-daemonset-cilium",
                            "wait-deployment-cilium-operator", "wait-nodes", *METRICS]
    argv = plan.step("helm-cilium").argv
    assert argv[argv.index("--version") + 1] == "1.16.1"
    assert argv[argv.index("-f") + 1].endswith("fixtures/meshes/cilium/values-kind.yaml")
    assert "k8sServiceHost=pr-7-control-plane" in argv
    assert argv[-2:] == ("--kube-context", "kind-pr-7")


def test_cilium_on_an_existing_cluster_uses_the_aks_values_and_the_named_context() -> None:
    plan = plan_for("existing", "cilium", VERSIONS, context="aks-meshscale", kubeconfig="/k/config")
    argv = plan.step("helm-cilium").argv
    assert argv[argv.index("-f") + 1].endswith("values-aks.yaml")
    assert not any(a.startswith("k8sServiceHost") for a in argv)
    assert argv[-4:] == ("--kubeconfig", "/k/config", "--kube-context", "aks-meshscale")
    assert plan.step("wait-nodes").argv[:5] == ("kubectl", "--kubeconfig", "/k/config", "--context", "aks-meshscale")


def test_fips_layers_the_fips_values_after_the_base_values_only_for_istiod_and_ztunnel() -> None:
    versions = load_versions(overrides={"istio_chart": "1.28.1"})
    plan = plan_for("existing", "istio-ambient", versions, fips=True)
    releases = ("istiod", "ztunnel", "istio-cni")
    files = {r: [a for a in plan.step(f"helm-{r}").argv if a.endswith(".yaml")] for r in releases}
    assert [f.rsplit("/", 1)[1] for f in files["istiod"]] == ["values-istiod.yaml", "values-istiod-fips.yaml"]
    assert [f.rsplit("/", 1)[1] for f in files["ztunnel"]] == ["values-ztunnel.yaml", "values-ztunnel-fips.yaml"]
    assert [f.rsplit("/", 1)[1] for f in files["istio-cni"]] == ["values-cni.yaml"]


def test_uninstall_after_a_created_kind_cluster_is_deleting_that_cluster() -> None:
    plan = plan_for("kind", "istio-ambient", VERSIONS)
    expected = [("kind", "delete", "cluster", "--name", "meshscale-istio-ambient")]
    assert [s.argv for s in uninstall_steps(plan)] == expected


def test_uninstall_on_an_existing_cluster_reverses_only_the_steps_that_ran() -> None:
    plan = plan_for("existing", "istio-ambient", VERSIONS)
    # the CRDs and the namespace were already there (skipped), the releases were installed
    ran = [n for n in ISTIO_ORDER if n not in ("gateway-api-crds", "namespace-istio-system")]
    undo = [s.argv[:3] for s in uninstall_steps(plan, ran)]
    assert undo == [("helm", "uninstall", r) for r in ("ztunnel", "istio-cni", "istiod", "istio-base")]
    assert uninstall_steps(plan, []) == ()


def test_uninstall_of_a_pre_existing_kind_cluster_keeps_the_cluster() -> None:
    plan = plan_for("kind", "cilium", VERSIONS)
    undo = uninstall_steps(plan, ["helm-cilium", "wait-nodes"])
    assert [s.name for s in undo] == ["uninstall-cilium"]


def test_baseline_on_an_existing_cluster_installs_nothing() -> None:
    plan = plan_for("existing", "baseline", VERSIONS)
    assert plan.steps == () and uninstall_steps(plan) == ()


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    (("sim", "cilium"), {}, "cluster: bad value 'sim'; accepted: kind, existing"),
    (("kind", "nomesh"), {}, f"mesh: bad value 'nomesh'; accepted: {', '.join(MESHES)}"),
    (("kind", "cilium"), {"platform": "aks"}, "platform: bad value 'aks'; accepted: kind"),
    (("existing", "cilium"), {"platform": "eks"}, "platform: bad value 'eks'; accepted: kind, aks"),
    (("kind", "cilium"), {"fips": True}, "WireGuard is never FIPS-approved"),
    (("kind", "istio-ambient"), {"fips": True}, "istio_chart 1.24.3 is too old; accepted: >= 1.28"),
])
def test_bad_arguments_are_one_line_naming_the_value_and_what_is_accepted(args, kwargs, message) -> None:
    with pytest.raises(PlanError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        plan_for(*args, VERSIONS, **kwargs)
    assert "\n" not in str(info.value)


def test_plan_binaries_are_the_three_tools_in_first_use_order() -> None:
    assert plan_for("kind", "istio-ambient", VERSIONS).binaries() == ("kind", "kubectl", "helm")
    assert plan_for("existing", "cilium", VERSIONS).binaries() == ("helm", "kubectl")


def test_only_the_runner_and_the_tool_lookup_start_processes() -> None:
    package = Path(__file__).resolve().parents[2] / "pytest_meshscale"
    modules = [*package.glob("meshes/**/*.py"), *package.glob("provision/installer/*.py"), package / "provision" /
               "tools.py"]
    starters = sorted(p.name for p in modules if "subprocess" in p.read_text() or "os.system" in p.read_text())
    assert starters == ["runner.py", "tools.py"]
