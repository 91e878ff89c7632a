"""Linkerd 2.20: driver, Server/AuthorizationPolicy/HTTPRoute renderer, install steps with a generated trust anchor,
and the workload identity check."""
