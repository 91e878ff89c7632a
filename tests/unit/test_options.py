"""The plugin's options as a user meets them: help, resolution order, header, usage errors."""

from __future__ import annotations

import pytest

from pytest_meshscale.data.profiles import profile_path
from pytest_meshscale.meshes import MESHES

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")


def test_help_lists_options_in_meshscale_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["service mesh comparison at scale (pytest-meshscale):", "*--mesh=MESH*"])
    for flag in ("--scale=", "--mesh-cluster=", "--mesh-context=", "--mesh-kubeconfig=", "--mesh-keep",
                 "--mesh-results-dir=", "--mesh-sim-fault="):
        assert flag in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--mesh=bogus"], f"--mesh: bad value 'bogus'; accepted: {', '.join(MESHES)}"),
        (["--mesh-cluster=cloud"], "--mesh-cluster: bad value 'cloud'; accepted: sim, kind, existing, kwok"),
        (["--scale=nope"],
         "--scale: profile nope: not found (a scale is smoke, pr, full or the path of a profile YAML file)"),
        (["--mesh-cluster=existing"], "exactly one mesh with --mesh-cluster=existing"),
        (["--mesh-sim-fault=gremlins"], "unknown fault 'gremlins'"),
        (["--mesh-sim-fault=api-errors=2"], "fault 'api-errors' must be"),
    ],
)
def test_bad_value_is_usage_error_with_one_line(pytester: pytest.Pytester, args: list[str], needle: str) -> None:
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and needle in errors[0], result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_a_bad_sim_agent_setting_is_one_usage_error_line(pytester: pytest.Pytester,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The sim the run starts would refuse it; said once at start-up instead of as every test's set-up error."""
    monkeypatch.setenv("MESHSCALE_SIM_AGENT", "maybe")
    result = pytester.runpytest("--mesh=cilium")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert errors == ["ERROR: MESHSCALE_SIM_AGENT='maybe' is not understood; accepted: 1, true, yes, on "
                      "(the default) or 0, false, no, off"], result.stderr.str()


def test_profile_with_bad_field_names_file_and_field(pytester: pytest.Pytester) -> None:
    bad = pytester.path / "bad.yaml"
    bad.write_text(profile_path("smoke").read_text().replace("connections: 8", "connections: -3"))
    result = pytester.runpytest(f"--scale={bad}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"profile {bad}: field 'load.connections' must be an integer >= 1, got -3" in result.stderr.str()


def test_resolution_order_and_header(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeini("[pytest]\nmeshscale_mesh = baseline\nmeshscale_scale = pr\nmeshscale_cluster = sim\n")
    pytester.makepyfile("def test_x(): pass")
    monkeypatch.setenv("MESHSCALE_SCALE", "smoke")
    result = pytester.runpytest("--mesh-cluster=sim")
    result.stdout.fnmatch_lines([
        "meshscale: meshes baseline (from ini), scale smoke (from env: *smoke.yaml), cluster sim (from option)",
        "meshscale: profile smoke: 4 nodes, 3 namespaces x 4 pods, results in meshscale-results (from default)",
    ])


def test_faults_from_env_are_shown(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile("def test_x(): pass")
    monkeypatch.setenv("MESHSCALE_SIM_FAULTS", "plaintext,slow-ready=1")
    result = pytester.runpytest("--mesh=cilium")
    result.stdout.fnmatch_lines(["meshscale: sim faults plaintext,slow-ready=1 (from env)"])


def test_markers_are_registered_for_strict_markers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mesh_requires("l7-policy")
        @pytest.mark.scale_tier("smoke", "pr")
        def test_x(): pass

        @pytest.mark.scale_tier("full")
        def test_only_full(): pass
        """
    )
    result = pytester.runpytest("--strict-markers", "--scale=smoke", "--mesh=baseline")
    result.assert_outcomes(passed=1, deselected=1)
