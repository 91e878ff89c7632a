"""Providers: a sim per mesh (stopped after), an existing kubeconfig (run objects deleted after), and kind
through pytest-kind-ng's KindCluster, driven here by a fake `kind` binary on PATH (no Docker needed)."""

from __future__ import annotations

import json
import os
import stat
import sys
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from pytest_meshscale.cluster import RUN_LABEL, ClusterError
from pytest_meshscale.data.profiles import load_profile
from pytest_meshscale.provision import providers
from pytest_meshscale.provision import settings as settings_module
from pytest_meshscale.provision.installer import load_versions
from pytest_meshscale.provision.providers import PROVIDERS, open_cluster
from pytest_meshscale.provision.target import new_run_id


def Settings(**kw: Any) -> settings_module.Settings:  # noqa: N802 - stands in for the class in these tests
    """Real Settings with the defaults these tests share (a sim, the smoke profile, nothing explicit)."""
    profile = kw.pop("profile", None) or load_profile("smoke")
    base: dict[str, Any] = dict(meshes=("cilium",), scale=profile.name, profile=profile, cluster="sim", context="",
                                kubeconfig="", keep=False, results_dir=Path("meshscale-results"), faults=(),
                                sources={})
    return settings_module.Settings(**{**base, **kw})


NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prov-001"}}


def test_run_id_is_a_valid_label_value() -> None:
    run_id = new_run_id()
    assert len(run_id) <= 63
    assert run_id.replace("-", "").isalnum()
    assert new_run_id() != run_id


def test_existing_without_a_kubeconfig_file_is_one_line(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    with (
        pytest.raises(ClusterError, match=f"^--mesh-kubeconfig: no kubeconfig file at '{missing}'"),
        open_cluster(Settings(cluster="existing", kubeconfig=missing), "cilium", "r1"),
    ):
        pass


def test_existing_with_an_unknown_context_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("pytest_meshscale.sim.process", reason="sim/process.py not built yet")
    from pytest_meshscale.sim.process import SimProcess

    with SimProcess(mesh="baseline", scale="smoke") as sim:
        settings = Settings(cluster="existing", kubeconfig=str(sim.kubeconfig), context="no-such-context")
        with (
            pytest.raises(ClusterError, match=r"context no-such-context\): .*no-such-context"),
            open_cluster(settings, "baseline", "r1"),
        ):
            pass


def test_sim_provider_starts_a_sim_per_mesh_and_stops_it() -> None:
    pytest.importorskip("pytest_meshscale.sim.process", reason="sim/process.py not built yet")
    settings = Settings(profile=replace(load_profile("smoke"), name="smoke"))
    with open_cluster(settings, "baseline", "r-sim") as cluster:
        assert (cluster.kind, cluster.name) == ("sim", "sim-baseline")
        assert cluster.rate.qps == settings.profile.creation.qps
        cluster.apply([NS])
        kubeconfig = cluster.kubeconfig
    assert not Path(kubeconfig).exists()  # the sim and its directory are gone


def test_existing_provider_deletes_the_run_objects_on_exit() -> None:
    pytest.importorskip("pytest_meshscale.sim.process", reason="sim/process.py not built yet")
    from pytest_meshscale.sim.process import SimProcess

    with SimProcess(mesh="baseline", scale="smoke") as sim:
        settings = Settings(cluster="existing", kubeconfig=str(sim.kubeconfig))
        with open_cluster(settings, "baseline", "r-existing") as cluster:
            cluster.apply([NS])
            assert cluster.kind == "existing"
        with open_cluster(settings, "baseline", "r-check") as check:
            assert check.list("v1", "Namespace", labels=f"{RUN_LABEL}=r-existing") == []
            assert check.get("v1", "Namespace", "default") is not None


# -- kind, with a fake `kind` on PATH that records every call and keeps its clusters in a file

FAKE_KIND = """#!{python}
import json, os, sys
args, state = sys.argv[1:], os.environ["FAKE_KIND_STATE"]
if args == ["version"]:  # the tool lookup's check, before anything is created
    sys.exit(print("kind v0.28.0 go1.24.2 linux/amd64"))
with open(os.environ["FAKE_KIND_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
names = open(state).read().split() if os.path.exists(state) else []
def opt(flag):
    for i, arg in enumerate(args):
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
        if arg == flag:
            return args[i + 1]
def kubeconfig(name):
    ctx = "kind-" + name
    doc = {{"apiVersion": "v1", "kind": "Config", "current-context": ctx,
           "clusters": [{{"name": ctx, "cluster": {{"server": "https://127.0.0.1:9"}}}}],
           "users": [{{"name": ctx, "user": {{"token": "t"}}}}],
           "contexts": [{{"name": ctx, "context": {{"cluster": ctx, "user": ctx}}}}]}}
    open(opt("--kubeconfig"), "w").write(json.dumps(doc))
if args[:2] == ["get", "clusters"]:
    print("\\n".join(names))
elif args[:2] == ["create", "cluster"]:
    names.append(opt("--name"))
    kubeconfig(opt("--name"))
elif args[:2] == ["export", "kubeconfig"]:
    kubeconfig(opt("--name"))
elif args[:2] == ["delete", "cluster"]:
    names.remove(opt("--name"))
else:
    sys.exit("fake kind: unexpected " + " ".join(args))
open(state, "w").write("\\n".join(names))
"""


@dataclass
class FakeKind:
    bin_dir: Path
    state: Path
    log: Path

    def calls(self) -> list[list[str]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def clusters(self) -> list[str]:
        return self.state.read_text().split() if self.state.exists() else []


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def fake_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKind:
    """PATH holds only a fake kind and a kubectl that only answers its version (the tool lookup's check);
    pytest-kind-ng's downloads would fail loudly."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _executable(bin_dir / "kind", FAKE_KIND.format(python=sys.executable))
    # The fake cluster has no API server: these tests are about the provider, not the preflight around it.
    monkeypatch.setattr(providers, "mesh_setup", lambda *args, **kwargs: nullcontext())
    kubectl = '#!/bin/sh\n[ "$1" = version ] && echo "Client Version: v1.30.13" && exit 0\nexit 1\n'
    _executable(bin_dir / "kubectl", kubectl)
    fake = FakeKind(bin_dir, tmp_path / "clusters", tmp_path / "calls.jsonl")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_KIND_STATE", str(fake.state))
    monkeypatch.setenv("FAKE_KIND_LOG", str(fake.log))
    monkeypatch.chdir(tmp_path)  # KindCluster keeps its files in ./.pytest-kind/<name>/

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"pytest-kind tried to download: {args}")

    import pytest_kind.cluster

    monkeypatch.setattr(pytest_kind.cluster.requests, "get", no_download)
    return fake


def _kind_settings(**kw: Any) -> Settings:
    return Settings(cluster="kind", versions=load_versions(), **kw)


def test_kind_creates_with_the_mesh_config_and_deletes_what_it_created(fake_kind: FakeKind, tmp_path: Path) -> None:
    with PROVIDERS["kind"](_kind_settings(), "cilium") as target:
        assert fake_kind.clusters() == ["meshscale-cilium"]
        assert (target.kind, target.name, target.context, target.owned) == (
            "kind", "kind-meshscale-cilium", "kind-meshscale-cilium", True)
        assert target.kubeconfig == str(tmp_path / ".pytest-kind" / "meshscale-cilium" / "kubeconfig")
        assert json.loads(Path(target.kubeconfig).read_text())["current-context"] == "kind-meshscale-cilium"
    create = next(c for c in fake_kind.calls() if c[:2] == ["create", "cluster"])
    config = Path(__file__).resolve().parents[2] / "fixtures" / "kind" / "cilium.yaml"
    assert create[create.index("--config") + 1] == str(config)
    assert f"--image={load_versions().kind_node_image}" in create
    assert fake_kind.calls()[-1][:2] == ["delete", "cluster"]
    assert fake_kind.clusters() == []


def test_kind_reuses_an_existing_cluster_and_never_deletes_it(fake_kind: FakeKind) -> None:
    fake_kind.state.write_text("meshscale-istio-ambient\n")
    with PROVIDERS["kind"](_kind_settings(), "istio-ambient") as target:
        assert not target.owned
        assert Path(target.kubeconfig).is_file()  # exported, since KindCluster.create() reads it
    verbs = [c[:2] for c in fake_kind.calls()]
    assert ["create", "cluster"] not in verbs and ["delete", "cluster"] not in verbs
    assert ["export", "kubeconfig"] in verbs
    assert fake_kind.clusters() == ["meshscale-istio-ambient"]


def test_kind_keeps_the_cluster_it_created_with_mesh_keep(
    fake_kind: FakeKind, capsys: pytest.CaptureFixture[str]
) -> None:
    with PROVIDERS["kind"](_kind_settings(keep=True), "baseline") as target:
        assert target.owned
    assert fake_kind.clusters() == ["meshscale-baseline"]
    assert "kind delete cluster --name meshscale-baseline" in capsys.readouterr().out


def test_kind_uses_explicit_binaries(fake_kind: FakeKind, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    elsewhere = tmp_path / "opt"
    (fake_kind.bin_dir).rename(elsewhere)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    tools = {"kind": str(elsewhere / "kind"), "kubectl": str(elsewhere / "kubectl")}
    with PROVIDERS["kind"](_kind_settings(tools=tools), "cilium") as target:
        assert target.owned
    assert fake_kind.clusters() == []


@pytest.mark.parametrize(
    ("tools", "needle"),
    [
        ({}, "meshscale: `kind` not found on PATH; install it (https://kind.sigs.k8s.io/"),
        ({"kind": "/no/such/kind"}, "--mesh-kind-bin: '/no/such/kind' is not an executable file"),
    ],
)
def test_a_missing_kind_is_one_line_naming_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tools: dict[str, str], needle: str
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ClusterError) as err, PROVIDERS["kind"](_kind_settings(tools=tools), "cilium"):
        pass
    assert str(err.value).startswith(needle) and "\n" not in str(err.value)
    assert not (tmp_path / ".pytest-kind").exists()  # refused before anything was made


def test_a_failing_kind_create_is_one_line(fake_kind: FakeKind) -> None:
    script = (fake_kind.bin_dir / "kind").read_text()
    _executable(fake_kind.bin_dir / "kind", script.replace(
        'elif args[:2] == ["create", "cluster"]:', 'elif args[:2] == ["create", "cluster"]:\n    sys.exit(1)'))
    failed = r"^kind cluster meshscale-cilium: `.*kind create cluster.*` failed \(exit 1"
    with pytest.raises(ClusterError, match=failed), PROVIDERS["kind"](_kind_settings(), "cilium"):
        pass
    assert os.path.isdir(".pytest-kind")


def test_a_run_on_kind_without_kind_stops_with_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(pytester.path / "empty"))
    pytester.makepyfile("def test_on_the_mesh(cluster):\n    pass\n")
    result = pytester.runpytest_subprocess("--mesh-cluster=kind", "--mesh=cilium", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert errors == ["ERROR: meshscale: `kind` not found on PATH; install it "
                      "(https://kind.sigs.k8s.io/docs/user/quick-start/#installation) or pass --mesh-kind-bin PATH "
                      "(nothing is downloaded)"], result.stderr.str()
    assert "Traceback" not in result.stderr.str() and not (pytester.path / ".pytest-kind").exists()
