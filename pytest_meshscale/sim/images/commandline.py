"""A Job container's command line as one token list (command + args, `sh -c "..."` unwrapped)."""

from __future__ import annotations

import shlex
from typing import Any

__all__ = ["tokens"]


SEPARATORS = (";", "&&", "||", "|", "&")


def _split(word: str) -> list[str]:
    lexer = shlex.shlex(word, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:
        return word.split()


def tokens(pod: dict[str, Any]) -> list[str]:
    """The first command of the container's command line: `sh -c "a 'b c'; true"` -> [a, "b c"]."""
    c = ((pod.get("spec") or {}).get("containers") or [{}])[0]
    words = [str(w) for w in (c.get("command") or []) + (c.get("args") or [])]
    if len(words) >= 3 and words[0].endswith("sh") and words[1] == "-c":
        words = words[2:]
    out: list[str] = []
    for w in words:
        out += _split(w)
    cut = next((i for i, t in enumerate(out) if t in SEPARATORS), len(out))
    return out[:cut]
