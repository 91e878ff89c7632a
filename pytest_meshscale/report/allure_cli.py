"""Finding and running the Allure 3 CLI pinned by the repo's package.json (npm package `allure`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MIN_NODE", "AllureCli", "AllureMissing", "find_allure", "install_hint"]

MIN_NODE = 20
CONFIG_NAME = "allurerc.mjs"


class AllureMissing(Exception):
    """Node or the allure package is not there; str() is the one line telling what to install."""


@dataclass(frozen=True, slots=True)
class AllureCli:
    node: Path
    script: Path  # node_modules/allure/cli.js (or the .bin link to it)
    config: Path  # allurerc.mjs next to node_modules
    version: str

    def generate(self, results: Sequence[Path], output: Path, name: str, env: Mapping[str, str]) -> str:
        """Runs `allure generate`; returns its output; raises RuntimeError with the tail on failure."""
        cmd = [
            str(self.node),
            str(self.script),
            "generate",
            *map(str, results),
            "-c",
            str(self.config),
            "-o",
            str(output),
            "--name",
            name,
        ]
        full_env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0", **env}
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=full_env,
            cwd=self.config.parent,
            timeout=600,
            check=False,
        )
        log = done.stdout + done.stderr
        if done.returncode != 0:
            tail = " | ".join(log.strip().splitlines()[-3:])
            raise RuntimeError(f"allure generate exited {done.returncode}: {tail}")
        return log


def install_hint(root: Path | None) -> str:
    where = f" in {root}" if root else " in the pytest-meshscale repo root (where package.json is)"
    return f"install Node >= {MIN_NODE} and run `npm ci`{where}"


def _roots(starts: Iterable[Path]) -> list[Path]:
    """Every folder from each start upwards that holds package.json or node_modules, nearest first."""
    found: list[Path] = []
    for start in starts:
        for folder in [start, *start.parents]:
            if (folder / "node_modules").is_dir() or (folder / "package.json").is_file():
                found.append(folder)
    return list(dict.fromkeys(found))


def _node_major(node: Path) -> int:
    try:
        out = subprocess.run([str(node), "--version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return 0
    match = re.match(r"v(\d+)", out.stdout.strip())
    return int(match.group(1)) if match else 0


def _allure_version(package_dir: Path) -> str:
    text = (package_dir / "package.json").read_text(encoding="utf-8")
    match = re.search(r'"version"\s*:\s*"([^"]+)"', text)
    return match.group(1) if match else "?"


def find_allure(cwd: Path | None = None) -> AllureCli:
    """Walks up from the working folder and from this package for node_modules/allure + allurerc.mjs."""
    roots = _roots([(cwd or Path.cwd()).resolve(), Path(__file__).resolve().parent])
    node_path = shutil.which("node")
    if node_path is None or _node_major(Path(node_path)) < MIN_NODE:
        found = "no `node` on PATH" if node_path is None else f"{node_path} is older than v{MIN_NODE}"
        raise AllureMissing(f"{found}: {install_hint(roots[0] if roots else None)}")
    for root in roots:
        package = root / "node_modules" / "allure"
        script = package / "cli.js"
        if not script.is_file():
            script = root / "node_modules" / ".bin" / "allure"
        if script.is_file() and (root / CONFIG_NAME).is_file():
            return AllureCli(Path(node_path), script, root / CONFIG_NAME, _allure_version(package))
    raise AllureMissing(f"the npm package `allure` is not installed: {install_hint(roots[0] if roots else None)}")
