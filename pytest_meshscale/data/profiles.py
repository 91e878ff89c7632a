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
    accepted = f"a scale is {', '.join(PROFILE_NAMES)} or the path of a profile YAML file"
    if path.is_dir():
        raise ProfileError.of_file(str(path), scale, f"is a directory, not a profile file ({accepted})")
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ProfileError.of_file(str(path), scale, f"not found ({accepted})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError.of_file(str(path), scale, f"cannot be read ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())  # one line: PyYAML's message spans several
        raise ProfileError.of_file(str(path), type(exc).__name__, f"is not valid YAML ({problem})") from None
    profile = parse_profile(data, str(path))
    _check_policy(profile, str(path))
    return profile


def _check_policy(profile: Profile, source: str) -> None:
    """workload.policy names a shipped policy file, a path to one, or none: caught here, not mid-run."""
    name = profile.workload.policy
    if name != "none" and not policy_path(name).is_file():
        accepted = ", ".join(("none", *policy_names()))
        raise ProfileError(source, "workload.policy", name, f"must be one of {accepted} or a path to a policy YAML")
