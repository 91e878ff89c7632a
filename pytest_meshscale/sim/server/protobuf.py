"""Just enough Kubernetes protobuf to read what kubectl sends that way. Since client-go 1.31 typed clients
(`kubectl create namespace|configmap|secret`, `kubectl auth can-i`) send bodies as
application/vnd.kubernetes.protobuf and never fall back to JSON. The sim decodes those few kinds into the
JSON shape; any other protobuf body is refused with 415. Answers are always JSON (clients accept it)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from .storetypes import ApiError

__all__ = ["PROTOBUF", "from_protobuf"]

PROTOBUF = "application/vnd.kubernetes.protobuf"
_MAGIC = b"k8s\x00"
Fields = dict[int, list[Any]]
_META = {1: "name", 2: "generateName", 3: "namespace", 6: "resourceVersion"}
_ATTRS = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource", 7: "name"}


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = buf[i]
        value |= (b & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if not b & 0x80:
            return value, i


def _fields(buf: bytes) -> Fields:
    """Every field of one message by number (varints as ints, length-delimited as bytes)."""
    out: Fields = {}
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value: Any
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i : i + size], i + size
        else:
            raise ValueError(f"unexpected wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


def _one(f: Fields, n: int) -> bytes:
    value = f.get(n, [b""])[-1]
    return value if isinstance(value, bytes) else b""


def _strings(f: Fields, names: dict[int, str]) -> dict[str, str]:
    return {name: _one(f, n).decode() for n, name in names.items() if _one(f, n)}


def _map(f: Fields, n: int, binary: bool = False) -> dict[str, str]:
    entries = [_fields(e) for e in f.get(n, [])]
    decode: Callable[[bytes], str] = (lambda b: base64.b64encode(b).decode()) if binary else bytes.decode
    return {_one(e, 1).decode(): decode(_one(e, 2)) for e in entries}


def _metadata(buf: bytes) -> dict[str, Any]:
    f = _fields(buf)
    meta: dict[str, Any] = _strings(f, _META)
    for n, key in ((11, "labels"), (12, "annotations")):
        if f.get(n):
            meta[key] = _map(f, n)
    return meta


def _namespace(f: Fields) -> dict[str, Any]:
    return {"metadata": _metadata(_one(f, 1))}


def _configmap(f: Fields) -> dict[str, Any]:
    return {
        "metadata": _metadata(_one(f, 1)),
        "data": _map(f, 2),
        **({"binaryData": _map(f, 3, True)} if 3 in f else {}),
    }


def _secret(f: Fields) -> dict[str, Any]:
    return {
        "metadata": _metadata(_one(f, 1)),
        "data": _map(f, 2, True),
        "type": _one(f, 3).decode() or "Opaque",
    }


def _access_review(f: Fields) -> dict[str, Any]:
    spec = _fields(_one(f, 2))
    return {"spec": {"resourceAttributes": _strings(_fields(_one(spec, 1)), _ATTRS)}}


_KINDS = {
    "Namespace": _namespace,
    "ConfigMap": _configmap,
    "Secret": _secret,
    "SelfSubjectAccessReview": _access_review,
}


def from_protobuf(body: bytes) -> dict[str, Any]:
    """The object in a k8s protobuf envelope as a JSON-shaped dict (only the kinds listed in _KINDS)."""
    try:
        if not body.startswith(_MAGIC):
            raise ValueError("missing the k8s protobuf magic")
        envelope = _fields(body[len(_MAGIC) :])
        type_meta = _strings(_fields(_one(envelope, 1)), {1: "apiVersion", 2: "kind"})
        decode = _KINDS.get(type_meta.get("kind", ""))
        if decode is None:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the sim reads protobuf bodies only for {', '.join(_KINDS)}"
                f"; send {type_meta.get('kind')} as application/json (e.g. kubectl apply)",
            )
        return {**type_meta, **decode(_fields(_one(envelope, 2)))}
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise ApiError(400, "BadRequest", f"cannot decode the protobuf body: {exc}") from None
