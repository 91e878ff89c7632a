"""Which handler runs which image: keyed by image repository (registry host and tag stripped)."""

from __future__ import annotations

from typing import Any

__all__ = ["containers_images", "repository"]


def repository(image: str) -> str:
    """`docker.io/library/x:1` -> `x`; `gcr.io/istio-testing/isotope:0.0.3` -> the same without the tag."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name[: name.rfind(":")]
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def containers_images(pod: dict[str, Any]) -> list[tuple[str, str]]:
    """(container name, image repository) of each container, in order."""
    spec = pod.get("spec") or {}
    return [(str(c.get("name", "")), repository(str(c.get("image", "")))) for c in spec.get("containers") or []]
