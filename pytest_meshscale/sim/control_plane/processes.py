"""The control plane's child processes: started, health-checked, stopped in reverse order.

Every child runs in its own process group (a Ctrl-C at the terminal reaches `meshscale control-plane up`
only, which then stops the children in order) and carries PR_SET_PDEATHSIG=SIGKILL, set by a two-line
exec wrapper: if `up` itself is SIGKILLed, the kernel kills its children, so no etcd or apiserver is
ever orphaned. (The wrapper, not `preexec_fn`, which is unsafe once threads run; the children are started
from the main thread, which lives as long as `up`: the death signal follows the thread that forked.)
"""

from __future__ import annotations

import http.client
import os
import random
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..child import terminate

__all__ = ["Child", "ComponentError", "Supervisor", "free_port", "free_ports", "http_ok"]

# prctl(PR_SET_PDEATHSIG=1, SIGKILL=9); then exit if the parent is already gone (the race before prctl).
_WRAPPER = ("import ctypes,os,sys\n"
            "ctypes.CDLL(None, use_errno=True).prctl(1, 9)\n"
            "os.getppid() == int(sys.argv[1]) or sys.exit(1)\n"
            "os.execv(sys.argv[2], sys.argv[2:])\n")
STOP_TIMEOUT_S = 10.0


class ComponentError(RuntimeError):
    """A component exited or never became healthy: one line with the tail of its log."""


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
BELOW_EPHEMERAL = 10_000  # how many ports under the ephemeral range to choose from


def _ephemeral() -> tuple[int, int]:
    try:
        low, high = (int(x) for x in EPHEMERAL_RANGE.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default
    return low, high


def _bound_port(rng: random.Random | None = None) -> socket.socket:
    """A loopback socket bound to a free port chosen OUTSIDE the kernel's ephemeral range: a port the kernel hands
    out for `bind(0)` is also what it gives any outgoing connection, so between our check and the child's bind
    another process's connection could take it ("bind: address already in use", seen under `pytest -n 2` with two
    control planes starting). Ports below that range are never given out unasked; two runs picking the same one at
    once is a 1-in-10,000 chance per port, and the bind still checks it."""
    rng = rng or random.SystemRandom()
    low, high = _ephemeral()
    pool = range(max(1024, low - BELOW_EPHEMERAL), low) if low > 2048 else range(high + 1, 65536)
    for _ in range(100):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", rng.choice(pool)))
        except OSError:
            s.close()
            continue
        return s
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # that whole range busy: the kernel's choice
    s.bind(("127.0.0.1", 0))
    return s


def free_port(rng: random.Random | None = None) -> int:
    """A free loopback port for a child to bind a moment later (see _bound_port)."""
    with _bound_port(rng) as s:
        return int(s.getsockname()[1])


def free_ports(n: int, rng: random.Random | None = None) -> list[int]:
    """n different free ports for one control plane's children. Each stays bound until all are chosen: six
    independent choices from 10,000 ports repeat one in about 670 starts, and a repeat is two components on one
    port (CI: etcd "bind: address already in use" at start-up)."""
    held: list[socket.socket] = []
    try:
        while len(held) < n:
            held.append(_bound_port(rng))
        return [int(s.getsockname()[1]) for s in held]
    finally:
        for s in held:
            s.close()


def http_ok(url: str, context: ssl.SSLContext | None = None, timeout: float = 2.0) -> bool:
    """True when GET url answers 200 (TLS without verification unless a context is given)."""
    scheme, rest = url.split("://", 1)
    hostport, _, path = rest.partition("/")
    if scheme == "https":
        ctx = context or ssl._create_unverified_context()  # a component's self-signed health port
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(hostport, timeout=timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(hostport, timeout=timeout)
    try:
        conn.request("GET", "/" + path)
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.monotonic)

    def tail(self) -> str:
        try:
            lines = [ln.strip() for ln in self.log.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            lines = []
        return lines[-1][:400] if lines else "(no output)"

    def failed(self, what: str) -> ComponentError:
        code = self.proc.poll()
        state = f"exited (code {code})" if code is not None else what
        return ComponentError(f"{self.name} {state}: {self.tail()}")


class Supervisor:
    """Starts children with their logs in `log_dir`; `stop_all()` ends them, last started first."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[Child] = []
        log_dir.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, argv: list[str]) -> Child:
        log = self.log_dir / f"{name}.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, str(os.getpid()), *argv],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    process_group=0)
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def wait_healthy(self, child: Child, check: Callable[[], bool], timeout: float,
                     progress: Callable[[str], None], interval: float = 0.1) -> float:
        """Poll `check` until true; ComponentError if the child exits or the timeout passes. Returns seconds."""
        deadline, said = time.monotonic() + timeout, time.monotonic()
        while True:
            if child.proc.poll() is not None:
                raise child.failed("exited")
            if check():
                return time.monotonic() - child.started
            if time.monotonic() > deadline:
                raise child.failed(f"not healthy after {timeout:g} s")
            if time.monotonic() - said >= 10:
                said = time.monotonic()
                progress(f"waiting for {child.name} ({time.monotonic() - child.started:.0f} s)")
            time.sleep(interval)

    def check_alive(self) -> None:
        for child in self.children:
            if child.proc.poll() is not None:
                raise child.failed("exited")

    def stop_all(self, timeout: float = STOP_TIMEOUT_S) -> None:
        for child in reversed(self.children):
            terminate(child.proc, timeout)
        self.children.clear()
