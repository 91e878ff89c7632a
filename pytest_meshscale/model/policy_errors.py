"""Errors of the policy intent: bad intent files, and intents a mesh's API cannot express."""

from __future__ import annotations

from .errors import ModelError

__all__ = ["PolicyError", "Unsupported"]


class PolicyError(ModelError):
    """A policy intent file has a bad field: the message names the file, the field and the value."""

    def __init__(self, source: str, field: str, value: object, expected: str) -> None:
        self.source, self.field, self.value, self.expected = source, field, value, expected
        super().__init__(f"policy {source}: field '{field}' {expected}, got {value!r}")


class Unsupported(Exception):  # noqa: N818 - named like cilium-cli's requirement: the reason is the point
    """A mesh cannot express this intent; `reason` becomes the test's skip message."""

    def __init__(self, mesh: str, reason: str) -> None:
        self.mesh, self.reason = mesh, reason
        super().__init__(f"{mesh} cannot express this policy: {reason}")
