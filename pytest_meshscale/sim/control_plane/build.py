"""Build the local control plane's binaries from the pinned Go modules in gomod/ (stdlib only).

A build recipe, not project logic: five `go build`s into a per-pin cache directory outside the repo.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from . import pins

GOMOD_DIR = Path(__file__).parent / "gomod"
_KUBE_VERSION_PKG = "k8s.io/component-base/version"
_KWOK_VERSION_PKG = "sigs.k8s.io/kwok/pkg/consts"
_HEARTBEAT_S = 60
Progress = Callable[[str], object]


class GoMissingError(RuntimeError):
    """No usable Go toolchain, so the binaries cannot be built here."""


class MissingBinariesError(RuntimeError):
    """A user-provided binary directory lacks some of the five binaries."""


def cache_base() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "meshscale"


def go_env(cache_root: Path | None = None) -> dict[str, str]:
    """The environment of every `go` call: caches outside the repo, so every clone on a machine shares them."""
    go_dir = (cache_root or cache_base()) / "go"
    env = dict(os.environ)
    env.update(
        GOMODCACHE=str(go_dir / "mod"),
        GOCACHE=str(go_dir / "build"),
        CGO_ENABLED="0",  # static binaries, as upstream releases them; no C compiler needed
        GOTOOLCHAIN="local",  # never fetch another toolchain behind the user's back
        # go.sum is committed (readonly); -trimpath so binaries and cache keys don't depend on the clone's path.
        GOFLAGS="-mod=readonly -trimpath -buildvcs=false",
    )
    return env


def ldflags(name: str) -> str:
    """Version stamps: unstamped builds report v0.0.0, which kwokctl and clients treat as unknown."""
    strip = "-s -w"  # no DWARF/symbol table, as upstream releases: ~30% smaller, panics still show stacks
    if name == "kwok":
        return f"{strip} -X {_KWOK_VERSION_PKG}.Version={pins.KWOK_VERSION.removeprefix('v')}"
    if name == "etcd":
        return strip  # etcd's version is a constant in its own source
    major, minor = pins.K8S_VERSION.removeprefix("v").split(".")[:2]
    v = _KUBE_VERSION_PKG
    return f"{strip} -X {v}.gitVersion={pins.K8S_VERSION} -X {v}.gitMajor={major} -X {v}.gitMinor={minor}"


def expected_version(name: str) -> str:
    """The text `<bin> --version` must contain for a cached binary to count as built from the pins."""
    return {"etcd": pins.ETCD_VERSION, "kwok": pins.KWOK_VERSION}.get(name, pins.K8S_VERSION).removeprefix("v")


def version_ok(path: Path, name: str) -> bool:
    if not os.access(path, os.X_OK):
        return False
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return expected_version(name) in out.stdout + out.stderr


def find_binaries(bin_dir: Path) -> dict[str, Path]:
    """Check a user-provided directory (--mesh-k8s-bin-dir) holds all five executables."""
    found = {name: Path(bin_dir) / name for name in pins.BINARIES}
    missing = [name for name, path in found.items() if not (path.is_file() and os.access(path, os.X_OK))]
    if missing:
        raise MissingBinariesError(
            f"{bin_dir} lacks executable {', '.join(missing)} (needs {', '.join(pins.BINARIES)})"
        )
    return found


def require_go() -> str:
    """Path of a `go` at least pins.GO_MIN, else GoMissingError with the one line a user needs."""
    hint = (
        f"install Go >= {pins.GO_MIN}, or pass existing binaries with --mesh-k8s-bin-dir DIR "
        f"({', '.join(pins.BINARIES)})"
    )
    go = shutil.which("go")
    if go is None:
        raise GoMissingError(f"no `go` on PATH: {hint}")
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, env=go_env()).stdout.strip()
    found = re.match(r"go(\d+)\.(\d+)", out)
    if not found or tuple(map(int, found.groups())) < tuple(map(int, pins.GO_MIN.split("."))):
        raise GoMissingError(f"`go` is {out or 'unknown'}: {hint}")
    return go


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Several pytest-xdist workers (or two clones) may ask at once: one builds, the others wait and reuse.
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _go_build(go: str, module: str, name: str, pkg: str, out: Path, env: dict[str, str], progress: Progress) -> None:
    tmp = out.with_name(out.name + ".partial")  # renamed only when complete, so a killed build is not reused
    cmd = [go, "build", "-ldflags", ldflags(name), "-o", str(tmp), pkg]
    start = time.monotonic()
    progress(f"control-plane: building {name} ({pkg}) ...")
    proc = subprocess.Popen(cmd, cwd=GOMOD_DIR / module, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    while True:
        try:
            output = proc.communicate(timeout=_HEARTBEAT_S)[0]
            break
        except subprocess.TimeoutExpired:
            progress(f"control-plane: building {name}, {time.monotonic() - start:.0f} s")
    if proc.returncode != 0:
        tail = output.decode(errors="replace")[-4000:]
        raise RuntimeError(f"`{' '.join(cmd)}` in gomod/{module} failed ({proc.returncode}):\n{tail}")
    os.replace(tmp, out)
    progress(f"control-plane: built {name} in {time.monotonic() - start:.0f} s")


def build(cache_root: Path | None = None, progress: Progress = print) -> Path:
    """Build (once per pin set) kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok.

    Returns the bin directory; fast no-op when every binary there already reports its pinned version.
    """
    base = Path(cache_root) if cache_root else cache_base()
    bin_dir = base / "control-plane" / pins.cache_key() / "bin"
    if all(version_ok(bin_dir / n, n) for n in pins.BINARIES):
        return bin_dir
    go = require_go()
    env = go_env(base)
    with _locked(bin_dir.parent / "build.lock"):
        bin_dir.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        for module, binaries in pins.MODULES.items():
            for name, pkg in binaries.items():
                if not version_ok(bin_dir / name, name):  # re-checked under the lock: another process may have built it
                    _go_build(go, module, name, pkg, bin_dir / name, env, progress)
        progress(f"control-plane: binaries ready in {bin_dir} ({time.monotonic() - start:.0f} s)")
    return bin_dir
