"""No mesh: the control (Kubernetes NetworkPolicy only)."""
