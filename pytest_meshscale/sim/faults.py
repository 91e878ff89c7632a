"""Faults the simulated cluster can inject, so each suite can be shown to fail against a broken mesh."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FAULTS_ENV", "FAULT_NAMES", "FaultError", "Faults", "parse_faults"]

FAULTS_ENV = "MESHSCALE_SIM_FAULTS"
# name -> (takes a value, what the value is)
FAULT_NAMES: dict[str, str | None] = {
    "l7-bypass": None,  # L7 rules not enforced: requests an L7 rule should 403 are allowed
    "plaintext": None,  # no encryption on the wire between nodes
    "wg-peer-missing": None,  # one node has no WireGuard peer/key: traffic to it goes in plaintext
    "ipsec-key-missing": None,  # one node loaded no IPsec key (its key index is 0): traffic to it goes in plaintext
    "identity-missing": None,  # one workload's proxies got no mTLS identity certificate: mTLS to them fails
    # one namespace's pods run without the mesh's sidecar proxy (the injector skipped them): no mTLS to or from
    # them, and STRICT mTLS cannot refuse plaintext where no proxy runs
    "sidecar-missing": None,
    "api-errors": "share of writes (0-1) answered 429 with Retry-After or 500",
    "watch-drop": "seconds after which every watch is closed by the server",
    "slow-ready": "extra seconds before a pod becomes Ready",
    "etcd-latency": "seconds etcd's replies to kube-apiserver are held back (kwok only: the sim has no etcd)",
}


class FaultError(ValueError):
    """A --fault value is not accepted; the message lists what is."""


@dataclass(frozen=True, slots=True)
class Faults:
    l7_bypass: bool = False
    plaintext: bool = False
    wg_peer_missing: bool = False
    ipsec_key_missing: bool = False
    identity_missing: bool = False
    sidecar_missing: bool = False
    api_errors: float = 0.0
    watch_drop_s: float = 0.0
    slow_ready_s: float = 0.0
    etcd_latency_s: float = 0.0

    def names(self) -> list[str]:
        """The faults in force, as NAME or NAME=VALUE, for reports and the sim's command line."""
        flags = [("l7-bypass", self.l7_bypass), ("plaintext", self.plaintext)]
        flags += [("wg-peer-missing", self.wg_peer_missing), ("ipsec-key-missing", self.ipsec_key_missing)]
        flags.append(("identity-missing", self.identity_missing))
        flags.append(("sidecar-missing", self.sidecar_missing))
        values = [("api-errors", self.api_errors), ("watch-drop", self.watch_drop_s)]
        values += [("slow-ready", self.slow_ready_s), ("etcd-latency", self.etcd_latency_s)]
        return [n for n, on in flags if on] + [f"{n}={v:g}" for n, v in values if v]


def _value(name: str, raw: str | None) -> float:
    if raw is None:
        raise FaultError(f"fault '{name}' needs a value: {name}=<{FAULT_NAMES[name]}>")
    try:
        value = float(raw)
    except ValueError:
        raise FaultError(f"fault '{name}' takes a number, got {raw!r}") from None
    if value < 0 or (name == "api-errors" and value > 1):
        raise FaultError(f"fault '{name}' must be {FAULT_NAMES[name]}, got {raw!r}")
    return value


def parse_faults(specs: Iterable[str], *, env: bool = True) -> Faults:
    """Parse NAME[=VALUE] specs (plus MESHSCALE_SIM_FAULTS when env is true) into Faults."""
    items = [s.strip() for s in specs if s.strip()]
    if env:
        items += [s.strip() for s in os.environ.get(FAULTS_ENV, "").split(",") if s.strip()]
    fields: dict[str, object] = {}
    for item in items:
        name, _, raw = item.partition("=")
        if name not in FAULT_NAMES:
            raise FaultError(f"unknown fault {name!r}; accepted: {', '.join(FAULT_NAMES)}")
        if FAULT_NAMES[name] is None:
            fields[name.replace("-", "_")] = True
        else:
            key = {"api-errors": "api_errors", "watch-drop": "watch_drop_s", "slow-ready": "slow_ready_s",
                   "etcd-latency": "etcd_latency_s"}[name]
            fields[key] = _value(name, raw or None)
    return Faults(**fields)  # type: ignore[arg-type]
