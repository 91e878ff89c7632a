"""Check a Score against a profile's Thresholds and report every violation in one message.

Like kube-burner's CheckThreshold, all limits are checked before failing, so one run shows every
problem. A limit whose value was not measured is a violation too: an unmeasured value cannot pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import ModelError
from .profiles import Thresholds
from .score import Score

__all__ = ["Violation", "check", "check_value", "format_violations"]

GIB = 2**30


@dataclass(frozen=True, slots=True)
class Violation:
    name: str  # the Thresholds field, e.g. "max_p99_s"
    value: float | None  # None: the value was not measured
    limit: float

    @property
    def message(self) -> str:
        bound = "at least" if self.name.startswith("min_") else "at most"
        if self.value is None:
            return f"{self.name}: not measured (must be {bound} {self.limit:g})"
        return f"{self.name}: {self.value:.6g} is not {bound} {self.limit:g}"


def check_value(name: str, value: float | None, limit: float | None) -> Violation | None:
    """One limit; `name` starting with "min_" is a lower bound, "max_" an upper bound."""
    if not name.startswith(("min_", "max_")):
        raise ModelError(f"threshold name {name!r} must start with 'min_' or 'max_'")
    if limit is None:
        return None
    if value is None:
        return Violation(name, None, limit)
    ok = value >= limit if name.startswith("min_") else value <= limit
    return None if ok else Violation(name, value, limit)


def _memory_gib(score: Score) -> float | None:
    load = score.mesh_memory_load_bytes
    return None if load is None else load / GIB


def _measured(score: Score) -> dict[str, float | None]:
    """Score values for each threshold this module checks (propagation and API errors are elsewhere)."""
    return {
        "min_qps": score.qps,
        "max_p99_s": score.latency_s.get("99"),
        "max_p999_s": score.latency_s.get("99.9"),
        "max_error_rate": score.error_rate,
        "max_mesh_cores": score.mesh_cores_load,
        "max_mesh_memory_gib": _memory_gib(score),
        "min_queries_per_core": score.queries_per_core,
    }


def check(score: Score, thresholds: Thresholds) -> list[Violation]:
    """Every violated limit, in Thresholds field order; empty when the Score passes."""
    found = (check_value(name, value, getattr(thresholds, name)) for name, value in _measured(score).items())
    return [v for v in found if v is not None]


def format_violations(violations: Iterable[Violation]) -> str:
    """One readable message listing every violation ("" when there is none)."""
    items = list(violations)
    if not items:
        return ""
    lines = [f"{len(items)} threshold(s) violated:"] + [f"  - {v.message}" for v in items]
    return "\n".join(lines)
