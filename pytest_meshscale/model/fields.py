"""Strict readers for plain mappings (parsed YAML), so every error names file, field and value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ProfileError

__all__ = ["Fields"]


class Fields:
    """A view on one mapping of a profile that checks types and refuses unknown keys."""

    def __init__(self, data: object, source: str, prefix: str = "") -> None:
        if not isinstance(data, Mapping):
            raise ProfileError(source, prefix or "<top>", data, "must be a mapping")
        self.data: Mapping[str, Any] = data
        self.source, self.prefix = source, prefix
        self._seen: set[str] = set()

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str, value: object, expected: str) -> ProfileError:
        return ProfileError(self.source, self.path(key), value, expected)

    def raw(self, key: str, default: object = ...) -> Any:
        self._seen.add(key)
        if key in self.data:
            return self.data[key]
        if default is ...:
            raise self.fail(key, None, "is required")
        return default

    def sub(self, key: str, default: object = ...) -> Fields:
        return Fields(self.raw(key, default), self.source, self.path(key))

    def integer(self, key: str, default: object = ..., minimum: int = 0) -> int:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, value, f"must be an integer >= {minimum}")
        return value

    def number(self, key: str, default: object = ..., minimum: float = 0.0) -> float:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self.fail(key, value, f"must be a number >= {minimum}")
        return float(value)

    def optional_number(self, key: str) -> float | None:
        return None if self.raw(key, None) is None else self.number(key)

    def text(self, key: str, default: object = ..., choices: tuple[str, ...] = ()) -> str:
        value = self.raw(key, default)
        if not isinstance(value, str) or (choices and value not in choices):
            accepted = f"one of {', '.join(choices)}" if choices else "a string"
            raise self.fail(key, value, f"must be {accepted}")
        return value

    def boolean(self, key: str, default: object = ...) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, value, "must be true or false")
        return value

    def str_map(self, key: str) -> dict[str, str]:
        value = self.raw(key, {})
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise self.fail(key, value, "must be a mapping of strings to strings (quote numbers)")
        return dict(value)

    def items(self, key: str, default: object = ...) -> list[Fields]:
        value = self.raw(key, default)
        if not isinstance(value, list):
            raise self.fail(key, value, "must be a list")
        return [Fields(v, self.source, f"{self.path(key)}[{i}]") for i, v in enumerate(value)]

    def done(self) -> None:
        """Refuse keys nobody read: a typo must not silently fall back to a default."""
        unknown = sorted(set(self.data) - self._seen)
        if unknown:
            raise self.fail(unknown[0], self.data[unknown[0]], "is not a known field")
