"""Which results are "the same test on another mesh": the key of Allure 3's Environments tab.

Allure 3 groups a test's results across environments by testCaseId, and allure-pytest sets it to
md5(fullName), which ignores parameters. A test parametrized by case (`test_l4_matrix[cilium-l4-port]`,
`[cilium-default-deny]`, ...) therefore has one group per mesh for all its cases, and the
Environments tab of one case linked to an arbitrary other case on the other meshes. `meshscale report`
gives each case its own testCaseId: fullName plus every parameter except the mesh itself and the
excluded (volatile) ones, so a case is compared with the same case on every mesh, and the id stays the
same from run to run (history keeps working).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

__all__ = ["MESH_LABEL", "case_parameters", "comparison_case_id", "mesh_of"]

MESH_LABEL = "mesh"  # the label allure_labels.label_test writes (kept in sync by a unit test)


def mesh_of(result: Mapping[str, Any]) -> str | None:
    return next((lab.get("value") for lab in result.get("labels", []) if lab.get("name") == MESH_LABEL), None)


def case_parameters(result: Mapping[str, Any], mesh: str) -> list[tuple[str, str]]:
    """Parameters that tell cases apart. The mesh is dropped whether it comes as the `mesh` parameter or
    as any other parameter holding the mesh name (e.g. an indirect `mesh_name` fixture; allure-pytest
    stores values as repr())."""
    mesh_values = {mesh, repr(mesh)}
    return sorted(
        (str(p.get("name")), str(p.get("value")))
        for p in result.get("parameters", [])
        if not p.get("excluded") and p.get("name") != MESH_LABEL and p.get("value") not in mesh_values
    )


def comparison_case_id(result: Mapping[str, Any]) -> str | None:
    """The testCaseId to give this result, or None when allure-pytest's own one is already right
    (no mesh label, no fullName, or no parameter besides the mesh)."""
    mesh, full_name = mesh_of(result), result.get("fullName")
    if not mesh or not full_name:
        return None
    params = case_parameters(result, mesh)
    if not params:
        return None
    key = full_name + "[" + ";".join(f"{name}={value}" for name, value in params) + "]"
    return hashlib.md5(key.encode("utf-8"), usedforsecurity=False).hexdigest()
