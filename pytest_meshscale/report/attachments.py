"""Per-test attachments people would rather look at than read: each `*_attachments` function is pure
(returns {file name: body}) so it is tested without Allure; each `attach_*` hands the result to Allure.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from ..model.fortio import MergedLoad
from .allure_labels import attach_all
from .html_policy import PolicyCell, policy_matrix_html
from .simulated import SIMULATED_MARK
from .svg_latency import latency_histogram_svg, percentile_chart_svg
from .svg_usage import Sample, usage_svg

__all__ = [
    "attach_churn_log",
    "attach_latency",
    "attach_manifests",
    "attach_policy_matrix",
    "attach_usage",
    "churn_log_attachments",
    "latency_attachments",
    "manifest_attachments",
    "merged_latency",
    "policy_attachments",
    "usage_attachments",
]


def policy_attachments(cells: Sequence[PolicyCell], mesh: str, simulated: bool) -> dict[str, str]:
    return {"policy-matrix.html": policy_matrix_html(cells, f"Policy verdicts on {mesh}", simulated)}


def latency_attachments(
    merged: Mapping[str, Any],
    mesh: str,
    simulated: bool,
    per_client: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, str]:
    """`merged` is the merged fortio DurationHistogram; `per_client` the raw fortio JSON per client pod."""
    series = {mesh: merged}
    bodies = {
        "latency-histogram.svg": latency_histogram_svg(series, f"Merged latency histogram, {mesh}", simulated),
        "latency-percentiles.svg": percentile_chart_svg(series, f"Latency percentiles, {mesh}", simulated),
    }
    bodies.update(
        {f"fortio-{client}.json": json.dumps(result, indent=1) for client, result in (per_client or {}).items()}
    )
    return bodies


def merged_latency(merged: MergedLoad) -> dict[str, Any]:
    """The merged histogram of a run in fortio's shape, with the percentiles the Score reports."""
    return merged.duration.to_fortio(float(p) for p in merged.percentiles)


def usage_attachments(
    samples: Mapping[str, Sequence[Sample]],
    mesh: str,
    simulated: bool,
    phases: Sequence[tuple[str, float, float]] = (),
) -> dict[str, str]:
    return {"mesh-cpu-memory.svg": usage_svg(samples, f"CPU and memory of {mesh} components", simulated, phases)}


def _cell(value: Any) -> Any:
    """Times to the millisecond: the clock's microsecond noise (0.5004015969971078 s) says nothing."""
    return round(value, 3) if isinstance(value, float) else value


def churn_log_attachments(events: Sequence[Mapping[str, Any]], simulated: bool = False) -> dict[str, str]:
    """One CSV row per churn event; columns are the union of the events' keys, in first-seen order.
    On a simulated cluster a first column says so on every row (a CSV has no title to carry the mark)."""
    mark = {"cluster": SIMULATED_MARK} if simulated else {}
    rows = [mark | {key: _cell(value) for key, value in event.items()} for event in events]
    columns = list(dict.fromkeys(key for row in rows for key in row)) or list(mark)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return {"churn-log.csv": out.getvalue()}


def manifest_attachments(manifests: Mapping[str, Sequence[Mapping[str, Any]] | str]) -> dict[str, str]:
    """What each mesh was given, as YAML: {name: list of objects or ready YAML text}."""
    return {
        (name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"): (
            docs if isinstance(docs, str) else yaml.safe_dump_all(list(docs), sort_keys=False)
        )
        for name, docs in manifests.items()
    }


def attach_policy_matrix(cells: Sequence[PolicyCell], mesh: str, simulated: bool) -> None:
    attach_all(policy_attachments(cells, mesh, simulated))


def attach_latency(
    merged: Mapping[str, Any],
    mesh: str,
    simulated: bool,
    per_client: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    attach_all(latency_attachments(merged, mesh, simulated, per_client))


def attach_usage(
    samples: Mapping[str, Sequence[Sample]],
    mesh: str,
    simulated: bool,
    phases: Sequence[tuple[str, float, float]] = (),
) -> None:
    attach_all(usage_attachments(samples, mesh, simulated, phases))


def attach_churn_log(events: Sequence[Mapping[str, Any]], simulated: bool = False) -> None:
    attach_all(churn_log_attachments(events, simulated))


def attach_manifests(manifests: Mapping[str, Sequence[Mapping[str, Any]] | str]) -> None:
    attach_all(manifest_attachments(manifests))
