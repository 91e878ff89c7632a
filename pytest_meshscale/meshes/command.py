"""`meshscale meshes`: the registered meshes, one per line (name, what it encrypts with, its chart pin key),
or `--json`: the names as a JSON list, which the PR workflow turns into its per-mesh matrix, so a new mesh
is tested on kind by its registry line alone."""

from __future__ import annotations

import argparse
import json
import sys

from . import DRIVERS, MESHES

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="meshscale meshes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the names as a JSON list")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.json:
        print(json.dumps(list(MESHES)))
        return 0
    width = max(map(len, MESHES))
    for name, driver in DRIVERS.items():
        pin = driver.chart_key or "nothing to install"
        print(f"{name:<{width}}  colour {driver.colour}  pin: {pin}")
    return 0
