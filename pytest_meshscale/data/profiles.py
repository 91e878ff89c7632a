"""Finding and reading scale profiles: a name (smoke, pr, full) or a path to a YAML file."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..model import Profile, ProfileError, parse_profile
from . import data_path
from .policies import policy_names, policy_path

__all__ = ["PROFILE_NAMES", "load_profile", "profile_path"]

PROFILE_NAMES = ("smoke", "pr", "full")


def profile_path(scale: str) -> Path:
    if scale in PROFILE_NAMES:
        return data_path("profiles") / f"{scale}.yaml"
    return Path(scale)


def load_profile(scale: str) -> Profile:
    """Load a named profile or a YAML path; every failure is a ProfileError naming the file."""
    path = profile_path(scale)
    if not path.is_file():
        accepted = ", ".join(PROFILE_NAMES)
        raise ProfileError(str(path), "<file>", scale, f"must be one of {accepted} or a path to a profile YAML")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ProfileError(str(path), "<file>", type(exc).__name__, f"must be valid YAML ({exc})") from None
    profile = parse_profile(data, str(path))
    _check_policy(profile, str(path))
    return profile


def _check_policy(profile: Profile, source: str) -> None:
    """workload.policy names a shipped policy file, a path to one, or none: caught here, not mid-run."""
    name = profile.workload.policy
    if name != "none" and not policy_path(name).is_file():
        accepted = ", ".join(("none", *policy_names()))
        raise ProfileError(source, "workload.policy", name, f"must be one of {accepted} or a path to a policy YAML")
