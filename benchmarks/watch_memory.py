"""The emulator's memory per open watch (one TLS connection each): asyncio's default TLS read buffer against the
emulator's lean loop (cluster/async_api.py lean_tls_loop), with N watches open on a simulated cluster.

Run: .venv/bin/python benchmarks/watch_memory.py [--watches 1000]

Each variant runs in a fresh child process (so one's memory does not linger in the other's figure), which opens
N watches on namespaces through AsyncKube, waits until every watch has its response headers, and reports its
VmRSS before and after. The sim serves the watches in its own process; only the client side is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pytest_meshscale.cluster.async_api import AsyncKube, lean_tls_loop  # noqa: E402
from pytest_meshscale.sim.process import SimProcess  # noqa: E402


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


async def hold_watches(kubeconfig: str, n: int) -> dict[str, float]:
    kube = AsyncKube(kubeconfig)
    await kube.open()
    opened = asyncio.Semaphore(0)

    async def one() -> None:
        async with kube.session.get(kube.server + "/api/v1/namespaces",
                                    params={"watch": "true", "timeoutSeconds": "600"}) as resp:
            opened.release()
            async for _ in resp.content.iter_any():
                pass

    await asyncio.sleep(0)
    before = rss_kib()
    tasks = [asyncio.ensure_future(one()) for _ in range(n)]
    for _ in range(n):
        await asyncio.wait_for(opened.acquire(), 120)
    after = rss_kib()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await kube.close()
    return {"rss_before_mib": before / 1024, "rss_after_mib": after / 1024,
            "kib_per_watch": (after - before) / n}


def child(variant: str, kubeconfig: str, n: int) -> None:
    loop = lean_tls_loop() if variant == "lean" else asyncio.new_event_loop()
    print(json.dumps(loop.run_until_complete(hold_watches(kubeconfig, n))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--child", choices=("default", "lean"), help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.kubeconfig, args.watches)
    with SimProcess(mesh="baseline", scale="smoke") as sim:
        print(f"{args.watches} watches open at once, one TLS connection each (client side only):")
        for variant in ("default", "lean"):
            done = subprocess.run([sys.executable, __file__, "--child", variant, "--kubeconfig", str(sim.kubeconfig),
                                   "--watches", str(args.watches)], capture_output=True, text=True, check=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"  {variant:<8} RSS {r['rss_before_mib']:.0f} -> {r['rss_after_mib']:.0f} MiB: "
                  f"{r['kib_per_watch']:.0f} KiB per watch")
    return None


if __name__ == "__main__":
    main()
