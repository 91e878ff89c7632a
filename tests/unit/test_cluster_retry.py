"""Transient failures are retried with backoff inside a budget; other failures read as one line."""

from __future__ import annotations

import json

import pytest

from pytest_meshscale.cluster.base import ClusterError
from pytest_meshscale.cluster.errors import Target, api_message, failure_line, status_object
from pytest_meshscale.cluster.retry import RetryPolicy, TransientError, call_with_retry, retry_after_seconds


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


def _flaky(failures: list[TransientError]) -> object:
    def fn() -> str:
        if failures:
            raise failures.pop(0)
        return "ok"

    return fn


def test_retries_until_success_and_honours_retry_after() -> None:
    clock, retried = Clock(), []
    fn = _flaky([TransientError("busy", retry_after=2.0, reason="429"), TransientError("boom", reason="500")])
    result = call_with_retry(
        fn, RetryPolicy(), on_retry=retried.append, clock=clock, sleep=clock.sleep, jitter=lambda: 1.0
    )  # type: ignore[arg-type]
    assert result == "ok"
    assert [e.reason for e in retried] == ["429", "500"]
    assert clock.sleeps[0] == 2.0  # Retry-After is a floor
    assert clock.sleeps[1] == pytest.approx(0.1)  # base 0.05 doubled for the second attempt


def test_gives_up_after_attempts_with_the_last_error() -> None:
    clock = Clock()
    fn = _flaky([TransientError(f"create Pod ns/p: HTTP 503 try {i}", reason="503") for i in range(10)])
    with pytest.raises(ClusterError, match=r"^create Pod ns/p: HTTP 503 try 2 \(gave up after 3 attempts"):
        call_with_retry(fn, RetryPolicy(attempts=3), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]


def test_gives_up_when_the_budget_would_be_exceeded() -> None:
    clock = Clock()
    fn = _flaky([TransientError("slow down", retry_after=30.0, reason="429") for _ in range(5)])
    with pytest.raises(ClusterError, match="gave up after 2 attempts"):
        call_with_retry(fn, RetryPolicy(budget_s=45), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert clock.sleeps == [30.0]


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(base_s=1, cap_s=4)
    assert [policy.delay(n, None, 1.0) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 4, 4]
    assert policy.delay(1, None, 0.0) == 0.5  # jitter keeps at least half the backoff


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        (None, None),
        ("", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_retry_after_header(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header) == expected


STATUS_422 = json.dumps(
    {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "reason": "Invalid",
        "code": 422,
        "message": 'Deployment.apps "echo" is invalid:\n spec.replicas: Invalid value: -1',
    }
).encode()


def test_failure_line_names_verb_kind_object_status_and_message() -> None:
    line = failure_line(Target("create", "Deployment", "ns-001", "echo"), 422, STATUS_422)
    assert line == (
        "create Deployment ns-001/echo: HTTP 422 Unprocessable Entity: "
        'Deployment.apps "echo" is invalid: spec.replicas: Invalid value: -1'
    )
    assert "\n" not in line


def test_failure_line_for_cluster_scoped_and_non_status_bodies() -> None:
    assert failure_line(Target("get", "Namespace", None, "x"), 502, b"<html>bad gateway</html>") == (
        "get Namespace x: HTTP 502 Bad Gateway: <html>bad gateway</html>"
    )
    assert status_object(b"not json") is None
    assert status_object(b'{"kind": "Pod"}') is None
    assert api_message(b"") == ""
