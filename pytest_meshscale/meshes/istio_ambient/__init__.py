"""Istio in ambient mode: driver, AuthorizationPolicy/waypoint renderer, install steps, the seed's manifests."""
