"""ztunnel's startup log, the one place a real cluster tells which crypto provider ztunnel was built with
(`version.BuildInfo{... CryptoProvider:"tls-boring"}`, ztunnel PR #1545): the FIPS check reads it there."""

from __future__ import annotations

from typing import Any

from ...images.base import ImageHandler
from .tls import crypto_provider

__all__ = ["Ztunnel"]

Obj = dict[str, Any]


class Ztunnel(ImageHandler):
    def logs(self, pod: Obj) -> str:
        container = ((pod.get("spec") or {}).get("containers") or [{}])[0]
        env = {str(e.get("name")): str(e.get("value", "")) for e in container.get("env") or []}
        image = str(container.get("image", ""))
        tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else "unknown"
        provider = crypto_provider(env, image)
        startup = (
            f'version: version.BuildInfo{{Version:"{tag}", GitRevision:"meshscale-sim", RustVersion:"1.85.0", '
            f'BuildProfile:"release", BuildStatus:"Clean", GitTag:"{tag}", IstioVersion:"{tag}", '
            f'CryptoProvider:"{provider}"}}'
        )
        return "\n".join(filter(None, [startup, super().logs(pod)])) + "\n"
