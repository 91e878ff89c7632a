"""The pure model: profiles, policy intent and verdicts, fortio statistics, scores and thresholds.

Stdlib only: no pytest, no kubernetes, no I/O, so every layer above can use it and it stays easy to test.
"""

from .errors import ModelError, ProfileError
from .fortio import DEFAULT_PERCENTILES, FortioResult, MergedLoad, merge_results, parse_document, parse_result
from .histogram import Bucket, Histogram
from .kernel import NO_BASELINE, NO_PRICE, NodeBalance, cluster_unaccounted, kernel_cores, usd_per_million
from .policy import (
    ANY_NAMESPACE,
    Allow,
    Endpoint,
    Intent,
    L7Rule,
    PathMatch,
    Peer,
    ProxyAccess,
    Request,
    Target,
    Verdict,
    expected_verdict,
    l7_namespaces,
    labels_match,
)
from .policy_errors import PolicyError, Unsupported
from .policy_matrix import CellDiff, Matrix, Observation, ProbeCell, classify_status
from .policy_parse import HTTP_METHODS, PolicyCase, parse_intent, parse_policy_case
from .profiles import Churn, Creation, Load, NodePool, Profile, Taint, Thresholds, Workload, parse_profile
from .score import SCORE_SCHEMA, ComponentUsage, MeshUsage, RunMeta, Score, Unaccounted, score_from
from .thresholds import Violation, check_value, format_violations
from .thresholds import check as check_thresholds

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
    "ANY_NAMESPACE",
    "Allow",
    "CellDiff",
    "Endpoint",
    "HTTP_METHODS",
    "Intent",
    "L7Rule",
    "Matrix",
    "Observation",
    "PathMatch",
    "Peer",
    "PolicyCase",
    "PolicyError",
    "ProbeCell",
    "ProxyAccess",
    "Request",
    "Target",
    "Unsupported",
    "Verdict",
    "classify_status",
    "expected_verdict",
    "l7_namespaces",
    "labels_match",
    "parse_policy_case",
    "parse_intent",
    "DEFAULT_PERCENTILES",
    "FortioResult",
    "MergedLoad",
    "merge_results",
    "parse_document",
    "parse_result",
    "Bucket",
    "Histogram",
    "SCORE_SCHEMA",
    "ComponentUsage",
    "MeshUsage",
    "RunMeta",
    "Score",
    "score_from",
    "Unaccounted",
    "NO_BASELINE",
    "NO_PRICE",
    "NodeBalance",
    "cluster_unaccounted",
    "kernel_cores",
    "usd_per_million",
    "Violation",
    "check_thresholds",
    "check_value",
    "format_violations",
]
