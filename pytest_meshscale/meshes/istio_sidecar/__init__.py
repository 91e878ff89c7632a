"""Istio in sidecar mode: driver, AuthorizationPolicy renderer (selector policies the server's sidecar enforces at L4
and L7), install steps (istio/base + istio/istiod)."""
