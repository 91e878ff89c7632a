"""The wire-capture Job image (`nicolaka/netshoot` running tcpdump).

Contract: the container's command/args hold a tcpdump command line, optionally after `timeout SECONDS`
and inside `sh -c "..."`, e.g. `timeout 10 tcpdump -n -i any -c 5 'src host A and dst host B and tcp
port 8080'`. Filter primitives joined by `and`: `[src|dst] host IP`, `[tcp|udp] [src|dst] port N`,
`tcp`, `udp`, `esp`, and a test of a TCP payload's first bytes, `tcp[((tcp[12:1] & 0xf0) >> 2):N] = 0xHEX`
(or `!=`). The capture window starts when the Job pod runs and lasts the `timeout` (10 s without one); it
sees the packets of requests that crossed the simulated data plane in that window, as the wire carries them
(data plane `wire()`: plaintext on the app port, HBONE on 15008 between pod IPs, a sidecar's mTLS on the app
port, WireGuard UDP 51871 or ESP between node IPs), 10 packets per request. A TCP payload begins `GET `
toward the server and `HTTP` back when plaintext, and with a TLS application_data record header (17 03 03)
when the wire's view is TLS. The log is tcpdump's: the two banner lines, one line per packet, then
`N packets captured`, `N packets received by filter`, `0 packets dropped by kernel`. Exit code 0 (1 with
`tcpdump: syntax error` for an unknown filter). The capture is not limited to the Job's node (a
simplification).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from ..runtime import JobOutcome
from .base import ImageHandler
from .commandline import tokens
from .traffic import PACKETS_PER_REQUEST

__all__ = ["Capture", "parse_tcpdump"]

Obj = dict[str, Any]
Packet = tuple[str, str, int, str, int, bytes]  # proto, src addr, src port, dst addr, dst port, payload head
# tcp[((tcp[12:1] & 0xf0) >> 2):N] = 0xHEX: the N first payload bytes (pcap-filter byte offsets into the TCP
# segment: the header length is the high nibble of byte 12, in 32-bit words)
PAYLOAD = re.compile(r"^tcp\[\(\(tcp\[12:1\] & 0xf0\) >> 2\):(\d)\] (=|!=) 0x([0-9a-fA-F]+)$")
TLS_RECORD = bytes.fromhex("170303")  # application_data, legacy version 1.2 (RFC 8446 section 5.1)
VALUE_OPTS = {"-i", "-c", "-w", "-s", "-W", "-G", "-C", "-r", "-B", "-Q"}
BANNER = (
    "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n"
    "listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes\n"
)


def _payload(match: re.Match[str]) -> Callable[[Packet], bool]:
    size, op, value = int(match.group(1)), match.group(2), bytes.fromhex(match.group(3).zfill(2 * int(match.group(1))))
    return lambda p: p[0] == "tcp" and len(p[5]) >= size and (p[5][:size] == value) == (op == "=")


def _primitive(words: list[str]) -> Callable[[Packet], bool]:
    payload = PAYLOAD.match(" ".join(words))
    if payload:
        return _payload(payload)
    proto = words.pop(0) if words[0] in ("tcp", "udp", "esp") else ""
    direction = words.pop(0) if words and words[0] in ("src", "dst") else ""
    if not words:
        if direction or not proto:
            raise ValueError("incomplete primitive")
        return lambda p: p[0] == proto
    kind, value = words[0], words[1] if len(words) > 1 else ""
    if len(words) != 2 or kind not in ("host", "port"):
        raise ValueError(" ".join(words))
    idx = {"host": (1, 3), "port": (2, 4)}[kind]
    want: str | int = int(value) if kind == "port" else value
    sides = {"src": idx[:1], "dst": idx[1:], "": idx}[direction]
    return lambda p: (not proto or p[0] == proto) and any(p[i] == want for i in sides)


def parse_tcpdump(words: list[str]) -> tuple[float, int, Callable[[Packet], bool]]:
    """(window seconds, -c limit or 0, packet filter) from a command line."""
    window = 10.0
    if words[:1] == ["timeout"] and len(words) > 1:
        window, words = float(words[1].rstrip("s")), words[2:]
    words = words[words.index("tcpdump") + 1 :] if "tcpdump" in words else words
    limit, rest, i = 0, [], 0
    while i < len(words):
        w = words[i]
        if w in VALUE_OPTS:
            limit = int(words[i + 1]) if w == "-c" else limit
            i += 2
            continue
        if not w.startswith("-"):
            rest.append(w)
        i += 1
    groups = " ".join(rest).split(" and ") if rest else []
    preds = [_primitive(g.split()) for g in groups]
    return window, limit, lambda p: all(f(p) for f in preds)


class Capture(ImageHandler):
    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self._started: dict[str, float] = {}

    def run_job(self, pod: Obj) -> JobOutcome:
        uid = str(pod["metadata"].get("uid") or pod["metadata"].get("name"))
        self._started.setdefault(uid, time.time())
        try:
            window, _, _ = parse_tcpdump(tokens(pod))
        except (ValueError, IndexError):
            return JobOutcome(1, self.logs(pod))
        return JobOutcome(0, self.logs(pod), duration_s=window)

    def logs(self, pod: Obj) -> str:
        try:
            window, limit, keep = parse_tcpdump(tokens(pod))
        except (ValueError, IndexError) as exc:
            return f"tcpdump: syntax error in filter expression: {exc}\n"
        uid = str(pod["metadata"].get("uid") or pod["metadata"].get("name"))
        t0 = self._started.setdefault(uid, time.time())
        lines = [line for pkt, line in self._packets(t0, min(time.time(), t0 + window)) if keep(pkt)]
        if limit:
            lines = lines[:limit]
        n = len(lines)
        tail = f"{n} packets captured\n{n} packets received by filter\n0 packets dropped by kernel\n"
        return BANNER + "".join(lines) + tail

    def _packets(self, t0: float, t1: float) -> list[tuple[Packet, str]]:
        out: list[tuple[Packet, str]] = []
        for t, requests in self.env.traffic.between(t0, t1):
            src = self.env.store.try_get("pods", *t.src)
            dst = self.env.store.try_get("pods", *t.dst)
            if src is None or dst is None:
                continue
            view = self.env.dataplane.wire(src, dst, t.port)
            proto = {"udp": "udp", "esp": "esp"}.get(view.transport, "tcp")
            sport = view.port if proto == "udp" else 43210
            plain, tls = view.protocol == "plaintext", bool(view.tls_version)
            fwd: Packet = (proto, view.src_addr, sport, view.dst_addr, view.port,
                           b"GET " if plain else TLS_RECORD if tls else b"")
            back: Packet = (proto, view.dst_addr, view.port, view.src_addr, sport,
                            b"HTTP" if plain else TLS_RECORD if tls else b"")
            for k in range(max(1, round(requests * PACKETS_PER_REQUEST))):
                pkt = fwd if k % 2 == 0 else back
                out.append((pkt, _line(t.start, pkt, view.protocol)))
        return out


def _line(ts: float, p: Packet, protocol: str) -> str:
    stamp = time.strftime("%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1e6):06d}"
    proto, sa, sp, da, dp, _ = p
    if proto == "udp":
        return f"{stamp} eth0 Out IP {sa}.{sp} > {da}.{dp}: UDP, length 1452\n"
    if proto == "esp":
        return f"{stamp} eth0 Out IP {sa} > {da}: ESP(spi=0x00000003,seq=0x1), length 1452\n"
    http = ": HTTP: GET / HTTP/1.1" if protocol == "plaintext" and sp == 43210 else ""
    return f"{stamp} eth0 Out IP {sa}.{sp} > {da}.{dp}: Flags [P.], seq 1:1449, ack 1, win 502, length 1448{http}\n"
