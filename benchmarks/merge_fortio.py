"""Benchmark: parse + merge + percentiles for 500 fortio client results (the seed's scale).

Each generated client ran 2 minutes at ~2000 qps with `-r 0.0001` (the seed's test.json) and has a
lognormal latency with its own median and spread, so its export has roughly 30-60 Data buckets.
Only parse (from JSON text) + merge + percentiles is timed, best of a few runs.

    .venv/bin/python benchmarks/merge_fortio.py [--clients 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import time

from pytest_meshscale.model.fortio import merge_results, parse_result, result_document
from pytest_meshscale.model.histogram import Bucket, Histogram

RESOLUTION = 0.0001
RUN_NS = 120 * 10**9
SAMPLES, SCALE = 2000, 120  # 2000 drawn latencies, each standing for 120 requests: 240k per client


def _client(rng: random.Random, i: int) -> str:
    median, sigma = rng.uniform(0.002, 0.02), rng.uniform(0.9, 1.5)
    h = Histogram.from_samples([rng.lognormvariate(0, sigma) * median for _ in range(SAMPLES)], RESOLUTION)
    scaled = dataclasses.replace(
        h,
        count=h.count * SCALE,
        sum=h.sum * SCALE,
        m2=h.m2 * SCALE,
        buckets=tuple(Bucket(b.start, b.end, b.count * SCALE) for b in h.buckets),
    )
    errors = rng.randint(0, 50)
    codes = {"200": scaled.count - errors, "503": errors}
    start = f"2026-01-01T00:00:{rng.randint(0, 5):02d}Z"
    return json.dumps(result_document(scaled, codes, RUN_NS, start, Labels=f"client-{i}"))


def _once(texts: list[str]) -> tuple[float, dict[str, float]]:
    began = time.perf_counter()
    merged = merge_results([parse_result(t, f"client-{i}") for i, t in enumerate(texts)], [75])
    percentiles = dict(merged.percentiles)
    return time.perf_counter() - began, percentiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(42)
    texts = [_client(rng, i) for i in range(args.clients)]
    buckets = [len(json.loads(t)["DurationHistogram"]["Data"]) for t in texts]
    runs = [_once(texts) for _ in range(args.repeat)]
    best = min(seconds for seconds, _ in runs)
    print(
        f"{args.clients} clients, Data buckets per client: min {min(buckets)} median "
        f"{statistics.median(buckets):g} max {max(buckets)}, {sum(len(t) for t in texts) / 1e6:.1f} MB JSON"
    )
    print("merged percentiles (s): " + "  ".join(f"p{k} {v:.6g}" for k, v in runs[0][1].items()))
    print(
        f"parse+merge+percentiles: best {best:.3f} s of {args.repeat} "
        f"(median {statistics.median(s for s, _ in runs):.3f} s)"
    )


if __name__ == "__main__":
    main()
