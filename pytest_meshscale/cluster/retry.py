"""Retrying transient API failures (429 with Retry-After, 5xx, connection resets) with backoff and a budget.

Everything else is not retried: it becomes one ClusterError line at once, because retrying a 422 only
delays the message the user needs.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .base import ClusterError

__all__ = ["TRANSIENT_STATUSES", "RetryPolicy", "TransientError", "call_with_retry", "retry_after_seconds"]

T = TypeVar("T")
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class TransientError(Exception):
    """A failure worth retrying; `retry_after` is the server's hint in seconds, if it gave one."""

    def __init__(self, message: str, retry_after: float | None = None, reason: str = "connection") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.reason = reason  # "429", "503", "connection": what the retry counters are keyed by


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded by attempts and by total time (the budget)."""

    attempts: int = 10
    base_s: float = 0.05
    cap_s: float = 5.0
    budget_s: float = 60.0

    def delay(self, attempt: int, retry_after: float | None, jitter: float) -> float:
        """Seconds to wait before attempt `attempt + 1`; the server's Retry-After is a floor, never cut."""
        backoff = min(self.cap_s, self.base_s * 2.0 ** (attempt - 1)) * (0.5 + jitter / 2)
        return max(backoff, retry_after or 0.0)


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[TransientError], None] = lambda _: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> T:
    """Call fn until it returns, retrying TransientError; ClusterError (the last error) when out of budget."""
    start = clock()
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except TransientError as exc:
            wait = policy.delay(attempt, exc.retry_after, jitter())
            spent = clock() - start
            if attempt == policy.attempts or spent + wait > policy.budget_s:
                raise ClusterError(f"{exc} (gave up after {attempt} attempts in {spent:.1f}s)") from None
            on_retry(exc)
            sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")
