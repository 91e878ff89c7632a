"""What Cilium's IPsec promises and how the API shows it, for the drivers (no imports of other drivers, so the
cilium driver can use it too).

Sources (Cilium docs, Documentation/security/network/encryption-ipsec.rst, v1.16-v1.20):
- the key Secret `cilium-ipsec-keys` in Cilium's namespace holds one line `key-id algorithms PSK key-size`,
  e.g. `3+ rfc4106(gcm(aes)) <40 hex> 128`; the `+` selects per-tunnel keys (the global keys are insecure,
  GHSA-pwqm-x5x6-5586, deprecated in v1.16);
- ESP between nodes; same-node traffic is never encrypted; `tcpdump -n -i eth0 esp` shows it.
- Each node's key index is on its CiliumNode: `spec.encryption.key`, "the index to the key to use for encryption
  or 0 if encryption is disabled" (CRD ciliumnodes.cilium.io). The key id is 1..15 and rolls over from 15 to
  1 (key rotation section; bpf/lib/encrypt.h MAX_KEY_INDEX 15).
"""

from __future__ import annotations

from collections.abc import Mapping

from ...cluster.base import Cluster
from ..base import EncryptionFacts

__all__ = ["AEAD", "FIPS_REASON", "KEY_SECRET", "MAX_KEY_INDEX", "ipsec_facts", "key_indices", "key_mismatch"]

KEY_SECRET = "cilium-ipsec-keys"  # Helm encryption.ipsec.secretName default
AEAD = "rfc4106(gcm(aes))"  # AES-GCM (ESP, RFC 4106): the guide's algorithm, and a FIPS-approved one
MAX_KEY_INDEX = 15

# A capability with its conditions, never a validation claim: Cilium has no FIPS build or statement
# (cilium/cilium#23919); the ESP crypto runs in the node kernel's XFRM, which is FIPS-compliant only when
# the kernel's crypto API runs in FIPS mode with a validated module.
FIPS_REASON = (
    f"FIPS-capable, not FIPS-validated: ESP in the nodes' kernel (XFRM) with {AEAD} (AES-GCM, NIST SP 800-38D) "
    f"is FIPS-approved only if (1) the key in kube-system/{KEY_SECRET} uses {AEAD} (meshscale's install "
    "generates one; an existing cluster's key is a Secret and is not read) and (2) every node's kernel runs "
    "its crypto in FIPS mode (/proc/sys/crypto/fips_enabled = 1, a validated kernel crypto module); Cilium's "
    "own binaries are no FIPS build (cilium/cilium#23919)"
)


def ipsec_facts() -> EncryptionFacts:
    """ESP between nodes; the capture names the protocol only, since its outer addresses are the node IPs in
    native routing but the CiliumInternalIPs inside VXLAN in tunnel mode (the guide's Monitoring example:
    ESP 10.244.2.92 > 10.244.1.148 on cilium_vxlan, node IPs in the pod CIDR)."""
    return EncryptionFacts("ipsec", None, "esp", True, FIPS_REASON, between="nodes")


def key_indices(cluster: Cluster) -> dict[str, int]:
    """Node -> the IPsec key index its CiliumNode reports (0: none, or no CiliumNode for that Node)."""
    nodes = sorted(n["metadata"]["name"] for n in cluster.list("v1", "Node"))
    keys = {c["metadata"]["name"]: (c.get("spec") or {}).get("encryption", {}).get("key") or 0
            for c in cluster.list("cilium.io/v2", "CiliumNode")}
    return {name: int(keys.get(name, 0)) for name in nodes}


def key_mismatch(indices: Mapping[str, int]) -> str:
    """Why the nodes' non-zero key indices cannot all talk ("" when they can): one index, or two consecutive
    ones during a rotation (the guide: "during transition the new and old keys will be in use"; keys are no
    more than one ahead, bpf/lib/encrypt.h get_min_encrypt_key)."""
    used = sorted({k for k in indices.values() if k})
    if len(used) <= 1:
        return ""
    if len(used) == 2 and (used[1] - used[0] == 1 or used == [1, MAX_KEY_INDEX]):
        return ""
    by_key = {k: sorted(n for n, v in indices.items() if v == k) for k in used}
    shown = "; ".join(f"key {k}: {', '.join(names[:3])}{' ...' if len(names) > 3 else ''}"
                      for k, names in by_key.items())
    return f"the nodes report {len(used)} IPsec key indices that are not one rotation apart ({shown})"
