"""Errors raised by the pure model. Each message names where the bad value came from."""

from __future__ import annotations

__all__ = ["ModelError", "ProfileError"]


class ModelError(ValueError):
    """A value given to the model is not acceptable; the message says which and why."""


class ProfileError(ModelError):
    """A scale profile has a bad field: the message names the file, the field and the value."""

    def __init__(self, source: str, field: str, value: object, expected: str) -> None:
        self.source, self.field, self.value, self.expected = source, field, value, expected
        super().__init__(f"profile {source}: field '{field}' {expected}, got {value!r}")
