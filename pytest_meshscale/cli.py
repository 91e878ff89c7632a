"""The `meshscale` console script: dispatches to each subcommand's module (imported lazily, so
`meshscale fortio merge` does not pay for the kubernetes client)."""

from __future__ import annotations

import importlib
import sys

__all__ = ["main"]

COMMANDS = {
    "sim": ("pytest_meshscale.sim.command", "run the simulated cluster (meshscale sim up ...)"),
    "fortio": ("pytest_meshscale.report.fortio_command", "fortio result tools (meshscale fortio merge FILE...)"),
    "compare": ("pytest_meshscale.report.compare_command", "compare Score JSON of mesh runs"),
    "report": ("pytest_meshscale.report.build_command", "build the Allure 3 report and scorecard"),
}


def _usage() -> str:
    lines = ["usage: meshscale COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<8} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0 if args else 2
    if args[0] not in COMMANDS:
        print(f"meshscale: unknown command {args[0]!r}; accepted: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[args[0]][0])
    return int(module.main(args[1:]))


if __name__ == "__main__":
    sys.exit(main())
