"""Errors raised by the pure model. Each message names where the bad value came from."""

from __future__ import annotations

__all__ = ["ModelError", "ProfileError"]


class ModelError(ValueError):
    """A value given to the model is not acceptable; the message says which and why."""


class ProfileError(ModelError):
    """A scale profile has a bad field: the message names the file, the field and the value."""

    FILE = "<file>"  # the field of a problem with the file itself (missing, not YAML)

    def __init__(self, source: str, field: str, value: object, expected: str, *, problem: str = "") -> None:
        self.source, self.field, self.value, self.expected = source, field, value, expected
        named = f"field '{field}' {expected}, got {value!r}"
        super().__init__(f"profile {source}: {problem or named}")

    @classmethod
    def of_file(cls, source: str, value: object, problem: str) -> ProfileError:
        """A problem with the file as a whole: `profile <file>: <problem>` (no field to name)."""
        return cls(source, cls.FILE, value, problem, problem=problem)
