"""Shared by the benchmarks: a process and every process below it, read from /proc, and the peak RSS of each.

A run's processes come and go (the control plane's children, short Jobs of a tool): `TreeSampler.sample()`,
called every second, walks the tree again and keeps each pid's highest VmHWM (VmRSS where a process has no
VmHWM), so a process that exits keeps the last value seen. Processes are named by their executable; a Python
interpreter by what it runs (`pytest`, `meshscale control-plane up`), since `python3.11` says nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
MESHSCALE_ENTRIES = ("pytest_meshscale.cli", "meshscale")  # `python -m pytest_meshscale.cli` or the console script


def vm_hwm_kib(pid: int, proc: Path = PROC) -> int | None:
    """Peak resident set size so far (VmHWM) of a live process, in KiB (VmRSS when the kernel gives no VmHWM);
    None once it is gone."""
    try:
        lines = (proc / str(pid) / "status").read_text().splitlines()
    except OSError:
        return None
    fields = {x.split(":", 1)[0]: x.split()[1] for x in lines if x.startswith(("VmHWM:", "VmRSS:"))}
    value = fields.get("VmHWM", fields.get("VmRSS"))
    return None if value is None else int(value)


def descendants(pid: int, proc: Path = PROC) -> list[int]:
    """The process and every process below it (from /proc), parents before their children."""
    children: dict[int, list[int]] = {}
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # the name in (...) may hold spaces
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        p = todo.pop(0)
        found.append(p)
        todo += sorted(children.get(p, ()))
    return found


def process_name(pid: int, proc: Path = PROC) -> str | None:
    """The executable's file name; for a Python interpreter the module or script it runs (and, for meshscale,
    its subcommand words); None once the process is gone."""
    base = proc / str(pid)
    try:
        comm = (base / "comm").read_text().strip()
        argv = [a for a in (base / "cmdline").read_bytes().decode(errors="replace").split("\0") if a]
    except OSError:
        return None
    try:
        exe = os.path.basename(os.readlink(base / "exe")).removesuffix(" (deleted)")
    except OSError:  # a zombie, or not ours to read
        exe = os.path.basename(argv[0]) if argv else comm
    return python_target(argv) if exe.startswith("python") and argv else exe


def python_target(argv: list[str]) -> str:
    """`python -m pytest ...` -> pytest; `python -m pytest_meshscale.cli control-plane up ...` -> meshscale
    control-plane up; `python script.py` -> script.py; `python` alone -> its own name."""
    rest = argv[1:]
    while rest and rest[0].startswith("-") and rest[0] not in ("-m", "-c"):
        rest = rest[1:]  # interpreter options (-u, -X ..., -W ...) before the target
    if not rest:
        return os.path.basename(argv[0])
    if rest[0] == "-c":
        return "python -c"
    target, words = (rest[1], rest[2:]) if rest[0] == "-m" and len(rest) > 1 else (rest[0], rest[1:])
    if target in MESHSCALE_ENTRIES or os.path.basename(target) == "meshscale":
        return " ".join(["meshscale", *[w for w in words[:2] if not w.startswith("-")]])
    return os.path.basename(target) if target.endswith(".py") else target.split(".")[0]


@dataclass
class Peak:
    pid: int
    name: str
    kib: int


class TreeSampler:
    """Peak RSS of `root` and each of its descendants, over every `sample()` call."""

    def __init__(self, root: int, proc: Path = PROC) -> None:
        self.root, self.proc = root, proc
        self.peaks: dict[int, Peak] = {}

    def sample(self) -> None:
        for pid in descendants(self.root, self.proc):
            kib, name = vm_hwm_kib(pid, self.proc), process_name(pid, self.proc)
            if kib is None or name is None:
                continue  # gone between the walk and the read: its last sample stands
            peak = self.peaks.setdefault(pid, Peak(pid, name, kib))
            peak.name, peak.kib = name, max(peak.kib, kib)  # a name changes on exec (the control plane's wrapper)

    def root_kib(self) -> int | None:
        peak = self.peaks.get(self.root)
        return None if peak is None else peak.kib

    def by_name_mib(self) -> dict[str, float]:
        """Name -> peak MiB, names in the order first seen. Of several processes of one name the largest keeps the
        name and the others are `name-PID`: a short-lived one seen first (a version probe, a wrapper before its
        exec) must not take the name of the process the figure is about."""
        largest: dict[str, Peak] = {}
        for peak in self.peaks.values():
            if peak.name not in largest or peak.kib > largest[peak.name].kib:
                largest[peak.name] = peak
        out = {name: round(peak.kib / 1024, 1) for name, peak in largest.items()}
        for peak in self.peaks.values():
            if largest[peak.name] is not peak:
                out[f"{peak.name}-{peak.pid}"] = round(peak.kib / 1024, 1)
        return out

    def total_mib(self) -> float:
        """The sum of the peaks: an upper bound of the run's peak, since the processes need not peak together."""
        return round(sum(p.kib for p in self.peaks.values()) / 1024, 1)


def peak_rss_mib(pid: int, proc: Path = PROC) -> dict[str, float]:
    """One look at the tree: each process's VmHWM so far, by name."""
    sampler = TreeSampler(pid, proc)
    sampler.sample()
    return sampler.by_name_mib()
