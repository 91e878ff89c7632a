"""The data-plane agent: a Mirror of the cluster fed by list + watch through the Kubernetes API, and the
sim's images, mesh models and performance model serving pod traffic against it (see agent.py)."""

from .agent import Agent, AgentError
from .mirror import Mirror

__all__ = ["Agent", "AgentError", "Mirror"]
