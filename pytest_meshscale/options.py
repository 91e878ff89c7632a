"""Command-line options, ini keys and environment variables, resolved option > env > ini > default.

The table below is the single source: pytest's option group, ini keys, env names, the report header and
the validation all come from it, so adding a setting is one row.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .data.profiles import PROFILE_NAMES, load_profile
from .meshes import DRIVERS, MESHES
from .meshes.install.versions import Versions, VersionsError, load_versions
from .model import Profile, ProfileError
from .model.score import BASELINE_MESH
from .provision.settings import CLUSTERS, INSTALL_MODES, TOOLS, Settings
from .report.score_source import ScoreInputError, read_score
from .sim.agent_switch import agent_default
from .sim.faults import FAULTS_ENV, FaultError, parse_faults

__all__ = ["OPTIONS", "Settings", "add_options", "resolve_settings"]

NAMESPACE_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
# --mesh-<x>-version per installable mesh, from its versions.yaml key ("cilium_chart" -> cilium_version).
VERSION_KEYS = {d.chart_key.removesuffix("_chart") + "_version": d.chart_key for d in DRIVERS.values() if d.chart_key}


@dataclass(frozen=True, slots=True)
class Option:
    name: str  # dest; flag is --<name with - >, ini key meshscale_<name>, env MESHSCALE_<NAME>
    flag: str
    default: str
    help: str
    is_bool: bool = False
    repeatable: bool = False

    @property
    def ini(self) -> str:
        return "meshscale_" + self.name

    @property
    def env(self) -> str:
        return FAULTS_ENV if self.name == "sim_fault" else "MESHSCALE_" + self.name.upper()


OPTIONS = (
    Option("mesh", "--mesh", "all", f"meshes to test: {', '.join(MESHES)}, a comma list, or all"),
    Option("scale", "--scale", "smoke", f"scale profile: {', '.join(PROFILE_NAMES)}, or a path to a profile YAML"),
    Option("cluster", "--mesh-cluster", "sim", f"where to run: {', '.join(CLUSTERS)}"),
    Option("context", "--mesh-context", "", "kubeconfig context of an existing cluster"),
    Option("kubeconfig", "--mesh-kubeconfig", "", "kubeconfig file of an existing cluster"),
    Option("keep", "--mesh-keep", "false", "keep what the run created (objects, sim, kind cluster)", is_bool=True),
    Option("results_dir", "--mesh-results-dir", "meshscale-results", "where Score JSON and artefacts go"),
    Option("namespace_prefix", "--mesh-namespace-prefix", "", "a fixed prefix for the fleet's namespaces "
           "(PREFIX001...), e.g. for dashboards; default: the profile's prefix plus this run's id"),
    Option("sim_fault", "--mesh-sim-fault", "", "inject a fault into started sims: NAME[=VALUE]", repeatable=True),
    Option("install", "--mesh-install", "", "auto: install the mesh if absent (and uninstall it after), skip: "
           "never install; default auto on kind, skip on existing"),
    Option("kind_bin", "--mesh-kind-bin", "", "the kind binary (default: kind on PATH; never downloaded)"),
    Option("kubectl_bin", "--mesh-kubectl-bin", "", "the kubectl binary (default: kubectl on PATH)"),
    Option("helm_bin", "--mesh-helm-bin", "", "the helm binary for mesh installs (default: helm on PATH)"),
    *(Option(opt, "--mesh-" + opt.replace("_", "-"), "", f"{key.removesuffix('_chart')} chart version to install "
             f"(default: {key} in fixtures/meshes/versions.yaml)") for opt, key in VERSION_KEYS.items()),
    Option("k8s_bin_dir", "--mesh-k8s-bin-dir", "", "--mesh-cluster=kwok: folder with kube-apiserver, "
           "kube-controller-manager, kube-scheduler, etcd and kwok (default: build them from the pinned Go modules)"),
    Option("crds", "--mesh-crds", "", "--mesh-cluster=kwok: folder of the meshes' upstream CRD YAML "
           "(default: ../shared/upstream/crds next to the checkout)"),
    Option("baseline_score", "--mesh-baseline-score", "", "a baseline mesh's Score JSON from another run: the "
           "kernel cores of this run's meshes are attributed against it (default: the same run's baseline, if any)"),
    Option("dry_run", "--mesh-dry-run", "false", "print every step for the chosen cluster and meshes "
           "(commands, manifests), run nothing, exit 0", is_bool=True),
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("meshscale", "service mesh comparison at scale (pytest-meshscale)")
    for opt in OPTIONS:
        help_ = f"{opt.help} (env {opt.env}, ini {opt.ini}; default {opt.default or 'none'})"
        kwargs: dict[str, object] = {"default": None, "dest": f"meshscale_{opt.name}", "help": help_}
        if opt.is_bool:
            kwargs["action"] = "store_true"
        else:
            kwargs["action"] = "append" if opt.repeatable else "store"
            kwargs["metavar"] = "NAME[=VALUE]" if opt.repeatable else opt.name.upper()
        group.addoption(opt.flag, **kwargs)
        parser.addini(opt.ini, help=opt.help, default="")


def _raw(config: pytest.Config, opt: Option) -> tuple[str, str]:
    """The value and where it came from, following option > env > ini > default."""
    given = config.getoption(f"meshscale_{opt.name}")
    if given is not None:
        return (",".join(given) if opt.repeatable else ("true" if given is True else str(given))), "option"
    if os.environ.get(opt.env, ""):
        return os.environ[opt.env], "env"
    ini = str(config.getini(opt.ini) or "").strip()
    if ini:
        return ini, "ini"
    return opt.default, "default"


def _usage(flag: str, value: str, accepted: str) -> pytest.UsageError:
    return pytest.UsageError(f"{flag}: bad value {value!r}; accepted: {accepted}")


def _meshes(value: str) -> tuple[str, ...]:
    names = MESHES if value.strip() == "all" else tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [n for n in names if n not in MESHES]
    if bad or not names:
        raise _usage("--mesh", value, f"{', '.join(MESHES)}, a comma list of them, or all")
    return tuple(dict.fromkeys(names))


def _bool(flag: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
        raise _usage(flag, value, "true or false")
    return lowered in ("1", "true", "yes", "on")


def _checked(flag: str, value: str, parse: Callable[[str], object]) -> object:
    try:
        return parse(value)
    except (ProfileError, FaultError, VersionsError) as exc:
        raise pytest.UsageError(f"{flag}: {exc}") from None


def _sim_agent_env() -> None:
    """The sim the run starts reads MESHSCALE_SIM_AGENT; a bad value is this run's usage error, said once here
    rather than as a set-up error of every test."""
    try:
        agent_default()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def resolve_settings(config: pytest.Config) -> Settings:
    raw = {opt.name: _raw(config, opt) for opt in OPTIONS}
    value = {name: v for name, (v, _) in raw.items()}
    meshes = _meshes(value["mesh"])
    if value["cluster"] not in CLUSTERS:
        raise _usage("--mesh-cluster", value["cluster"], ", ".join(CLUSTERS))
    if value["cluster"] == "existing" and len(meshes) > 1:
        one = "exactly one mesh with --mesh-cluster=existing (one cluster runs one mesh)"
        raise _usage("--mesh", value["mesh"], one)
    faults = tuple(f.strip() for f in value["sim_fault"].split(",") if f.strip())
    _checked("--mesh-sim-fault", value["sim_fault"], lambda _: parse_faults(faults, env=False))
    profile = _checked("--scale", value["scale"], load_profile)
    assert isinstance(profile, Profile)
    if value["cluster"] == "sim":
        _sim_agent_env()
    _refuse_unnamed_full(value, profile)
    settings = Settings(
        meshes=meshes,
        scale=profile.name,
        profile=profile,
        cluster=value["cluster"],
        context=value["context"],
        kubeconfig=value["kubeconfig"],
        keep=_bool("--mesh-keep", value["keep"]),
        results_dir=_results_dir(value["results_dir"]),
        faults=faults,
        sources={name: src for name, (_, src) in raw.items()},
        install=_install_mode(value),
        tools={tool: value[f"{tool}_bin"] for tool in TOOLS if value[f"{tool}_bin"]},
        versions=_versions(value),
        dry_run=_bool("--mesh-dry-run", value["dry_run"]),
        namespace_prefix=_namespace_prefix(value["namespace_prefix"].strip()),
        k8s_bin_dir=value["k8s_bin_dir"].strip(),
        crds=value["crds"].strip(),
        baseline_score=_baseline_score(value["baseline_score"].strip()),
    )
    return settings


def _baseline_score(value: str) -> str:
    """Read now, so a wrong file is one line up front rather than a traceback after the load."""
    if not value:
        return ""
    try:
        loaded = read_score(Path(value).expanduser())
    except ScoreInputError as exc:
        raise _usage("--mesh-baseline-score", value, f"a readable Score JSON ({exc})") from None
    if loaded.score.mesh != BASELINE_MESH:
        raise _usage("--mesh-baseline-score", value, f"the Score of the 'baseline' mesh (this one is "
                     f"{loaded.score.mesh!r})")
    return str(loaded.path)


def _namespace_prefix(value: str) -> str:
    if value and not NAMESPACE_PREFIX.match(value):
        raise _usage("--mesh-namespace-prefix", value, "a DNS label prefix: lowercase letters, digits and '-', "
                     "starting with a letter, at most 40 characters")
    return value


def _results_dir(value: str) -> Path:
    """Checked now (creating nothing, for the dry run's sake), so a bad path is one line up front."""
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise _usage("--mesh-results-dir", value, "a folder (this is a file)")
    existing = next(p for p in (path, *path.absolute().parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise _usage("--mesh-results-dir", value, f"a folder this user can create or write to ({existing} is not "
                     "writable)")
    return path


def _install_mode(value: dict[str, str]) -> str:
    mode = value["install"].strip() or ("auto" if value["cluster"] == "kind" else "skip")
    if mode not in INSTALL_MODES:
        raise _usage("--mesh-install", value["install"], ", ".join(INSTALL_MODES))
    return mode


def _versions(value: dict[str, str]) -> Versions:
    overrides = {key: value[opt].strip() for opt, key in VERSION_KEYS.items() if value[opt].strip()}
    flags = ", ".join(f"--mesh-{opt.replace('_', '-')}" for opt in VERSION_KEYS if value[opt].strip())
    versions = _checked(flags or "versions", "", lambda _: load_versions(overrides=overrides))
    assert isinstance(versions, Versions)
    return versions


def _refuse_unnamed_full(value: dict[str, str], profile: Profile) -> None:
    """1,000 nodes and 50,000 pods land wherever the current context points: make the user name it."""
    if profile.name == "full" and value["cluster"] == "existing" and not value["context"].strip():
        raise _usage("--mesh-context", "", "the context named explicitly when --scale=full runs on an existing "
                     "cluster (the current context is never assumed for 50,000 pods)")


def dry_run_requested(config: pytest.Config) -> bool:
    """--mesh-dry-run (or its env/ini twin), unless pytest is only showing help or its version."""
    if config.option.help or config.option.version:
        return False
    opt = next(o for o in OPTIONS if o.name == "dry_run")
    return _bool(opt.flag, _raw(config, opt)[0])


def header_lines(settings: Settings) -> list[str]:
    src = settings.sources
    lines = [
        f"meshscale: meshes {','.join(settings.meshes)} (from {src['mesh']}), "
        f"scale {settings.scale} (from {src['scale']}: {settings.profile.source}), "
        f"cluster {settings.cluster} (from {src['cluster']})",
    ]
    p = settings.profile
    lines.append(
        f"meshscale: profile {p.name}: {p.node_count} nodes, {p.workload.namespaces} namespaces x "
        f"{p.workload.pods_per_service} pods, results in {settings.results_dir} (from {src['results_dir']})"
    )
    if settings.cluster != "sim":
        tools = ", ".join(f"{k}={v}" for k, v in settings.tools.items()) or "kind/kubectl/helm from PATH"
        lines.append(f"meshscale: mesh install {settings.install} (from {src['install']}), tools {tools}")
    if settings.faults:
        lines.append(f"meshscale: sim faults {','.join(settings.faults)} (from {src['sim_fault']})")
    return lines
