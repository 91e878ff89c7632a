"""The control-plane build recipe: pins agree with the wrapper go.mod files; no network, no Go needed."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from pytest_meshscale.sim.control_plane import build, pins
from pytest_meshscale.sim.control_plane.gen_replaces import replace_block, staging_modules

GOMOD = Path(build.__file__).parent / "gomod"


def _gomod(name: str) -> str:
    return (GOMOD / name / "go.mod").read_text()


def _required(text: str, module: str) -> str:
    found = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(\S+)", text, re.M)
    assert found, f"{module} not required"
    return found.group(1)


def _tools(text: str) -> set[str]:
    block = re.search(r"^tool \((.*?)^\)", text, re.M | re.S)
    return set(block.group(1).split()) if block else set(re.findall(r"^tool (\S+)", text, re.M))


@pytest.mark.parametrize(
    ("module", "dep", "version"),
    [
        ("kubernetes", "k8s.io/kubernetes", pins.K8S_VERSION),
        ("etcd", "go.etcd.io/etcd/server/v3", pins.ETCD_VERSION),
        ("kwok", "sigs.k8s.io/kwok", pins.KWOK_VERSION),
    ],
)
def test_each_go_mod_requires_the_pinned_version_and_builds_the_pinned_tools(module, dep, version):
    text = _gomod(module)
    assert _required(text, dep) == version
    assert re.search(rf"^go {re.escape(pins.GO_MIN)}(\.\d+)?$", text, re.M)
    assert _tools(text) == set(pins.MODULES[module].values())
    assert (GOMOD / module / "go.sum").is_file()


def test_every_staging_replace_points_at_the_pinned_staging_version():
    assert pins.STAGING_VERSION == pins.staging_for(pins.K8S_VERSION) == "v0." + pins.K8S_VERSION.split(".", 1)[1]
    replaces = re.findall(r"^\s*(k8s\.io/\S+) => (\S+) (\S+)$", _gomod("kubernetes"), re.M)
    assert len(replaces) >= 30, "the kubernetes module has ~33 staging modules"
    assert {(src == dst, ver) for src, dst, ver in replaces} == {(True, pins.STAGING_VERSION)}
    # The staging modules that the kubernetes wrapper resolved must be the replaced version, not v0.0.0.
    assert _required(_gomod("kubernetes"), "k8s.io/api") in ("v0.0.0", pins.STAGING_VERSION)


def test_the_binary_list_is_the_five_the_provider_needs():
    assert sorted(pins.BINARIES) == ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]
    assert pins.cache_key() == f"k8s-{pins.K8S_VERSION}_etcd-{pins.ETCD_VERSION}_kwok-{pins.KWOK_VERSION}"


FAKE_KUBERNETES_GOMOD = """module k8s.io/kubernetes

go 1.26.0

require k8s.io/api v0.0.0

replace (
\tgithub.com/some/fork => github.com/other/fork v1.2.3
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/client-go => ./staging/src/k8s.io/client-go
)

replace k8s.io/apimachinery => ./staging/src/k8s.io/apimachinery
"""


def test_replace_block_is_generated_from_the_staging_lines_only():
    assert staging_modules(FAKE_KUBERNETES_GOMOD) == ["k8s.io/api", "k8s.io/apimachinery", "k8s.io/client-go"]
    assert replace_block(FAKE_KUBERNETES_GOMOD, "v0.37.2") == (
        "replace (\n"
        "\tk8s.io/api => k8s.io/api v0.37.2\n"
        "\tk8s.io/apimachinery => k8s.io/apimachinery v0.37.2\n"
        "\tk8s.io/client-go => k8s.io/client-go v0.37.2\n"
        ")\n"
    )


def test_replace_block_refuses_a_go_mod_without_staging_lines():
    with pytest.raises(ValueError, match="staging"):
        replace_block("module example.com/x\n\ngo 1.26\n", "v0.37.2")


def test_version_stamps_match_the_pins():
    kube = build.ldflags("kube-apiserver")
    assert f"k8s.io/component-base/version.gitVersion={pins.K8S_VERSION}" in kube
    assert "gitMajor=1 " in kube and kube.endswith(f"gitMinor={pins.K8S_VERSION.split('.')[1]}")
    assert build.ldflags("kwok").endswith(f"consts.Version={pins.KWOK_VERSION.removeprefix('v')}")


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _fake_bin_dir(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True)
    for name in pins.BINARIES:
        _script(bin_dir / name, f"echo '{name} version v{build.expected_version(name)}'")
    return bin_dir


def test_find_binaries_names_what_is_missing_in_one_line(tmp_path):
    _script(tmp_path / "etcd", "true")
    (tmp_path / "kwok").write_text("not executable")
    with pytest.raises(build.MissingBinariesError) as err:
        build.find_binaries(tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert "lacks executable kube-apiserver, kube-controller-manager, kube-scheduler, kwok " in message


def test_find_binaries_returns_all_five(tmp_path):
    found = build.find_binaries(_fake_bin_dir(tmp_path / "bin"))
    assert found == {name: tmp_path / "bin" / name for name in pins.BINARIES}


def test_without_go_the_error_says_how_to_proceed_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(build.GoMissingError) as err:
        build.build(cache_root=tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert f"install Go >= {pins.GO_MIN}" in message and "--mesh-k8s-bin-dir DIR" in message
    assert "kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok" in message


def test_a_too_old_go_gets_the_same_advice(tmp_path, monkeypatch):
    _script(tmp_path / "go", "echo go1.21.5")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(build.GoMissingError, match=r"go1\.21\.5: install Go >= "):
        build.require_go()


def test_build_is_a_no_op_when_the_cached_binaries_report_the_pinned_versions(tmp_path, monkeypatch):
    bin_dir = _fake_bin_dir(tmp_path / "control-plane" / pins.cache_key() / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no Go: any build attempt would raise
    lines: list[str] = []
    assert build.build(cache_root=tmp_path, progress=lines.append) == bin_dir
    assert lines == []


def test_a_cached_binary_of_another_version_is_rebuilt(tmp_path, monkeypatch):
    bin_dir = _fake_bin_dir(tmp_path / "control-plane" / pins.cache_key() / "bin")
    _script(bin_dir / "etcd", "echo 'etcd Version: 3.5.0'")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(build.GoMissingError):
        build.build(cache_root=tmp_path)
