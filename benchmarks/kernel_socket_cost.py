"""Kernel CPU per request on this machine's own Linux: the figures behind the sim's kernel model that a socket
can measure (fixtures/sim/perf.yaml `kernel.tcp_us_per_request`, the meshes' `kernel.ns_per_proxy_hop`).

Run: .venv/bin/python benchmarks/kernel_socket_cost.py [--requests 20000] [--rounds 5]

One process plays a fortio-like client, an isotope-like server (a ~100 B request, the seed's 10 KiB reply) and,
in the second variant, a user-space relay in between (what ztunnel, a waypoint or a sidecar adds to the path:
one more accept/connect, a recv and a send each way). All on loopback. The kernel time of the whole process
(getrusage ru_stime: syscalls and the loopback softirqs run in the sending thread's context) is read around
N sequential keep-alive requests:
  direct   = both ends' kernel work per request  -> per end: direct / 2
  relayed  = the same + one relay hop            -> per hop: relayed - direct
Each is measured twice: with every thread on one CPU (the socket work itself) and with the threads free to run
anywhere, which adds a cross-CPU wake-up per message; in this Firecracker VM those cost tens of us each (an IPI
through the hypervisor), far more than on bare metal, so the one-CPU figures are the ones the model cites.
Loopback has no NIC, veth or encryption, and a VM's kernel may differ from a cluster node's: the figures are this
machine's, printed with its kernel release, and the model's parameters cite them as such.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import socket
import statistics
import threading

REQUEST = b"GET /load HTTP/1.1\r\nHost: server\r\nUser-Agent: fortio.org/fortio-1.66\r\nAccept: */*\r\n\r\n"
REPLY_BODY = 10 * 1024  # the seed's isotope reply (fixtures/sim/perf.yaml bytes_source)
REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % REPLY_BODY + b"x" * REPLY_BODY


def listener() -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    return s


def recv_exact(conn: socket.socket, n: int) -> None:
    while n:
        chunk = conn.recv(min(n, 65536))
        if not chunk:
            raise ConnectionError("peer closed mid-message")
        n -= len(chunk)


def serve(lsock: socket.socket) -> None:
    conn, _ = lsock.accept()
    with conn:
        while True:
            try:
                recv_exact(conn, len(REQUEST))
            except ConnectionError:
                return
            conn.sendall(REPLY)


def pipe(src: socket.socket, dst: socket.socket) -> None:
    """One direction of the relay: whatever arrives goes on, as a byte-stream proxy does."""
    while chunk := src.recv(65536):
        dst.sendall(chunk)
    dst.shutdown(socket.SHUT_WR)


def relay(lsock: socket.socket, upstream: tuple[str, int]) -> None:
    down, _ = lsock.accept()
    up = socket.create_connection(upstream)
    for sock in (down, up):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    back = threading.Thread(target=pipe, args=(up, down), daemon=True)
    back.start()
    pipe(down, up)
    back.join()


def one_round(requests: int, relayed: bool) -> float:
    """Kernel seconds per request for `requests` sequential requests on one keep-alive connection."""
    server = listener()
    threading.Thread(target=serve, args=(server,), daemon=True).start()
    target = server.getsockname()
    if relayed:
        front = listener()
        threading.Thread(target=relay, args=(front, target), daemon=True).start()
        target = front.getsockname()
    client = socket.create_connection(target)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for _ in range(200):  # warm-up: connections set up, buffers grown
        client.sendall(REQUEST)
        recv_exact(client, len(REPLY))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_stime
    for _ in range(requests):
        client.sendall(REQUEST)
        recv_exact(client, len(REPLY))
    spent = resource.getrusage(resource.RUSAGE_SELF).ru_stime - before
    client.close()
    return spent / requests


def measure(requests: int, rounds: int, cpus: set[int], label: str) -> None:
    os.sched_setaffinity(0, cpus)  # the round's threads are started after this and inherit it
    direct, relayed = [], []
    for i in range(rounds):  # interleaved, so a drift in the machine's load hits both variants alike
        direct.append(one_round(requests, relayed=False))
        relayed.append(one_round(requests, relayed=True))
        print(f"  {label}, round {i + 1}: direct {direct[-1] * 1e6:.2f} us, relayed {relayed[-1] * 1e6:.2f} us "
              "kernel CPU per request", flush=True)
    d, r = statistics.median(direct), statistics.median(relayed)
    print(f"{label}: median kernel CPU per request: direct {d * 1e6:.2f} us (both ends) -> per end "
          f"{d / 2 * 1e6:.2f} us; relay hop {(r - d) * 1e6:.2f} us", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=30000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    every = os.sched_getaffinity(0)
    print(f"kernel {platform.release()} on {platform.machine()}, {len(every)} CPUs; {args.rounds} rounds x "
          f"{args.requests:,} requests of {len(REQUEST)} B, replies of {len(REPLY):,} B, loopback", flush=True)
    measure(args.requests, args.rounds, {min(every)}, "one CPU")
    if len(every) > 1:
        measure(args.requests, args.rounds, every, f"{len(every)} CPUs")


if __name__ == "__main__":
    main()
