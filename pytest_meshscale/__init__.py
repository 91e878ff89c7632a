"""pytest-meshscale: compare Kubernetes service meshes at scale, as a pytest plugin.

The public API is re-exported here; everything else is an implementation module.
"""

from .model import Profile, ProfileError, parse_profile

__all__ = ["Profile", "ProfileError", "parse_profile"]
__version__ = "0.1.0"
