"""One-line wording of API failures: verb, kind, namespace/name, HTTP status and the API's own message."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

__all__ = ["Target", "api_message", "failure_line", "status_object"]


@dataclass(frozen=True, slots=True)
class Target:
    """What a request is about, for messages: `create Deployment ns-001/echo`."""

    verb: str
    kind: str
    namespace: str | None = None
    name: str | None = None

    def __str__(self) -> str:
        where = "/".join(p for p in (self.namespace, self.name) if p)
        return f"{self.verb} {self.kind}" + (f" {where}" if where else "")


def status_object(body: bytes) -> dict[str, Any] | None:
    """The Kubernetes `Status` in a response body, or None when the body is something else (a pod's reply)."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) and doc.get("kind") == "Status" else None


def api_message(body: bytes) -> str:
    """The API's message from a Status body, else the start of the body itself, on one line."""
    status = status_object(body)
    text = str(status.get("message") or status.get("reason") or "") if status else ""
    if not text:
        text = body[:300].decode("utf-8", "replace")
    return " ".join(text.split())


def failure_line(target: Target, status: int, body: bytes) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    message = api_message(body)
    return f"{target}: HTTP {status} {phrase}".rstrip() + (f": {message}" if message else "")
