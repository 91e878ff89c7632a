"""The real-cluster options: listed in --help, resolved option > env > ini like the others, bad values one line."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

FLAGS = ("--mesh-install=", "--mesh-kind-bin=", "--mesh-kubectl-bin=", "--mesh-helm-bin=", "--mesh-cilium-version=",
         "--mesh-istio-version=", "--mesh-dry-run")


def test_help_lists_the_real_cluster_options(pytester: pytest.Pytester) -> None:
    out = pytester.runpytest("--help").stdout.str()
    assert [flag for flag in FLAGS if flag not in out] == []
    assert "meshscale_install" in out and "MESHSCALE_CILIUM_VERSION" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--mesh-install=always"], "--mesh-install: bad value 'always'; accepted: auto, skip"),
        (["--mesh-cilium-version=latest"], "--mesh-cilium-version: override: cilium_chart: bad value 'latest'"),
        (["--mesh-istio-version=1.24"], "--mesh-istio-version: override: istio_chart: bad value '1.24'"),
        (["--mesh-dry-run", "--mesh-install=sometimes"], "--mesh-install: bad value 'sometimes'"),
        (["--mesh-cluster=existing", "--mesh=cilium", "--scale=full"], "--mesh-context: bad value ''; accepted: the "
         "context named explicitly when --scale=full runs on an existing cluster"),
    ],
)
def test_bad_value_is_one_usage_error_line(pytester: pytest.Pytester, args: list[str], needle: str) -> None:
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and needle in errors[0], result.stderr.str()


def test_full_scale_on_an_existing_cluster_runs_with_the_context_named(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--mesh-cluster=existing", "--mesh=cilium", "--scale=full", "--mesh-context=aks-1")
    result.assert_outcomes(passed=1)  # no test needs the cluster: nothing is contacted


@pytest.mark.parametrize(
    ("cluster", "extra", "env", "line"),
    [
        ("kind", [], {}, "meshscale: mesh install auto (from default), tools kind/kubectl/helm from PATH"),
        ("existing", [], {}, "meshscale: mesh install skip (from default)*"),
        ("existing", [], {"MESHSCALE_INSTALL": "auto"}, "meshscale: mesh install auto (from env)*"),
        ("kind", ["--mesh-install=skip", "--mesh-kind-bin=/opt/kind"], {},
         "meshscale: mesh install skip (from option), tools kind=/opt/kind"),
    ],
)
def test_install_mode_and_tools_in_the_header(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, cluster: str, extra: list[str],
    env: dict[str, str], line: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(f"--mesh-cluster={cluster}", "--mesh=cilium", *extra)
    result.stdout.fnmatch_lines([line])
