"""Cilium with IPsec transparent encryption (encryption.type=ipsec) instead of WireGuard: the cilium driver,
renderer and install reused, with the IPsec key Secret, values, facts and per-node key state here."""
