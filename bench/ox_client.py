"""Benchmark: the connector's SOAP layer (connector.ox) against the emulator.

Prints
- client build time per service, cold (WSDL downloaded + parsed) vs warm (from the on-disk
  WSDL cache, parsed only), median of R rounds, each on a fresh OXConnection;
- a fresh process that builds the OXUserService client (what a trigger run pays), cold vs
  warm cache, wall time including Python start and imports;
- client CPU per OXUserService.getData with trust_env off (default) and on.

Figures only, no assertions.

    python bench/ox_client.py [--rounds R] [--calls N]
"""

from __future__ import annotations

import argparse
import functools
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connector.ox import SERVICES, OXConnection  # noqa: E402
from ox_emulator.process import EmulatorProcess  # noqa: E402

CHILD = """
import sys, time
t0 = time.perf_counter()
from connector.ox import OXConnection
t1 = time.perf_counter()
OXConnection(sys.argv[1], wsdl_cache_dir=sys.argv[2]).service("OXUserService")
t2 = time.perf_counter()
print(f"{(t1 - t0) * 1000:.0f} {(t2 - t1) * 1000:.0f}")
"""


def build_ms(url: str, service: str, cache_dir: str | None) -> float:
    conn = OXConnection(url, wsdl_cache_dir=cache_dir)
    start = time.perf_counter()
    conn.service(service)
    return (time.perf_counter() - start) * 1000


def child_run(url: str, cache_dir: str) -> tuple[float, float, float]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, url, cache_dir],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return (time.perf_counter() - start) * 1000, float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    master = secrets.token_urlsafe(12)
    with EmulatorProcess(master) as emulator:
        url = emulator.url
        print(f"emulator {url}, {args.rounds} rounds (median), loopback\n")
        print(f"{'service':28} {'WSDL KiB':>8} {'download':>9} {'cold':>8} {'warm':>8}")
        totals = [0.0, 0.0]
        for service in SERVICES:
            start = time.perf_counter()
            size = len(requests.get(f"{url}/webservices/{service}?wsdl", timeout=10).content)
            download = (time.perf_counter() - start) * 1000
            cold, warm = [], []
            for _ in range(args.rounds):
                with tempfile.TemporaryDirectory() as cache:
                    cold.append(build_ms(url, service, cache))
                    warm.append(build_ms(url, service, cache))
            c, w = statistics.median(cold), statistics.median(warm)
            totals[0] += c
            totals[1] += w
            print(f"{service:28} {size / 1024:8.0f} {download:7.1f}ms {c:6.1f}ms {w:6.1f}ms")
        print(f"{'all six':28} {'':8} {'':9} {totals[0]:6.1f}ms {totals[1]:6.1f}ms")

        print(
            "\nfresh process building the OXUserService client (wall total / imports / build, ms):"
        )
        with tempfile.TemporaryDirectory() as cache:
            runs = [child_run(url, cache)]  # the first one fills the cache
            runs += [child_run(url, cache) for _ in range(args.rounds)]
        warm_runs = runs[1:]
        print(f"  cold cache: {runs[0][0]:6.0f} / {runs[0][1]:4.0f} / {runs[0][2]:4.0f}")
        print(
            "  warm cache: "
            + " / ".join(
                f"{statistics.median(r[i] for r in warm_runs):{w}.0f}"
                for i, w in ((0, 6), (1, 4), (2, 4))
            )
        )

        # per-call client CPU, getData of a context admin
        from tests.oxclient import OX, new_context  # the test-side helper makes a context

        ctx = new_context(OX(url, {"login": "oxadminmaster", "password": master}))
        print(
            f"\nclient CPU per OXUserService.getData ({args.calls} calls, median of "
            f"{args.rounds}); proxy env: "
            f"{ {k: v for k, v in os.environ.items() if 'proxy' in k.lower()} or 'none' }"
        )
        for trust_env in (False, True):
            conn = OXConnection(url, trust_env=trust_env)
            call = functools.partial(
                conn.call,
                "OXUserService",
                "getData",
                auth=ctx.admin,
                ctx=ctx.ref,
                user={"id": 2},
            )
            for _ in range(20):
                call()
            cpu, wall = [], []
            for _ in range(args.rounds):
                c0, w0 = time.process_time(), time.perf_counter()
                for _ in range(args.calls):
                    call()
                cpu.append((time.process_time() - c0) * 1000 / args.calls)
                wall.append((time.perf_counter() - w0) * 1000 / args.calls)
            print(
                f"  trust_env={trust_env!s:5}  client CPU {statistics.median(cpu):5.2f} ms/call"
                f"  (best {min(cpu):5.2f}),  wall {statistics.median(wall):5.2f} ms/call"
            )


if __name__ == "__main__":
    main()
