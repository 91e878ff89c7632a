"""The object checks every write goes through (names, label keys and values), as Kubernetes'
apimachinery validation does; failures become 422 Invalid with the field path and the bad value."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["invalid_fields"]

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# Namespaces and Services become DNS labels (svc.ns.svc.cluster.local): the stricter rule applies.
_LABEL_NAMED = frozenset({"namespaces", "services"})


def _name_error(resource: str, name: str) -> str | None:
    if resource in _LABEL_NAMED:
        if len(name) > 63 or not _DNS_LABEL.match(name):
            return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'"
        return None
    if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"
    return None


def _label_key_error(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return "prefix part must be a lowercase RFC 1123 subdomain"
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        return "name part must consist of alphanumeric characters, '-', '_' or '.', at most 63"
    return None


def invalid_fields(resource: str, meta: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(field path, bad value, why) for each problem in an object's metadata; empty when valid."""
    errors: list[tuple[str, Any, str]] = []
    name = meta.get("name")
    if not name:
        errors.append(("metadata.name", name, "Required value: name or generateName is required"))
    elif (why := _name_error(resource, name)) is not None:
        errors.append(("metadata.name", name, f"Invalid value: {why}"))
    labels = meta.get("labels") or {}
    if not isinstance(labels, dict):
        return errors + [("metadata.labels", labels, "Invalid value: must be a map of strings")]
    for key, value in labels.items():
        if (why := _label_key_error(str(key))) is not None:
            errors.append(("metadata.labels", key, f"Invalid value: {why}"))
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            errors.append(
                (
                    f"metadata.labels[{key}]",
                    value,
                    "Invalid value: a valid label must be an empty "
                    "string or consist of alphanumeric characters, '-', '_' or '.', at most 63",
                )
            )
    return errors
