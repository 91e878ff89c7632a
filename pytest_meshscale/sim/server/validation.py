"""The object checks every write goes through (names, label keys and values), as Kubernetes'
apimachinery validation does; failures become 422 Invalid with the field path and the bad value."""

from __future__ import annotations

import json
import re
from typing import Any

from .selectors import match_labels

__all__ = ["invalid_fields", "spec_problems"]

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


# ---- spec checks of the kinds the plugin writes (run on client requests, in the HTTP layer) ----------------
_WORKLOADS = {"deployments.apps": "deployment", "replicasets.apps": "replicaset", "daemonsets.apps": "daemonset"}
_IANA_SVC_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _container_errors(where: str, c: Any, seen: set[str]) -> list[tuple[str, Any, str]]:
    if not isinstance(c, dict):
        return [(where, c, "Invalid value: must be an object")]
    errors: list[tuple[str, Any, str]] = []
    name = c.get("name")
    if not name:
        errors.append((f"{where}.name", None, "Required value"))
    elif not isinstance(name, str) or len(name) > 63 or not _DNS_LABEL.match(name):
        errors.append((f"{where}.name", name, "Invalid value: a lowercase RFC 1123 label must consist of lower case "
                                              "alphanumeric characters or '-'"))
    elif name in seen:
        errors.append((f"{where}.name", name, "Duplicate value"))
    seen.add(str(name))
    if not c.get("image"):
        errors.append((f"{where}.image", None, "Required value"))
    for j, port in enumerate(c.get("ports") or []):
        number = port.get("containerPort") if isinstance(port, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
            errors.append((f"{where}.ports[{j}].containerPort", number,
                           "Invalid value: must be between 1 and 65535, inclusive"))
    return errors


def pod_spec_problems(spec: Any, where: str) -> list[tuple[str, Any, str]]:
    """A pod spec's containers: present, named (RFC 1123 label, unique), with an image and ports in range."""
    spec = spec if isinstance(spec, dict) else {}
    containers = spec.get("containers")
    if not isinstance(containers, list) or not containers:
        return [(f"{where}.containers", None, "Required value")]
    seen: set[str] = set()
    errors: list[tuple[str, Any, str]] = []
    for field in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(field) or []):
            errors += _container_errors(f"{where}.{field}[{i}]", c, seen)
    return errors


def _workload_errors(
    resource: str, spec: dict[str, Any], old_spec: dict[str, Any] | None
) -> list[tuple[str, Any, str]]:
    errors = pod_spec_problems((spec.get("template") or {}).get("spec"), "spec.template.spec")
    selector = spec.get("selector")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    replicas = spec.get("replicas", 0)
    if isinstance(replicas, int) and replicas < 0:
        errors.append(("spec.replicas", replicas, "Invalid value: must be greater than or equal to 0"))
    if not isinstance(selector, dict):
        return errors + [("spec.selector", None, "Required value")]
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        why = f"Invalid value: empty selector is invalid for {_WORKLOADS[resource]}"
        errors.append(("spec.selector", _json(selector), why))
    elif not match_labels(selector, labels):
        errors.append(("spec.template.metadata.labels", _json(labels),
                       "Invalid value: `selector` does not match template `labels`"))
    if old_spec is not None and old_spec.get("selector") != selector:
        errors.append(("spec.selector", _json(selector), "Invalid value: field is immutable"))
    return errors


def _port_errors(i: int, port: Any) -> list[tuple[str, Any, str]]:
    errors: list[tuple[str, Any, str]] = []
    if not isinstance(port, dict):
        return [(f"spec.ports[{i}]", port, "Invalid value: must be an object")]
    number = port.get("port")
    in_range = "Invalid value: must be between 1 and 65535, inclusive"
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
        errors.append((f"spec.ports[{i}].port", number, in_range))
    target = port.get("targetPort", number)  # the API server defaults targetPort to port
    if isinstance(target, str) and not target.isdigit():
        if not _IANA_SVC_NAME.match(target):
            errors.append((f"spec.ports[{i}].targetPort", target, "Invalid value: must be an IANA_SVC_NAME"))
    elif not isinstance(target, (int, str)) or isinstance(target, bool) or not 1 <= int(target) <= 65535:
        errors.append((f"spec.ports[{i}].targetPort", target, in_range))
    return errors


def _service_errors(spec: dict[str, Any]) -> list[tuple[str, Any, str]]:
    ports = spec.get("ports")
    headless = spec.get("clusterIP") == "None" or spec.get("type") == "ExternalName"
    if not ports:
        return [] if headless else [("spec.ports", None, "Required value")]
    return [e for i, p in enumerate(ports if isinstance(ports, list) else []) for e in _port_errors(i, p)]


def spec_problems(resource: str, obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[tuple[str, Any, str]]:
    """(field path, bad value, why) for each check a client write fails (422); empty when it passes."""
    spec = obj.get("spec") or {}
    if resource in _WORKLOADS:
        return _workload_errors(resource, spec, None if old is None else (old.get("spec") or {}))
    if resource == "services":
        return _service_errors(spec)
    if resource == "jobs.batch":
        return pod_spec_problems((spec.get("template") or {}).get("spec"), "spec.template.spec")
    if resource == "pods":
        return pod_spec_problems(spec, "spec")
    return []
