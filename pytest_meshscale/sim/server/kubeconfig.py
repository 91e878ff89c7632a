"""The admin kubeconfig a cluster of ours hands out: its URL, its per-run CA and the admin credentials (the sim's
bearer token, or the real control plane's client certificate)."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path

import yaml

__all__ = ["write_kubeconfig"]


def write_kubeconfig(path: Path, url: str, ca_pem: bytes, user: Mapping[str, str], context: str) -> None:
    """Write atomically with mode 0600 (it holds credentials): readers never see a half-written file.
    `user`: the kubeconfig user entry, e.g. {"token": ...} or client-certificate-data/client-key-data."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "current-context": context,
        "clusters": [
            {
                "name": context,
                "cluster": {"server": url, "certificate-authority-data": base64.b64encode(ca_pem).decode()},
            }
        ],
        "users": [{"name": context, "user": dict(user)}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    os.replace(tmp, path)
