"""The existing-cluster path against a sim started like `meshscale sim up --token-file ...`: the preflight
passes with exactly the permissions of the minimal ClusterRole (and a test then runs), and each refusal is
one line naming what is wrong (missing permissions, too few nodes, no mesh, no helm), before any test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from test_cluster_providers import Settings
from test_suites_under_faults import _outcomes, _run  # the suites' own pytest-subprocess helpers

from pytest_meshscale.cluster import RUN_LABEL
from pytest_meshscale.data.profiles import load_profile, profile_path
from pytest_meshscale.provision.installer import Permission, access_checks
from pytest_meshscale.provision.preflight import (
    Denied,
    denied_line,
    kubeconfig_context,
    pool_shortfalls,
    run_access_denied,
)
from pytest_meshscale.provision.providers import open_cluster
from pytest_meshscale.sim.process import SimProcess

MISSING = (Permission("patch", "apps", "deployments", "scale"), Permission("list", "", "nodes"))
HOME_ONLY = (Permission("get", "apps", "daemonsets"), Permission("get", "", "configmaps"),
             Permission("get", "", "pods"))
TEST_FILE = "def test_on_the_mesh(mesh, cluster):\n    assert mesh.name == 'cilium' and cluster.kind == 'existing'\n"


def _rules(checks: tuple[Permission, ...]) -> list[dict[str, list[str]]]:
    """The sim's token rules granting exactly these permissions (resource, resource.group or resource/sub)."""
    def name(p: Permission) -> str:
        return f"{p.resource}/{p.subresource}" if p.subresource else f"{p.resource}.{p.group}".rstrip(".")

    return [{"verbs": [p.verb], "nonResourceURLs": [p.path]} if p.path else {"verbs": [p.verb], "resources": [name(p)]}
            for p in checks]


def _kubeconfig(sim: SimProcess, token: str, path: Path) -> Path:
    doc = yaml.safe_load(sim.kubeconfig.read_text())
    doc["users"][0]["user"]["token"] = token
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimProcess]:
    tokens = tmp_path_factory.mktemp("tokens") / "tokens.yaml"
    exact = access_checks("cilium")
    tokens.write_text(yaml.safe_dump({
        "exact": _rules(exact),
        "short": _rules(tuple(p for p in exact if p not in MISSING)),
        "no-metrics": _rules(tuple(p for p in exact if not p.path)),
        # the sim's namespaced token rules stand for a RoleBinding in kube-system (Cilium's namespace)
        "home": _rules(tuple(p for p in exact if p not in HOME_ONLY))
        + [{**r, "namespaces": ["kube-system"]} for r in _rules(HOME_ONLY)],
    }))
    with SimProcess(mesh="cilium", scale="smoke", token_file=tokens) as proc:
        yield proc


def _pytest(pytester: pytest.Pytester, kubeconfig: Path, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_on_mesh=TEST_FILE)
    return _run(pytester, "test_on_mesh.py", "--mesh-cluster=existing", f"--mesh-kubeconfig={kubeconfig}", *args)


def _one_error(result: pytest.RunResult) -> str:
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr.str(), result.stderr.str()
    assert not _outcomes(result), "no test may run after a refused preflight"
    return errors[0]


def _runs_with(pytester: pytest.Pytester, sim: SimProcess, token: str, kubeconfig: Path) -> str:
    """The pytest output of a run with `token`'s permissions, whose one test must have passed."""
    result = _pytest(pytester, _kubeconfig(sim, token, kubeconfig), "--mesh=cilium")
    assert _outcomes(result) == {"test_on_the_mesh[cilium]": "PASSED"}, result.stdout.str()
    return result.stdout.str()


def test_preflight_passes_with_the_minimal_permissions_and_the_test_runs(
    pytester: pytest.Pytester, sim: SimProcess, tmp_path: Path
) -> None:
    out = _runs_with(pytester, sim, "exact", tmp_path / "kc")
    assert f"meshscale preflight: context meshscale-sim-cilium, server {sim.url}, Kubernetes v" in out
    assert f"meshscale preflight: {len(access_checks('cilium'))} permissions allowed (SelfSubjectAccessReview)" in out
    assert "meshscale preflight: 4 nodes fit the pools of profile smoke" in out
    found = re.search(r"meshscale preflight: cilium (\S+) found \((\d+) API requests, ([\d.]+) s\)", out)
    assert found and int(found.group(2)) >= len(access_checks("cilium")) + 3, out
    print(f"preflight: {found.group(2)} requests in {found.group(3)} s")  # measured, for the report


def test_preflight_without_get_metrics_lets_the_run_go_on_and_says_what_is_not_measured(
    pytester: pytest.Pytester, sim: SimProcess, tmp_path: Path
) -> None:
    out = _runs_with(pytester, sim, "no-metrics", tmp_path / "kc")
    assert f"meshscale preflight: {len(access_checks('cilium')) - 1} permissions allowed" in out
    assert ("meshscale preflight: get /metrics denied: the API pressure will not be measured (grant nonResourceURLs "
            "[/metrics] verbs [get], fixtures/rbac/meshscale-clusterrole.yaml)") in out


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["plain", "xdist"])
def test_preflight_names_the_missing_permissions(
    pytester: pytest.Pytester, sim: SimProcess, tmp_path: Path, xdist: tuple[str, ...]
) -> None:
    error = _one_error(_pytest(pytester, _kubeconfig(sim, "short", tmp_path / "kc"), "--mesh=cilium", *xdist))
    assert "meshscale: missing permissions: patch deployments/scale.apps, list nodes;" in error
    assert "fixtures/rbac/meshscale-clusterrole.yaml" in error


def test_preflight_refuses_nodes_that_do_not_fit_the_profile(
    pytester: pytest.Pytester, sim: SimProcess, tmp_path: Path
) -> None:
    big = tmp_path / "big.yaml"
    smoke = profile_path("smoke").read_text()
    big.write_text(smoke.replace("count: 3", "count: 5", 1).replace("name: smoke", "name: big"))
    error = _one_error(_pytest(pytester, sim.kubeconfig, "--mesh=cilium", f"--scale={big}"))
    assert "nodes do not fit profile big: pool server needs 5 node(s) labelled size=small,group=1, found 3" in error


def test_preflight_refuses_an_absent_mesh_unless_auto_install(
    pytester: pytest.Pytester, sim: SimProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    error = _one_error(_pytest(pytester, sim.kubeconfig, "--mesh=istio-ambient"))
    assert "istio-ambient: needs Deployment istio-system/istiod" in error and "--mesh-install=auto" in error
    monkeypatch.setenv("PATH", str(tmp_path))  # no helm, no kubectl: installing is impossible, said before acting
    error = _one_error(_pytest(pytester, sim.kubeconfig, "--mesh=istio-ambient", "--mesh-install=auto"))
    assert "meshscale: `kubectl` not found on PATH; install it (" in error and "--mesh-kubectl-bin PATH" in error


def test_full_scale_on_an_existing_cluster_needs_the_context_named(pytester: pytest.Pytester, sim: SimProcess) -> None:
    error = _one_error(_pytest(pytester, sim.kubeconfig, "--mesh=cilium", "--scale=full"))
    assert "--mesh-context" in error and "--scale=full" in error


def test_teardown_skips_kinds_it_may_not_list_and_deletes_the_run_objects(sim: SimProcess, tmp_path: Path) -> None:
    """The minimal permissions list no Secrets (the run never makes one) nor the other mesh's policies."""
    settings = Settings(cluster="existing", kubeconfig=str(_kubeconfig(sim, "exact", tmp_path / "kc")))
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pf-001"}}
    with open_cluster(settings, "cilium", "r-pf") as cluster:
        cluster.apply([ns])
    with open_cluster(Settings(cluster="existing", kubeconfig=str(sim.kubeconfig)), "cilium", "r-check") as admin:
        assert admin.list("v1", "Namespace", labels=f"{RUN_LABEL}=r-pf") == []


def test_pool_shortfalls_and_kubeconfig_context(tmp_path: Path) -> None:
    pools = load_profile("smoke").pools
    node = {"metadata": {"labels": {"size": "small", "group": "1"}}}
    client = {"metadata": {"labels": {"size": "large"}}}
    assert pool_shortfalls([node] * 3 + [client], pools) == []
    short = pool_shortfalls([node, client], pools)
    assert short == ["pool server needs 3 node(s) labelled size=small,group=1, found 1"]
    kc = tmp_path / "kc"
    kc.write_text(yaml.safe_dump({"current-context": "a", "contexts": [{"name": "a", "context": {"cluster": "c"}}],
                                  "clusters": [{"name": "c", "cluster": {"server": "https://x:6443"}}]}))
    assert kubeconfig_context(str(kc), None) == ("a", "https://x:6443")
    assert kubeconfig_context(str(kc), "b") == ("b", "?")


def test_a_grant_in_the_mesh_namespace_counts_only_for_the_mesh_reads(sim: SimProcess, tmp_path: Path) -> None:
    """get daemonsets/configmaps are read only in kube-system (Cilium's agent and config): a grant there is
    enough; get pods is needed in the run's own namespaces too, where no RoleBinding can exist beforehand."""
    from pytest_meshscale.cluster.kube import KubeCluster
    from pytest_meshscale.cluster.ratelimit import RateLimit

    cluster = KubeCluster(str(_kubeconfig(sim, "home", tmp_path / "kc")), None, "r-home", "existing", "home",
                          RateLimit(100, 50))
    try:
        denied = run_access_denied(cluster.api, access_checks("cilium"), "cilium")
    finally:
        cluster.close()
    assert denied == [Denied(Permission("get", "", "pods"), ("kube-system",))]
    line = denied_line(denied)
    assert line.startswith("meshscale: granted only by a namespaced RoleBinding, but needed in the namespaces the "
                           "run creates: get pods (only in kube-system); namespaced permissions count only when "
                           "granted cluster-wide (ClusterRole + ClusterRoleBinding)"), line
    assert "get daemonsets" in line and line.endswith("(docs/real-clusters.md)")


def test_denied_line_names_missing_and_too_narrow_grants() -> None:
    line = denied_line([Denied(Permission("list", "", "nodes")),
                        Denied(Permission("create", "apps", "deployments"), ("a", "b"))])
    assert line.startswith("meshscale: missing permissions: list nodes; granted only by a namespaced RoleBinding, "
                           "but needed in the namespaces the run creates: create deployments.apps (only in a, b); ")
    assert "apply fixtures/rbac/meshscale-clusterrole.yaml and bind meshscale-runner with a ClusterRoleBinding" in line
    with_mesh = denied_line([Denied(Permission("list", "cilium.io", "ciliumnodes"))], "cilium")
    assert ("apply fixtures/rbac/meshscale-clusterrole.yaml and fixtures/meshes/cilium/clusterrole.yaml and bind "
            "meshscale-runner") in with_mesh
