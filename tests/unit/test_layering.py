"""The package's layering (docs/architecture.md), checked on the source: imports only go downward, the sim
stays independent of the drivers and the cluster layer, nothing below the face imports pytest, module-level
imports have no loops, and nothing outside a mesh's own folders (its driver's, its sim model's) names that
mesh, its kinds or its ports."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

from pytest_meshscale.meshes import DRIVERS
from pytest_meshscale.sim.meshes import SIM_MESHES

PACKAGE = Path(__file__).resolve().parents[2] / "pytest_meshscale"
FACE = {"__init__", "plugin", "plugin_fixtures", "options", "run_state", "xdist_scheduling", "cli", "console",
        "interrupts"}
# layer -> the layers it may import (besides itself)
ALLOWED = {
    "progress": set(),  # a leaf (stdlib only): where progress lines go
    "model": set(),
    "data": {"model"},
    "sim": {"model", "data", "progress"},
    "cluster": {"model", "data", "progress"},
    "meshes": {"model", "data", "cluster", "progress"},
    "provision": {"model", "data", "cluster", "meshes", "sim", "progress"},
    "scenario": {"model", "data", "cluster", "meshes", "progress"},
    "report": {"model", "data", "cluster", "meshes", "scenario", "progress"},
}
# A mesh's own folders: its driver (meshes/<mesh>/, a package with a driver; meshes/install/ is shared) and its
# sim model (sim/meshes/<mesh>/).
MESH_FOLDERS = tuple(sorted({f"meshes/{p.parent.name}/" for p in PACKAGE.glob("meshes/*/driver.py")}
                            | {f"sim/meshes/{p.parent.name}/" for p in PACKAGE.glob("sim/meshes/*/__init__.py")}))
MESH_NAMES = frozenset(DRIVERS) | frozenset(SIM_MESHES)
# Where a mesh's name may stand outside its folders, and why.
NAMES_ALLOWED = {
    "meshes/__init__.py": MESH_NAMES,  # the drivers' registry
    "report/scorecard.py": MESH_NAMES,  # the default ratio (istio-ambient over cilium) and the no-mesh control row
    "report/scorecard_json.py": {"baseline"},  # a field of the scorecard JSON: is this row the no-mesh control
    "model/score.py": {"baseline"},  # the no-mesh control is its own reference for kernel cores (zero)
    "sim/perf/params.py": {"baseline"},  # the direct perf path is named for the no-mesh control (fixtures/sim/)
    "sim/controllers/benchmark.py": {"baseline"},  # the timing script's default mesh
    "sim/process.py": {"baseline"},  # SimProcess's default mesh: nothing installed beyond kube-system
}
MESH_SPECIFIC = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "CiliumNode", "AuthorizationPolicy",
                 "PeerAuthentication", "cilium.io", "istio.io", "hbone", "ztunnel", "15008", "51871")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        if rel.parts[0] == "data" and len(rel.parts) > 1 and rel.parts[1] == "files":
            continue  # the shipped data folder (fixtures/), not code
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _layer(module: str) -> str:
    head = module.split(".")[0] if module else "__init__"
    return "face" if head in FACE else head


def _imports(module: str, path: Path, *, top_level_only: bool = False) -> set[str]:
    """pytest_meshscale modules imported by `module` (relative and absolute; lazy ones too unless top-level)."""
    tree = ast.parse(path.read_text())
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            elif (node.module or "").startswith("pytest_meshscale"):
                target = node.module.removeprefix("pytest_meshscale").lstrip(".")
            else:
                continue
            # `from .. import progress` imports the module progress, not the package
            subs = {f"{target}.{a.name}".strip(".") for a in node.names}
            found = {s for s in subs if s in MODULES}
            out |= found if found else {target}
        elif isinstance(node, ast.Import):
            out |= {a.name.removeprefix("pytest_meshscale").lstrip(".") for a in node.names
                    if a.name.startswith("pytest_meshscale")}
    return out




@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) != "face"))
def test_imports_only_go_downward(module: str) -> None:
    layer = _layer(module)
    wrong = sorted(t for t in _imports(module, MODULES[module])
                   if _layer(t) != layer and _layer(t) not in ALLOWED[layer])
    assert not wrong, f"{module} ({layer}) imports {wrong}; {layer} may import only {sorted(ALLOWED[layer])}"


def test_only_the_face_imports_pytest() -> None:
    offenders = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level}
        if _layer(module) != "face" and any(n == "pytest" or n.startswith("_pytest") for n in names):
            offenders.append(module)
    assert not offenders, f"pytest imported below the face: {offenders}"


def test_module_level_imports_have_no_loops() -> None:
    graph = {m: {t for t in _imports(m, p, top_level_only=True) if t in MODULES} for m, p in MODULES.items()}
    # a package's __init__ importing its own submodules is not a loop of concern; a submodule importing
    # a sibling through the package is resolved as the sibling by Python, so drop package -> child edges.
    graph = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import loop: " + " -> ".join([*trail[trail.index(nxt):], nxt]))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def _code_tokens(path: Path) -> list[str]:
    """String and number literals that are not docstrings, and names; comments and docstrings are prose."""
    tree = ast.parse(path.read_text())
    doc_lines = {line for n in ast.walk(tree)
                 if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef)) and n.body
                 and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)
                 for line in range(n.body[0].lineno, (n.body[0].end_lineno or n.body[0].lineno) + 1)}
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return [t.string for t in tokens if t.type in (tokenize.STRING, tokenize.NUMBER, tokenize.NAME)
            and not (t.type == tokenize.STRING and t.start[0] in doc_lines)]


def _named_meshes(tokens: list[str]) -> set[str]:
    """The mesh names among the string literals (a literal that is exactly a registered mesh's name)."""
    literals = {ast.literal_eval(t) for t in tokens if t[-1:] in "\"'" and not t.lower().startswith(("f", "rf"))}
    return {str(t) for t in literals if t in MESH_NAMES}


def test_no_module_outside_a_mesh_folder_names_a_mesh_specific_kind_port_or_name() -> None:
    offenders = []
    for path in MODULES.values():
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(MESH_FOLDERS) or rel == "sim/meshes/__init__.py":  # the sim's registry
            continue
        tokens = _code_tokens(path)
        hits = {word for tok in tokens for word in MESH_SPECIFIC if word in tok}
        hits |= _named_meshes(tokens) - set(NAMES_ALLOWED.get(rel, ()))
        offenders += [f"{rel}: {', '.join(sorted(hits))}"] if hits else []
    assert not offenders, "mesh-specific names outside meshes/<mesh>/ and sim/meshes/<mesh>/:\n" + "\n".join(offenders)


def test_the_sim_reaches_a_mesh_only_through_its_registry() -> None:
    """Outside sim/meshes/ the sim imports the registry (sim.meshes) or SimMesh (sim.meshes.base), never a mesh's
    folder: a mesh is added by its folder and one registry line, and nothing else may need to know it."""
    offenders = []
    for module, path in MODULES.items():
        if _layer(module) != "sim" or module.startswith("sim.meshes"):
            continue
        wrong = sorted(t for t in _imports(module, path) if t.startswith("sim.meshes.") and t != "sim.meshes.base")
        offenders += [f"{module} imports {', '.join(wrong)}"] if wrong else []
    assert not offenders, "\n".join(offenders)


def test_the_sim_registry_models_every_driver_s_mesh() -> None:
    """A mesh is a driver folder plus a sim folder, each with one registry line (docs/architecture.md)."""
    assert set(SIM_MESHES) == set(DRIVERS)


def test_the_layer_table_covers_every_package() -> None:
    assert {_layer(m) for m in MODULES} - {"face"} == set(ALLOWED)
