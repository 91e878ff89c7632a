"""Reporting: Allure identity, labels and attachments, run-level Allure files, charts, the scorecard.

The plugin calls `label_test` in an autouse fixture, the `attach_*` helpers from the scenarios,
`write_run_files` and `attach_run_file` once per run (xdist controller), and `write_scorecard` for the
terminal summary. `meshscale compare` and `meshscale report` live in compare_command / build_command.
"""

from .allure_labels import MESH_LABEL, SUITE_EPICS, ResultIdentity, attach_run_file, label_test
from .attachments import (
    attach_churn_log,
    attach_latency,
    attach_manifests,
    attach_policy_matrix,
    attach_usage,
)
from .html_policy import PolicyCell
from .run_files import MeshFacts, RunFacts, write_run_files
from .score_source import ScoreInputError
from .scorecard_files import ScorecardOutput, scorecard_if_any, write_scorecard
from .simulated import SIMULATED_MARK, mark_title

__all__ = [
    "MESH_LABEL",
    "SIMULATED_MARK",
    "SUITE_EPICS",
    "MeshFacts",
    "PolicyCell",
    "ResultIdentity",
    "RunFacts",
    "ScoreInputError",
    "ScorecardOutput",
    "attach_churn_log",
    "attach_latency",
    "attach_manifests",
    "attach_policy_matrix",
    "attach_run_file",
    "attach_usage",
    "label_test",
    "mark_title",
    "scorecard_if_any",
    "write_run_files",
    "write_scorecard",
]
