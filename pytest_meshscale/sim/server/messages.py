"""Request/response values passed between the HTTP layer and the handlers, and body helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from .auth import Identity
from .protobuf import PROTOBUF, from_protobuf
from .storetypes import ApiError

__all__ = ["Request", "Response", "json_response", "parse_body"]

# Protobuf and CBOR bodies are refused with 415, which makes client-go fall back to JSON.
_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/yaml",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
        "application/json-patch+json",
        "application/apply-patch+yaml",
    }
)


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    who: Identity
    raw_query: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "application/json").split(";")[0].strip()

    @property
    def accept(self) -> str:
        return self.headers.get("accept", "")

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true")


@dataclass(slots=True)
class Response:
    status: int
    body: bytes | Iterator[bytes]
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(obj: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(obj, separators=(",", ":")).encode())


def parse_body(req: Request, yaml_ok: bool = False) -> Any:
    """The request body as JSON (or YAML for apply patches); 400 BadRequest when it does not parse."""
    if not req.body.strip():
        raise ApiError(400, "BadRequest", "the request body is empty")
    if req.content_type == PROTOBUF:
        return from_protobuf(req.body)
    if req.content_type not in _TEXT_TYPES:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - "
            f"accepted media types include: {', '.join(sorted(_TEXT_TYPES))}",
        )
    try:
        return json.loads(req.body)
    except ValueError as exc:
        if not yaml_ok:
            raise ApiError(400, "BadRequest", f"the request body is not valid JSON: {exc}") from None
    try:
        return yaml.safe_load(req.body)
    except yaml.YAMLError as exc:
        raise ApiError(400, "BadRequest", f"the request body is not valid YAML: {exc}") from None
