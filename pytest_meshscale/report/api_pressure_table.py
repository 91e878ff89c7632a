"""The API-pressure table: one column per mesh, side by side (requests/s, p99 against ClusterLoader2's SLOs,
open watches, kube-apiserver and etcd CPU and RSS), and whether each SLO held. Its first lines say what was
real and what was emulated, so the figures are never read as a real mesh's."""

from __future__ import annotations

from collections.abc import Sequence

from ..model.api_pressure import MULTI_S, SINGLE_S, ApiPressure, ServerUsage
from ..scenario.api_pressure import PressureResult
from .allure_labels import attach_all
from .svg_api_timeline import api_timeline_svg

__all__ = ["attach_pressure", "pressure_table"]

MIB = 1024 * 1024
MIN_WIDTH = 14


def _usage(u: ServerUsage | None) -> tuple[str, str]:
    if u is None:
        return "n/a", "n/a"
    cores = f"{u.cores:.2f}" if u.cores is not None else "n/a"
    rss = f"{u.rss_bytes / MIB:,.0f}" if u.rss_bytes is not None else "n/a"
    return cores, rss


def _slowest(p: ApiPressure, verbs: frozenset[str] | None, exclude: frozenset[str] = frozenset()) -> str:
    judged = [c for c in p.calls if c.judged and (verbs is None or c.verb in verbs) and c.verb not in exclude]
    worst = max(judged, key=lambda c: c.p99_s or 0.0, default=None)
    return f"{worst.p99_s:.3f} ({worst.name})" if worst and worst.p99_s is not None else "not judged"


def _held(r: PressureResult) -> str:
    if r.pressure is None:
        return "not measured"
    if r.slo_held is None:
        return "not judged (no latency histograms)"
    bad = r.pressure.violations
    if not bad:
        return "yes"
    return f"NO: {len(bad)} calls (listed below)" if len(bad) > 1 else f"NO: {bad[0].name} p99 {bad[0].p99_s:.2f} s"


def _broken(r: PressureResult) -> list[str]:
    """With more than one call over its SLO, each on a line under the table: in a cell they pushed the next mesh
    off screen."""
    bad = r.pressure.violations if r.pressure is not None and r.slo_held is not None else []
    if len(bad) < 2:
        return []
    return [f"- {r.mesh}: {c.name} p99 {c.p99_s:.2f} s > {c.slo_s:g} s over {c.count} calls" for c in bad]


def _column(r: PressureResult) -> list[str]:
    p = r.pressure
    if p is None:
        return [r.reason] + [""] * 9
    lists = sum(v for (verb, _), v in p.requests_per_s.items() if verb == "LIST")
    writes = sum(v for (verb, _), v in p.requests_per_s.items() if verb in {"POST", "PUT", "PATCH", "DELETE"})
    api_cpu, api_rss = _usage(p.apiserver)
    etcd_cpu, etcd_rss = _usage(p.etcd) if p.etcd else (r.etcd_note or "n/a", "n/a")
    return [f"{p.total_per_s:.1f}", f"{lists:.2f} / {writes:.2f}",
            _slowest(p, None, frozenset({"LIST"})), _slowest(p, frozenset({"LIST"})), _held(r), str(p.open_watches),
            api_cpu, api_rss, etcd_cpu, etcd_rss]


ROWS = ("requests/s (all verbs)", "LIST/s / writes/s", f"slowest p99 s, single object (SLO {SINGLE_S:g} s)",
        f"slowest p99 s, LIST (SLO {MULTI_S:g} s)", "SLOs held", "open watches (server)",
        "kube-apiserver CPU cores", "kube-apiserver RSS MiB", "etcd CPU cores", "etcd RSS MiB")


def pressure_table(results: Sequence[PressureResult]) -> str:
    kinds = sorted({r.cluster_kind for r in results})
    window = max((r.pressure.window_s for r in results if r.pressure), default=0.0)
    head = [f"API pressure during churn, window {window:.0f} s ({', '.join(kinds)})."]
    if "kwok" in kinds:
        head.append("kube-apiserver and etcd are REAL (kwok); the mesh clients are EMULATED (their request pattern "
                    "only), and pods run nothing (data plane SIMULATED).")
    head += [f"- {r.mesh}: {r.clients}" for r in results if r.clients]
    head += [f"- {r.mesh}: missing here: {m}" for r in results for m in r.missing]
    cols = [_column(r) for r in results]
    width = max(len(x) for x in ROWS)
    # each column as wide as its longest cell: a fixed width let the sim's "no etcd" reason push the next mesh over
    widths = [max(MIN_WIDTH, len(r.mesh), *map(len, c)) for r, c in zip(results, cols, strict=True)]
    lines = [f"{'':<{width}}  " + "  ".join(f"{r.mesh:<{w}}" for r, w in zip(results, widths, strict=True))]
    lines += [f"{row:<{width}}  " + "  ".join(f"{c[i]:<{w}}" for c, w in zip(cols, widths, strict=True))
              for i, row in enumerate(ROWS)]
    broken = [line for r in results for line in _broken(r)]
    tail = ["", "SLOs broken:", *broken] if broken else []
    return "\n".join(head + [""] + [line.rstrip() for line in lines] + tail) + "\n"


def attach_pressure(results: Sequence[PressureResult]) -> None:
    import json

    bodies = {"api-pressure.txt": pressure_table(results),
              "api-pressure.json": json.dumps([r.to_dict() for r in results], indent=2)}
    chart = api_timeline_svg(results)
    if chart is not None:  # results without a timeline (not measured) have no chart
        bodies["api-pressure-over-time.svg"] = chart
    attach_all(bodies)
