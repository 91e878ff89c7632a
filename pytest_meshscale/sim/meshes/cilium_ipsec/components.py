"""What `helm install` of Cilium 1.16.4 with the IPsec values leaves behind, plus the key Secret the install
creates first, and what each agent then writes into its CiliumNode.

- cilium-config: the cilium mesh's keys with `enable-wireguard: "false"`, `enable-ipsec: "true"`, the key file
  (`ipsec-key-file: /etc/ipsec/keys`, the chart's encryption.ipsec.mountPath/keyFile), and
  `dnsproxy-enable-transparent-mode: "true"`, which the chart renders outside CNI chaining and which IPsec with the
  L7 proxy requires (the guide's "Dependencies"); `enable-host-legacy-routing: "true"` (bpf.hostLegacyRouting, as
  the guide's Limitations say IPsec does not work with BPF host routing).
- Secret kube-system/cilium-ipsec-keys: `3+ rfc4106(gcm(aes)) <20 bytes hex> 128`, generated from the world's
  seed (never a fixed key: the same seed gives the same world, as every other sim object).
- CiliumNode per node: no WireGuard key (WireGuard is off); spec.encryption.key = the key id the agent loaded;
  the ipsec-key-missing fault leaves the last server node at 0 (an agent that loaded no key).
"""

from __future__ import annotations

import random
from typing import Any

from ....model import Profile
from ...controllers.objects import Obj, meta
from ...store import Store
from ..cilium.components import KS, CiliumNodeController, cilium_config, install_cilium
from .keys import key_id, secret_line

__all__ = ["IPSEC_VERSION", "KEY_SECRET", "IpsecNodeController", "install_cilium_ipsec", "ipsec_config", "key_secret"]

IPSEC_VERSION = "1.16.4"  # the driver's pin (fixtures/meshes/cilium-ipsec/versions.yaml): the #33168 fix
KEY_SECRET = "cilium-ipsec-keys"


def ipsec_config() -> dict[str, str]:
    return {**cilium_config(), "enable-wireguard": "false", "enable-ipsec": "true",
            "ipsec-key-file": "/etc/ipsec/keys", "dnsproxy-enable-transparent-mode": "true",
            "enable-host-legacy-routing": "true"}


def key_secret(seed: int) -> Obj:
    key = random.Random(f"ipsec-{seed}").randbytes(20).hex()
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": KEY_SECRET, "namespace": KS},
            "stringData": {"keys": f"3+ rfc4106(gcm(aes)) {key} 128"}}


def install_cilium_ipsec(store: Store, profile: Profile, seed: int) -> None:
    install_cilium(store, profile, ipsec_config(), IPSEC_VERSION, extra=[key_secret(seed)])


class IpsecNodeController(CiliumNodeController):
    """The agent with IPsec: it publishes no WireGuard key, and its CiliumNode carries the key index it loaded
    from the Secret (read when the CiliumNode is written, as the agent reads its mounted key file)."""

    def __init__(self, store: Store | None, seed: int, keyless: str | None, key: int | None = None) -> None:
        super().__init__(store, seed, keyless)  # type: ignore[arg-type]  # ciliumnode() needs no store with `key`
        self.key = key

    def ciliumnode(self, node: Obj) -> Obj:
        obj: dict[str, Any] = super().ciliumnode(node)
        obj["metadata"]["annotations"] = {}
        key = self.key if self.key is not None else key_id(secret_line(self.store.try_get("secrets", KS, KEY_SECRET)))
        obj["spec"]["encryption"] = {} if meta(node)["name"] == self.keyless or not key else {"key": key}
        return obj
