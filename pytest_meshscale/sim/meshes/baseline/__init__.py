"""The no-mesh control: a plain CNI enforcing Kubernetes NetworkPolicy, nothing encrypted."""

from .mesh import BaselineSim

__all__ = ["BaselineSim"]
