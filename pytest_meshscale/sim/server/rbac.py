"""Authorization at request time (403 Forbidden with the API server's wording), SelfSubjectAccessReview,
and the api-errors fault gate that fails a seeded share of writes."""

from __future__ import annotations

import json
import random
import threading
from typing import Any

from .auth import Authorizer, Identity
from .messages import Request, Response, json_response, parse_body
from .storetypes import ApiError

__all__ = ["FaultGate", "access_review", "authorize", "authorize_path"]


def authorize(auth: Authorizer, who: Identity, verb: str, resource: str, sub: str, ns: str | None, name: str) -> None:
    if auth.allowed(who, verb, resource, sub, ns):
        return
    plural, _, group = resource.partition(".")
    what = f"{plural}/{sub}" if sub else plural
    where = f'in the namespace "{ns}"' if ns else "at the cluster scope"
    message = f'{what if sub else resource} is forbidden: User "{who.user}" cannot {verb} resource "{what}" '
    raise ApiError(
        403, "Forbidden", f'{message}in API group "{group}" {where}', {"name": name, "group": group, "kind": plural}
    )


def authorize_path(auth: Authorizer, who: Identity, verb: str, path: str) -> None:
    """A non-resource URL (/metrics), in kube-apiserver's words: no default role grants it (unlike /version
    and discovery, which system:discovery and system:public-info-viewer give every authenticated user)."""
    if not auth.allowed_path(who, verb, path):
        raise ApiError(403, "Forbidden", f'forbidden: User "{who.user}" cannot {verb} path "{path}"')


def _review_allowed(auth: Authorizer, who: Identity, spec: dict[str, Any]) -> bool:
    """spec.resourceAttributes or spec.nonResourceAttributes {path, verb}: exactly one, as kube-apiserver
    validates it (pkg/apis/authorization/validation; checked against it in tests/conformance/test_rbac.py)."""
    attrs, paths = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if (attrs is None) == (paths is None):
        shown = json.dumps({k.capitalize(): v for k, v in paths.items()}) if isinstance(paths, dict) else "null"
        why = f"Invalid value: {shown}: exactly one of nonResourceAttributes or resourceAttributes must be specified"
        raise ApiError.invalid("SelfSubjectAccessReview", "", [("spec", None, why)])
    if isinstance(paths, dict):
        return auth.allowed_path(who, str(paths.get("verb", "")), str(paths.get("path", "")))
    if not isinstance(attrs, dict):
        raise ApiError(400, "BadRequest", "spec.resourceAttributes: must be an object")
    group, plural = attrs.get("group", ""), attrs.get("resource", "")
    resource = f"{plural}.{group}" if group else plural
    return auth.allowed(who, attrs.get("verb", ""), resource, attrs.get("subresource", ""),
                        attrs.get("namespace") or None)


def access_review(auth: Authorizer, req: Request) -> Response:
    """POST selfsubjectaccessreviews: answer from the caller's own token rules."""
    if req.method != "POST":
        raise ApiError(405, "MethodNotAllowed", "selfsubjectaccessreviews only supports create")
    review = parse_body(req)
    spec = review.get("spec") if isinstance(review, dict) else None
    ok = _review_allowed(auth, req.who, spec if isinstance(spec, dict) else {})
    status = {"allowed": ok, **({} if ok else {"reason": f'no rule of user "{req.who.user}" allows it'})}
    kind = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview"}
    return json_response({**review, **kind, "metadata": {"creationTimestamp": None}, "status": status}, 201)


class FaultGate:
    """api-errors=RATE: that share of writes fails, half 429 (Retry-After: 1) and half 500, seeded."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate, self._rng, self._lock = rate, random.Random(seed), threading.Lock()

    def check(self) -> None:
        if not self.rate:
            return
        with self._lock:
            hit, throttle = self._rng.random() < self.rate, self._rng.random() < 0.5
        if hit and throttle:
            raise ApiError(
                429,
                "TooManyRequests",
                "the server has received too many requests and has asked us to "
                "try again later (simulated fault api-errors)",
                {"retryAfterSeconds": 1},
                retry_after=1,
            )
        if hit:
            raise ApiError(
                500,
                "InternalError",
                "an error on the server has prevented the request from succeeding (simulated fault api-errors)",
            )
