"""IPsec keys as the Cilium agent reads them and as its datapath combines them. Sources (cilium/cilium):

- Documentation/security/network/encryption-ipsec.rst: Secret kube-system/cilium-ipsec-keys, one line
  `key-id[+] algorithm(s) PSK key-size`, e.g. `3+ rfc4106(gcm(aes)) <40 hex> 128`; the key id (SPI) is 1..15 and
  "the Cilium agent will default to KEYID of zero if its not specified in the secret".
- Each agent publishes the key index it encrypts with in its CiliumNode, spec.encryption.key ("the index to the
  key to use for encryption or 0 if encryption is disabled", CRD ciliumnodes.cilium.io), and the other nodes
  learn it with the node (ipcache entries carry the remote node's key).
- bpf/lib/encrypt.h get_min_encrypt_key(peer_key): the smaller of the local and the peer key, with the rollover
  15 -> 1 handled; "zero will always be returned if either local or peer have the zero key indicating no
  encryption". A packet with key 0 leaves the node unencrypted.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

__all__ = ["MAX_KEY_INDEX", "aead", "key_id", "min_encrypt_key", "secret_line"]

Obj = dict[str, Any]
MAX_KEY_INDEX = 15


def secret_line(secret: Obj | None) -> str:
    """The first key line of the Secret (stringData as written, data as the API server stores it)."""
    for value in ((secret or {}).get("stringData") or {}).values():
        return str(value).strip()
    for value in ((secret or {}).get("data") or {}).values():
        try:
            return base64.b64decode(str(value)).decode(errors="replace").strip()
        except (binascii.Error, ValueError):
            return ""
    return ""


def key_id(line: str) -> int:
    """The key id of a key line; 0 when it has none (the agent's default) or the line is not a key."""
    head = line.split()[0].rstrip("+") if line.split() else ""
    return int(head) if head.isdigit() and 0 < int(head) <= MAX_KEY_INDEX else 0


def aead(line: str) -> str:
    """The algorithm field of a key line ('' when there is none)."""
    words = line.split()
    return words[1] if len(words) > 1 else ""


def min_encrypt_key(local: int, peer: int) -> int:
    """get_min_encrypt_key: the key both ends have (keys are at most one rotation apart), 0 = no encryption."""
    if 0 in (local, peer):
        return 0
    if peer == MAX_KEY_INDEX:
        return peer if local == 1 else local
    if local == MAX_KEY_INDEX:
        return local if peer == 1 else peer
    return min(local, peer)
