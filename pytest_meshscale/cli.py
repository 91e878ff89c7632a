"""The `meshscale` console script: dispatches to each subcommand's module (imported lazily, so
`meshscale fortio merge` does not pay for the kubernetes client).

`meshscale` alone lists the commands (one line each), `meshscale --version` prints the version, and an
unknown command or option is one line on stderr with exit status 2."""

from __future__ import annotations

import importlib
import os
import sys

__all__ = ["main"]

COMMANDS = {
    "sim": ("pytest_meshscale.sim.command", "run the simulated cluster (meshscale sim up --mesh M --kubeconfig PATH)"),
    "control-plane": (
        "pytest_meshscale.sim.control_plane.command",
        "a real control plane with KWOK nodes (build | up)",
    ),
    "fortio": ("pytest_meshscale.report.fortio_command", "fortio result tools (meshscale fortio merge FILE...)"),
    "compare": ("pytest_meshscale.report.compare_command", "compare Score JSON of mesh runs"),
    "report": ("pytest_meshscale.report.build_command", "build the Allure 3 report and scorecard"),
    "meshes": ("pytest_meshscale.meshes.command", "list the registered meshes (--json for workflows)"),
    "cleanup": ("pytest_meshscale.provision.cleanup", "remove what earlier runs left on a cluster"),
}
EXIT_USAGE = 2


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("pytest-meshscale")
    except PackageNotFoundError:  # a source tree that is not installed
        from . import __version__

        return __version__


def _usage() -> str:
    lines = ["usage: meshscale COMMAND [ARGS...]", "", "commands:"]
    width = max(map(len, COMMANDS))
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "run `meshscale COMMAND --help` for a command's options; `meshscale --version` for the version"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(_usage())
        return EXIT_USAGE  # no command given: the list is help, the run is still a usage error
    if args[0] in ("-h", "--help"):
        print(_usage())
        return 0
    if args[0] in ("-V", "--version"):
        print(f"meshscale {version()}")
        return 0
    if args[0] not in COMMANDS:
        what = "option" if args[0].startswith("-") else "command"
        print(
            f"meshscale: unknown {what} {args[0]!r}; commands: {', '.join(COMMANDS)} (meshscale --help)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    module = importlib.import_module(COMMANDS[args[0]][0])
    try:
        return int(module.main(args[1:]))
    except BrokenPipeError:  # `meshscale compare ... | head`: the reader left; no traceback, as other CLIs
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's exit flush would raise again
        return 1


if __name__ == "__main__":
    sys.exit(main())
