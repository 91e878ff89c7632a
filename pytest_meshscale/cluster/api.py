"""Every request of the run goes through `Api.call`: rate limit, counters, retries, one-line errors.

The wire itself is a `Transport` (kube.py wraps the official client's ApiClient), so this module and
the verbs built on it stay free of the `kubernetes` import and can be tested with a function-based fake.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from .base import ClusterError
from .errors import Target, failure_line, status_object
from .ratelimit import RateLimit, TokenBucket
from .retry import TRANSIENT_STATUSES, RetryPolicy, TransientError, call_with_retry, retry_after_seconds
from .stats import ApiStats

__all__ = ["Api", "Reply", "Response", "Transport"]

Query = Mapping[str, str | int | bool | None]


class Reply(Protocol):
    """An HTTP response whose body has not been read yet (so watches can stream it)."""

    status: int
    headers: Mapping[str, str]

    def read(self) -> bytes: ...  # the whole body; TransientError if the connection breaks

    def chunks(self) -> Iterator[bytes]: ...  # the body as it arrives; TransientError as read()

    def close(self) -> None: ...


class Transport(Protocol):
    def send(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str], timeout: float
    ) -> Reply: ...  # TransientError when no response came back (refused, reset, timed out)

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _url(path: str, query: Query | None) -> str:
    pairs = {
        k: ("true" if v is True else "false" if v is False else v)
        for k, v in (query or {}).items()
        if v is not None
    }
    return f"{path}?{urlencode(pairs)}" if pairs else path


class Api:
    def __init__(
        self,
        transport: Transport,
        rate: RateLimit,
        policy: RetryPolicy | None = None,
        stats: ApiStats | None = None,
    ) -> None:
        self.transport = transport
        self.policy = policy or RetryPolicy()
        self.stats = stats or ApiStats()
        self.bucket = TokenBucket(rate)

    def _send(
        self, target: Target, method: str, url: str, body: bytes | None, ctype: str, timeout: float
    ) -> Reply:
        self.stats.throttled(self.bucket.acquire())
        self.stats.sent(target.verb)
        headers = {"Accept": "application/json", **({"Content-Type": ctype} if body is not None else {})}
        try:
            return self.transport.send(method, url, body, headers, timeout)
        except TransientError as exc:
            raise TransientError(f"{target}: {exc}", exc.retry_after, exc.reason) from None

    def _check(
        self, target: Target, reply: Reply, data: bytes, accept: tuple[int, ...], passthrough: bool
    ) -> None:
        """Return quietly for a usable reply; raise TransientError to retry or ClusterError to stop."""
        ok = 200 <= reply.status < 300 or reply.status in accept
        if ok or (passthrough and status_object(data) is None):
            return
        line = failure_line(target, reply.status, data)
        if reply.status in TRANSIENT_STATUSES:
            raise TransientError(
                line, retry_after_seconds(reply.headers.get("Retry-After")), str(reply.status)
            )
        raise ClusterError(line)

    def call(
        self,
        target: Target,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: Any = None,
        content_type: str = "application/json",
        accept: tuple[int, ...] = (),
        passthrough: bool = False,
        idempotent: bool = True,
        timeout: float = 60.0,
    ) -> Response:
        """One API call, retried while transient. `accept`: non-2xx statuses the caller handles (404, 409);
        `passthrough`: return any reply that is not the API server's own Status (the pod proxy's replies);
        not `idempotent` (a POST through the pod proxy): retried only after a 429, which was never forwarded.
        """
        raw = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        url = _url(path, query)

        def once() -> Response:
            reply = self._send(target, method, url, raw, content_type, timeout)
            try:
                data = reply.read()
            finally:
                reply.close()
            self._check(target, reply, data, accept, passthrough)
            return Response(reply.status, reply.headers, data)

        def once_at_most() -> Response:
            try:
                return once()
            except TransientError as exc:
                if exc.reason == "429":
                    raise
                raise ClusterError(
                    f"{exc} (not retried: the request may already have reached the pod)"
                ) from None

        attempt = once if idempotent else once_at_most
        return call_with_retry(attempt, self.policy, on_retry=lambda e: self.stats.retried(e.reason))

    def open_stream(self, target: Target, path: str, query: Query, timeout: float) -> Reply:
        """Open a streaming GET (a watch): retried until the server answers 200 (or 410 Gone, which the
        watcher handles by listing again), then handed over unread."""

        def once() -> Reply:
            reply = self._send(target, "GET", _url(path, query), None, "", timeout)
            if reply.status in (200, 410):
                return reply
            try:
                data = reply.read()
            finally:
                reply.close()
            self._check(target, reply, data, (), False)
            raise ClusterError(failure_line(target, reply.status, data))  # a non-200 2xx cannot carry a watch

        return call_with_retry(once, self.policy, on_retry=lambda e: self.stats.retried(e.reason))

    def get_json(self, target: Target, path: str, query: Query | None = None) -> Any | None:
        """GET a document; None when the server says 404."""
        resp = self.call(target, "GET", path, query=query, accept=(404,))
        return None if resp.status == 404 else resp.json()
