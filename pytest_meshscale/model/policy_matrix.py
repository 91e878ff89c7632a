"""The expected allow/deny matrix of a set of probe cells, and its per-cell diff with what was observed.

Like cyclonus' comparison table: the expectation is data built from the model, every cell is probed,
and a mismatch names the cell, the expected and the observed verdict and how the request ended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .policy import Intent, Request, Verdict, expected_verdict

__all__ = ["CellDiff", "Matrix", "Observation", "ProbeCell", "classify_status"]


@dataclass(frozen=True, slots=True)
class ProbeCell:
    """One probe of a policy file: the request and the mesh-neutral verdict written next to it."""

    request: Request
    expect: Verdict

    @property
    def key(self) -> str:
        return str(self.request)


@dataclass(frozen=True, slots=True)
class Observation:
    """What a probe saw: the verdict and how it looked ("HTTP 200", "HTTP 403", "connection reset")."""

    verdict: Verdict
    detail: str


def classify_status(status: int | None, detail: str = "") -> Observation:
    """The verdict of one HTTP probe: 403 is an L7 deny, no HTTP answer an L4 deny, any other status
    means the policy let the request through (the service's own 404 or 500 is not a policy verdict)."""
    if status is None:
        return Observation(Verdict.DENY_L4, detail or "no HTTP response")
    verdict = Verdict.DENY_L7 if status == 403 else Verdict.ALLOW
    return Observation(verdict, f"HTTP {status}" + (f" ({detail})" if detail else ""))


@dataclass(frozen=True, slots=True)
class CellDiff:
    cell: str
    expected: Verdict
    actual: Verdict | None  # None: the cell was not probed
    detail: str

    def __str__(self) -> str:
        got = "nothing (not probed)" if self.actual is None else f"{self.actual.value} ({self.detail})"
        return f"{self.cell}: expected {self.expected.value}, got {got}"


@dataclass(frozen=True, slots=True)
class Matrix:
    """Expected verdict per probe cell, in probe order."""

    requests: tuple[Request, ...]
    expected: tuple[Verdict, ...]

    @classmethod
    def build(
        cls,
        intents: Sequence[Intent],
        requests: Sequence[Request],
        *,
        l7_enforced: frozenset[str] = frozenset(),
    ) -> Matrix:
        verdicts = tuple(expected_verdict(intents, r, l7_enforced=l7_enforced) for r in requests)
        return cls(tuple(requests), verdicts)

    def cells(self) -> dict[str, Verdict]:
        return {str(r): v for r, v in zip(self.requests, self.expected, strict=True)}

    def compare(self, observed: Mapping[str, Observation]) -> list[CellDiff]:
        """Every cell whose observation differs from the expectation (missing cells included)."""
        diffs = []
        for key, expected in self.cells().items():
            seen = observed.get(key)
            if seen is None or seen.verdict is not expected:
                actual, detail = (seen.verdict, seen.detail) if seen else (None, "")
                diffs.append(CellDiff(key, expected, actual, detail))
        return diffs

    def table(self, observed: Mapping[str, Observation] | None = None) -> str:
        """A plain-text truth table for reports: cell, expected, observed, and '!=' where they differ."""
        width = max((len(k) for k in self.cells()), default=4)
        lines = [f"{'cell':<{width}}  expected  observed"]
        for key, expected in self.cells().items():
            seen = (observed or {}).get(key)
            shown = f"{seen.verdict.value} ({seen.detail})" if seen else "-"
            mark = "  !=" if seen and seen.verdict is not expected else ""
            lines.append(f"{key:<{width}}  {expected.value:<8}  {shown}{mark}")
        return "\n".join(lines)
