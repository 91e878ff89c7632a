"""The `meshscale` console script as a user meets it: --version, the command list, `COMMAND --help`, and an
unknown command or option as one line with exit status 2."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest

from pytest_meshscale.cli import COMMANDS, main


def _meshscale(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest_meshscale.cli", *args], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    done = _meshscale(flag)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"meshscale {version('pytest-meshscale')}\n", "")


def test_bare_meshscale_lists_every_command_on_one_line_and_points_at_help() -> None:
    done = _meshscale()
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    for name in COMMANDS:
        assert len([line for line in lines if line.split()[:1] == [name]]) == 1, f"{name}: {done.stdout}"
    assert any("meshscale COMMAND --help" in line for line in lines)
    assert done.stderr == ""


def test_help_is_the_list_with_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "meshscale COMMAND --help" in out and all(f"  {name} " in out for name in COMMANDS)


@pytest.mark.parametrize(("arg", "what"), [("deploy", "command"), ("--verbose", "option")])
def test_unknown_command_or_option_is_one_line_exit_2(arg: str, what: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([arg, "x"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"meshscale: unknown {what} {arg!r}; commands: sim, ")
    assert "meshscale --help" in captured.err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_listed_command_has_help(command: str) -> None:
    done = _meshscale(command, "--help")
    assert done.returncode == 0, done.stderr
    assert f"meshscale {command}" in done.stdout


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path) -> None:
    """`meshscale compare ... | head -1`: the reader is gone when the scorecard is printed (here before the first
    line, so the write fails however small the output is)."""
    import os
    from pathlib import Path

    scores = Path(__file__).parent / "golden" / "scores"
    cmd = [sys.executable, "-m", "pytest_meshscale.cli", "compare", str(scores), "-o", str(tmp_path)]
    read_end, write_end = os.pipe()
    with subprocess.Popen(cmd, stdout=write_end, stderr=subprocess.PIPE) as proc:
        os.close(write_end)
        os.close(read_end)  # the only reader leaves
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err
