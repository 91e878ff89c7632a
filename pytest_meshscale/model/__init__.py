"""The pure model: profiles, policy intent and verdicts, fortio statistics, scores and thresholds.

Stdlib only: no pytest, no kubernetes, no I/O, so every layer above can use it and it stays easy to test.
"""

from .errors import ModelError, ProfileError
from .profiles import Churn, Creation, Load, NodePool, Profile, Taint, Thresholds, Workload, parse_profile

__all__ = [
    "Churn",
    "Creation",
    "Load",
    "ModelError",
    "NodePool",
    "Profile",
    "ProfileError",
    "Taint",
    "Thresholds",
    "Workload",
    "parse_profile",
]
