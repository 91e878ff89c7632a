"""`meshscale fortio merge FILE... [--json] [-p 50,99.9]`: merge many fortio clients' JSON results.

Histograms are merged bucket by bucket and percentiles recomputed from the merged histogram (never an
average of per-client percentiles); RetCodes are summed; failed clients are listed, not dropped.
Bad input: one line on stderr naming the file and the problem, exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..model.errors import ModelError
from ..model.fortio import FortioResult, MergedLoad, merge_results, parse_document

__all__ = ["main"]


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


def _parser() -> _Parser:
    p = _Parser(prog="meshscale fortio", description="fortio result tools")
    sub = p.add_subparsers(dest="action", required=True)
    merge = sub.add_parser("merge", help="merge fortio JSON results of many clients")
    merge.add_argument("files", nargs="+", metavar="FILE", help="fortio JSON result (fortio load -json)")
    merge.add_argument("--json", action="store_true", help="print the merged summary as JSON")
    merge.add_argument("-p", "--percentiles", default="", help="extra percentiles, e.g. 75,99.99")
    return p


def _percentiles(text: str) -> list[float]:
    try:
        values = [float(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise _UsageError(f"--percentiles must be numbers separated by commas, got {text!r}") from None
    if any(not 0 < p < 100 for p in values):
        raise _UsageError(f"--percentiles must be > 0 and < 100, got {text!r}")
    return values


def _read(path: str) -> tuple[FortioResult, ...]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ModelError(f"{path}: cannot read ({getattr(e, 'strerror', None) or e})") from None
    return parse_document(text, path)


def _text(m: MergedLoad) -> str:
    h = m.duration
    lines = [
        f"clients {m.clients}  requests {m.count}  qps {m.qps:.2f} (sum of ActualQPS)"
        + (f"  window qps {m.window_qps:.2f} over {m.window_s:.1f} s" if m.window_qps is not None else ""),
        f"latency s: min {h.min:.6g}  mean {h.mean:.6g}  stddev {h.stddev:.6g}  max {h.max:.6g}",
        "percentiles s: " + "  ".join(f"p{k} {v:.6g}" for k, v in m.percentiles.items()),
        "return codes: " + ("  ".join(f"{k}: {v}" for k, v in m.ret_codes.items()) or "none"),
        f"errors {m.errors} (socket errors {m.socket_errors})  error rate {m.error_rate:.4%}",
    ]
    lines += [f"FAILED client {src}: {exc}" for src, exc in m.failed_clients]
    return "\n".join(lines)


def _merge(args: argparse.Namespace) -> int:
    extra = _percentiles(args.percentiles)
    results = [r for path in args.files for r in _read(path)]
    merged = merge_results(results, extra)
    print(json.dumps(merged.summary(), indent=2) if args.json else _text(merged))
    return 0


def main(argv: list[str]) -> int:
    try:
        return _merge(_parser().parse_args(argv))
    except _UsageError as e:
        print(
            f"meshscale fortio: {e}; usage: meshscale fortio merge FILE... [--json] [-p 75,99.99]",
            file=sys.stderr,
        )
        return 2
    except ModelError as e:
        print(f"meshscale fortio merge: {e}", file=sys.stderr)
        return 2
