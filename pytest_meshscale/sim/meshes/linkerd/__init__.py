"""Linkerd 2.20 as the sim models it, from Linkerd's documentation and sources (../domain/linkerd.md)."""

from .mesh import LinkerdSim

__all__ = ["LinkerdSim"]
