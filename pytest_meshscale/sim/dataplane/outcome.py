"""What the data plane decides for one request, and the request itself, as small frozen values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "Outcome",
    "Request",
    "Verdict",
    "allow",
    "deny_l4",
    "deny_l7",
]

class Verdict(StrEnum):
    ALLOW = "ALLOW"
    DENY_L7 = "DENY_L7"  # an HTTP answer (403) from a proxy that saw the request
    DENY_L4 = "DENY_L4"  # the connection failed: see Outcome.how


@dataclass(frozen=True, slots=True)
class Outcome:
    """One request's fate. `how` for DENY_L4: timeout | reset | refused; `by` names the deciding component.

    `status`/`body` are what the client receives when some proxy answers over HTTP (a 403, or a waypoint's
    503 when the hop behind it was reset); they are None/"" when the connection itself failed or when the
    application answers (ALLOW).
    """

    verdict: Verdict
    by: str
    how: str = ""
    status: int | None = None
    body: str = ""
    reason: str = ""
    dst_pod: Any = None  # the pod that would (or did) serve the request, when one was chosen

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW


@dataclass(frozen=True, slots=True)
class Request:
    """A request after name resolution: which pod serves it on which port, and through which Service."""

    src: dict[str, Any] | None  # None = the API server's pod proxy
    dst: dict[str, Any]
    target_port: int  # the port on the pod
    service: dict[str, Any] | None = None
    service_port: int | None = None
    method: str = "GET"
    path: str = "/"
    host: str = ""

    @property
    def port(self) -> int:
        """The port the client addressed (service port through a Service, else the pod port)."""
        return self.service_port if self.service_port is not None else self.target_port


def allow(by: str, dst: Any = None, reason: str = "") -> Outcome:
    return Outcome(Verdict.ALLOW, by, reason=reason, dst_pod=dst)


def deny_l4(by: str, how: str, reason: str, dst: Any = None) -> Outcome:
    return Outcome(Verdict.DENY_L4, by, how=how, reason=reason, dst_pod=dst)


def deny_l7(by: str, body: str, reason: str, dst: Any = None) -> Outcome:
    return Outcome(Verdict.DENY_L7, by, status=403, body=body, reason=reason, dst_pod=dst)
