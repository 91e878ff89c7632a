"""How simulated numbers are marked, in one place, so every output says it the same way."""

from __future__ import annotations

__all__ = ["SIMULATED_MARK", "SIMULATED_NOTE", "mark_title"]

SIMULATED_MARK = "SIMULATED"
SIMULATED_NOTE = "model output, not measured"


def mark_title(title: str, simulated: bool) -> str:
    """A simulated figure must never pass for a measured one, so the mark goes into the title itself."""
    return f"{title} - {SIMULATED_MARK} ({SIMULATED_NOTE})" if simulated else title
