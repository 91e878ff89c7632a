"""The package as a user gets it: built from a copy of this checkout, installed NON-editably into a fresh
venv, and a user's own test file run from a folder outside the repo on the simulated cluster.

Guards against the regression where a non-editable install lost every data file (profiles, policies, kind
configs, mesh values, sim parameters) and `--scale smoke` failed. Both build paths are checked: the wheel
straight from the tree (`pip wheel` / `pip install .`, the one installed here) and the sdist with the wheel
built from it (`python -m build`, what an install from an sdist does).

Needs PyPI for setuptools and the plugin's dependencies; skips only with no network AND no pip cache. Takes
about 40 s on 2 cores (pip's cache does not help where the index's responses carry no caching headers);
deselect with `--deselect tests/unit/test_wheel.py` or `-k "not wheel"`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import textwrap
import urllib.parse
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "pytest_meshscale"
DATA = f"{PACKAGE}/data/files"  # fixtures/ as the wheel ships it
# Named here, not only derived from the checkout: an emptied fixtures/ must fail too.
REQUIRED_DATA = (
    "profiles/smoke.yaml",
    "profiles/pr.yaml",
    "profiles/full.yaml",
    "policies/seed-l7.yaml",
    "policies/default-deny.yaml",
    "sim/perf.yaml",
    "meshes/cilium/sim-perf.yaml",  # each mesh's perf parameters: load_params() fails without them
    "meshes/istio-ambient/sim-perf.yaml",
    "sim/controllers.yaml",
    "kind/baseline.yaml",
    "kind/cilium.yaml",
    "kind/istio-ambient.yaml",
    "meshes/versions.yaml",
    "rbac/meshscale-clusterrole.yaml",
)
GLOBBED_DATA = ("policies", "kind", "rbac", "meshes")  # every *.yaml of each, at any depth (each mesh's folder)
# What a checkout has that is neither shipped nor needed to build (the fallback copy when git is missing).
NOT_SOURCE = (".git", ".venv", "node_modules", "build", "dist", "*.egg-info", "__pycache__", ".*cache",
              ".tox", ".benchmarks", "meshscale-results", "meshscale-report", "allure-*")


@dataclass(frozen=True)
class Built:
    src: Path  # the copy of the checkout the builds ran in
    wheel: Path  # built straight from the tree: the one installed
    sdist: Path
    wheel_from_sdist: Path


def _clean_env(venv: Path | None = None) -> dict[str, str]:
    """This run's environment without what would leak the checkout or this pytest into the child."""
    drop = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("PYTEST_", "MESHSCALE_"))}
    if venv is not None:  # as if activated
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(
    cmd: list[str | Path], cwd: Path, timeout: float, venv: Path | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=_clean_env(venv), capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        pytest.fail(
            f"`{' '.join(map(str, cmd))}` exited {proc.returncode} in {cwd}\n"
            f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}",
            pytrace=False,
        )
    return proc


def _index_endpoint() -> tuple[str, int]:
    """Host and port pip talks to first: the proxy if one is set, else the index."""
    url = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy") or os.environ.get("PIP_PROXY")
    url = url or os.environ.get("PIP_INDEX_URL") or "https://pypi.org/simple"
    parts = urllib.parse.urlsplit(url if "//" in url else f"http://{url}")
    return parts.hostname or "pypi.org", parts.port or (443 if parts.scheme == "https" else 80)


def _no_package_source() -> str | None:
    """Why neither the build (setuptools) nor the install (the dependencies) can get packages, or None."""
    host, port = _index_endpoint()
    try:
        socket.create_connection((host, port), timeout=5).close()
        return None
    except OSError as exc:
        offline = f"no network to {host}:{port} ({exc})"
    probe = subprocess.run([sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True,
                           env=_clean_env())
    cache = Path(probe.stdout.strip()) if probe.returncode == 0 and probe.stdout.strip() else None
    if cache is not None and cache.is_dir() and any(p.is_file() for p in cache.rglob("*")):
        return None  # offline, but pip may find everything in its cache: run, do not skip
    where = f"at {cache}" if cache else "(pip's cache is disabled)"
    return f"{offline} and no pip cache {where}: cannot fetch setuptools to build nor the plugin's dependencies"


def _copy_checkout(dest: Path) -> None:
    """The files a clone would have (tracked, plus new files not ignored), as they are in the work tree.

    A copy, so the builds never write build/ or *.egg-info into the repo, and a stale build/lib left by
    an earlier build cannot put into the wheel a file that the package configuration no longer ships."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=REPO, capture_output=True, check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        shutil.copytree(REPO, dest, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCE))
        return
    for rel in sorted({r for r in listed.decode().split("\0") if r}):
        src, out = REPO / rel, dest / rel
        if not os.path.lexists(src):  # deleted in the work tree, not yet in git
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():  # pytest_meshscale/data/files -> ../../fixtures: kept a link, as git keeps it
            os.symlink(os.readlink(src), out)
        elif src.is_file():
            shutil.copy2(src, out)


def _package_files(src: Path) -> set[str]:
    """Every file of the package in the checkout, the data link followed: all of them must ship."""
    found = set()
    for folder, dirs, files in os.walk(src / PACKAGE, followlinks=True):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found.update(Path(folder, f).relative_to(src).as_posix() for f in files if not f.endswith(".pyc"))
    return found


def _wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return {n for n in zf.namelist() if not n.endswith("/")}


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}, found {[p.name for p in found]}"
    return found[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    reason = _no_package_source()
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    _copy_checkout(src)
    # The wheel as `pip install .` builds it (isolated build: setuptools from pyproject's build-system).
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", work / "tree", src], work, 300)
    # The sdist, and the wheel built from it, as `python -m build` does. The frontend goes into a folder of
    # its own (not a dev dependency), put on sys.path by hand: PYTHONPATH would leak into the isolated build.
    frontend = work / "frontend"
    _run([sys.executable, "-m", "pip", "install", "-q", "--target", frontend, "build"], work, 300)
    run_build = "import sys; sys.path.insert(0, sys.argv.pop(1)); from build.__main__ import main; main(sys.argv[1:])"
    _run([sys.executable, "-c", run_build, frontend, "--outdir", work / "sdist", src], work, 300)
    return Built(src, _one(work / "tree", "*.whl"), _one(work / "sdist", "*.tar.gz"),
                 _one(work / "sdist", "*.whl"))


@pytest.fixture(scope="module")
def venv(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed the ordinary way: not editable, dependencies from the index."""
    work = tmp_path_factory.mktemp("venv")
    env_dir = work / "venv"
    _run([sys.executable, "-m", "venv", env_dir], work, 120)
    _run([env_dir / "bin" / "python", "-m", "pip", "install", "-q", built.wheel], work, 600, venv=env_dir)
    return env_dir


def test_wheel_ships_every_package_file_and_the_data(built: Built) -> None:
    expected = _package_files(built.src)
    for wheel in (built.wheel, built.wheel_from_sdist):
        names = _wheel_names(wheel)
        missing = sorted(f"{DATA}/{rel}" for rel in REQUIRED_DATA if f"{DATA}/{rel}" not in names)
        assert not missing, f"{wheel.name} lacks package data: {missing}"
        for folder in GLOBBED_DATA:
            root = built.src / "fixtures"
            in_checkout = {f"{DATA}/{p.relative_to(root)}" for p in (root / folder).rglob("*.yaml")}
            assert in_checkout and in_checkout <= names, f"{wheel.name}: {sorted(in_checkout - names)}"
        lost = sorted(expected - names)
        assert not lost, f"{wheel.name} lacks files of the package (package-data in pyproject?): {lost}"
        assert not any(n.startswith("fixtures/") for n in names), "fixtures/ ships only as package data"
    assert _wheel_names(built.wheel) == _wheel_names(built.wheel_from_sdist), "sdist route differs from tree"
    with tarfile.open(built.sdist) as sd:
        in_sdist = {m.name.split("/", 1)[1] for m in sd.getmembers() if m.isfile()}
    assert f"{DATA}/profiles/smoke.yaml" in in_sdist, "the sdist has no package data"


def test_installed_data_path_is_in_the_venv(venv: Path, tmp_path: Path) -> None:
    probe = textwrap.dedent("""
        import json, sysconfig
        import pytest_meshscale
        from pytest_meshscale.data import data_path
        print(json.dumps({"smoke": str(data_path("profiles", "smoke.yaml")), "package": pytest_meshscale.__file__,
                          "purelib": sysconfig.get_paths()["purelib"]}))
    """)
    out = _run([venv / "bin" / "python", "-c", probe], tmp_path, 60, venv=venv)  # cwd outside the repo
    found = json.loads(out.stdout.strip().splitlines()[-1])
    purelib = Path(found["purelib"]).resolve()
    smoke, package = Path(found["smoke"]), Path(found["package"]).resolve()
    assert purelib.is_relative_to(venv.resolve()), found
    assert package.is_relative_to(purelib), f"the package was imported from {package}, not the venv"
    assert smoke.is_relative_to(purelib) and not smoke.is_relative_to(REPO), f"data_path points at {smoke}"
    assert smoke.is_file(), f"the installed package has no {smoke.name} at {smoke}: data files not shipped"
    assert smoke.read_bytes() == (REPO / "fixtures" / "profiles" / "smoke.yaml").read_bytes()


USER_TEST = '''
import sys
from pathlib import Path

import pytest_meshscale


def test_my_fleet(cluster, mesh, fleet, run_id, meshscale_settings):
    venv = Path(sys.prefix).resolve()
    assert Path(pytest_meshscale.__file__).resolve().is_relative_to(venv)
    profile = meshscale_settings.profile  # read from the installed package data
    assert profile.name == "smoke", profile
    assert Path(profile.source).resolve().is_relative_to(venv), profile.source
    assert cluster.kind == "sim" and cluster.server_version().endswith("-meshscale-sim")
    assert mesh.name == "cilium" and mesh.simulated and mesh.info.version
    assert len(fleet.namespaces) == profile.workload.namespaces
    ours = cluster.list("v1", "Namespace", labels=f"meshscale.io/run-id={run_id}")
    assert set(fleet.namespaces) <= {ns["metadata"]["name"] for ns in ours}
    for namespace in fleet.namespaces:
        assert cluster.list("apps/v1", "Deployment", namespace=namespace), namespace
    assert fleet.clients(cluster), "no running client pod"
'''


def test_users_own_suite_runs_on_the_sim(venv: Path, tmp_path: Path) -> None:
    project = tmp_path / "my-project"  # outside the repo: nothing of the checkout is on any path
    project.mkdir()
    assert not project.resolve().is_relative_to(REPO)
    (project / "pytest.ini").write_text("[pytest]\n")  # the rootdir: no ini file of a parent folder applies
    (project / "test_my_fleet.py").write_text(USER_TEST)
    cmd = [venv / "bin" / "pytest", "test_my_fleet.py", "--mesh=cilium", "--scale=smoke", "-p", "no:cacheprovider"]
    out = _run(cmd, project, 300, venv=venv)
    assert "1 passed" in out.stdout, out.stdout[-4000:]
