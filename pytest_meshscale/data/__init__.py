"""The package's data: fixtures/ at the top of a checkout, which `pytest_meshscale/data/files` links to so
the wheel ships it as this package's data. Read only through `data_path`, so an installed wheel finds
the same profiles, policies, kind configs, mesh values and sim parameters as a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["data_path"]


def data_path(*parts: str) -> Path:
    """A file or folder of the package data, e.g. data_path("profiles", "smoke.yaml")."""
    # A Path, not a Traversable: kind and helm take file names; wheels install unzipped.
    # `resources.files`, not a bare `files`: importing the subpackage `files` rebinds that name here.
    return Path(str(resources.files("pytest_meshscale.data.files").joinpath(*parts))).resolve()
