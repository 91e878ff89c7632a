"""Cilium with IPsec: the key Secret first (the agents mount it at start), then the cilium release with the
platform's Cilium values and this mesh's IPsec layer on top (fixtures/meshes/cilium-ipsec/values-ipsec.yaml).

The key is generated when the plan is built, as Cilium's IPsec guide does it (`dd if=/dev/urandom count=20
bs=1 | xxd -p -c 64`: 20 random bytes = a 128-bit AES key + the 32-bit RFC 4106 salt, in hex) and the line
`3+ rfc4106(gcm(aes)) <hex> 128` goes into kube-system/cilium-ipsec-keys. It is never committed, logged or
printed: the Step is marked secret, so the dry run shows that a key is generated, not the key.
"""

from __future__ import annotations

import secrets

from ..base import InstallContext
from ..cilium.install import cilium_release_steps
from ..install.steps import Step, Target
from .facts import AEAD, KEY_SECRET

__all__ = ["CHART_PIN", "KEY_ID", "cilium_ipsec_steps", "key_secret_step"]

NAMESPACE = "kube-system"  # the Secret must be in Cilium's namespace (guide's note)
KEY_ID = 3  # the guide's first key id; a rotation increments it (1..15, then back to 1)
KEY_BYTES = 20  # AES-128 key (16 bytes) + RFC 4106 salt (4 bytes)
ICV_BITS = 128
CHART_PIN = "cilium_ipsec_chart"


def key_line(key_hex: str) -> str:
    return f"{KEY_ID}+ {AEAD} {key_hex} {ICV_BITS}"  # "+": per-tunnel keys (guide; GHSA-pwqm-x5x6-5586)


def key_secret_step(target: Target) -> Step:
    manifest = (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {KEY_SECRET}\n  namespace: {NAMESPACE}\n"
        f"  labels:\n    app.kubernetes.io/managed-by: pytest-meshscale\ntype: Opaque\n"
        f"stringData:\n  keys: \"{key_line(secrets.token_hex(KEY_BYTES))}\"\n"
    )
    return Step(
        name=f"secret-{KEY_SECRET}",
        argv=target.kubectl("apply", "-f", "-"),
        manifest=manifest,
        # an existing key is the cluster's (maybe mid-rotation): never replaced, never deleted by uninstall
        skip_if=target.kubectl("--namespace", NAMESPACE, "get", "secret", KEY_SECRET),
        undo=Step(f"delete-secret-{KEY_SECRET}", target.kubectl("--namespace", NAMESPACE, "delete", "secret",
                                                                KEY_SECRET, "--ignore-not-found")),
        secret=True,
    )


def cilium_ipsec_steps(ctx: InstallContext) -> list[Step]:
    """fips needs no other values: the key is AES-GCM either way; the rest is the nodes' kernel (install
    notes). The platform values are the cilium mesh's own files, so both flavours stay the same install."""
    cilium_values = ctx.values_dir.parent / "cilium" / f"values-{ctx.platform}.yaml"
    values = (cilium_values, ctx.values_dir / "values-ipsec.yaml")
    return [key_secret_step(ctx.target), *cilium_release_steps(ctx, values, CHART_PIN)]
