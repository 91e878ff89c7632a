"""`meshscale fortio merge`: text and --json output, and one clear line (exit 2) for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_meshscale.model import Histogram
from pytest_meshscale.model.fortio import result_document
from pytest_meshscale.report.fortio_command import main

R = 0.001


def _write(path: Path, samples: list[float], codes: dict[str, int]) -> Path:
    doc = result_document(Histogram.from_samples(samples, R), codes, 60 * 10**9, "2026-01-01T00:00:00Z")
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def two_clients(tmp_path: Path) -> list[str]:
    a = _write(tmp_path / "a.json", [0.001 * (1 + i % 7) for i in range(600)], {"200": 598, "-1": 2})
    b = _write(tmp_path / "b.json", [0.004 * (1 + i % 5) for i in range(400)], {"200": 390, "503": 10})
    return [str(a), str(b)]


def test_json_output(two_clients: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["merge", *two_clients, "--json", "-p", "75"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["count"] == 1000
    assert out["qps"] == pytest.approx(1000 / 60)
    assert list(out["percentiles"]) == ["50", "75", "90", "99", "99.9"]
    assert out["ret_codes"] == {"-1": 2, "200": 988, "503": 10}
    assert (out["errors"], out["error_rate"]) == (12, 0.012)


def test_text_output(two_clients: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["merge", *two_clients]) == 0
    out = capsys.readouterr().out
    assert "clients 2  requests 1000  qps 16.67" in out
    assert "percentiles s: p50 " in out
    assert "p99.9 " in out
    assert "return codes: -1: 2  200: 988  503: 10" in out
    assert "errors 12 (socket errors 2)  error rate 1.2000%" in out


SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "upstream" / "fortio-samples"
GRPC_SAMPLE = SAMPLES / "fortio-readme-grpc.json"


@pytest.mark.skipif(not GRPC_SAMPLE.is_file(), reason=f"{GRPC_SAMPLE} (shared upstream data) is absent")
def test_the_same_single_bucket_grpc_result_twice(capsys: pytest.CaptureFixture[str]) -> None:
    # fortio 0.9 gRPC ping: one bucket, no Resolution field; the same edges are the same bucket
    assert main(["merge", str(GRPC_SAMPLE), str(GRPC_SAMPLE), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["count"], out["clients"], out["ret_codes"], out["errors"]) == (80, 2, {"1": 80}, 0)
    assert (out["min"], out["max"]) == (0.2741372, 0.280604967)
    assert out["qps"] == pytest.approx(2 * 7.568383075162479)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read (No such file or directory)"),
        ("not json", "not JSON"),
        ("[1, 2]", "must be a JSON object, got list"),
        ('{"URL": "x"}', "not a fortio result (no DurationHistogram and no Exception)"),
        ('{"DurationHistogram": {"Count": "many"}}', "field 'DurationHistogram.Count' must be an integer"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, problem: str
) -> None:
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    assert main(["merge", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(path) in err
    assert problem in err


@pytest.mark.parametrize("argv", [[], ["merge"], ["split", "x"], ["merge", "x", "-p", "100"]])
def test_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "usage: meshscale fortio merge FILE..." in err


def test_console_script_end_to_end(two_clients: list[str], tmp_path: Path) -> None:
    bad = tmp_path / "nope.json"
    cmd = [sys.executable, "-m", "pytest_meshscale.cli", "fortio", "merge"]
    ok = subprocess.run([*cmd, *two_clients, "--json"], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["count"] == 1000
    failed = subprocess.run([*cmd, two_clients[0], str(bad)], capture_output=True, text=True, check=False)
    assert failed.returncode == 2
    assert "Traceback" not in failed.stderr
    assert f"{bad}: cannot read" in failed.stderr
