"""Simulated images: one small handler per image repository, and SimRuntime, the PodRuntime that
dispatches pods to them (see each module's docstring for its exact contract)."""

from .capture import Capture
from .fortio_json import FORTIO_VERSION
from .fortio_server import FortioServer
from .loadservice import LoadService
from .runtime import IMAGES, SimRuntime
from .tlsprobe import TlsProbe

__all__ = ["FORTIO_VERSION", "IMAGES", "Capture", "FortioServer", "LoadService", "SimRuntime", "TlsProbe"]
