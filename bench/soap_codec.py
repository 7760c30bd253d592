"""Benchmark: the SOAP client's CPU per call, zeep vs the lean codec, and what a trigger
run costs (``ox-connector run`` in a child process) with each.

Prints
- client CPU per call, per operation, zeep vs lean: the median over every call (and the
  mean), for a full user (``emulator_getdata.full_user``: every string field, dates,
  aliases, a 4 KB photo): OXUserService.getData, change, create, plus getModuleAccess and
  getMultipleData of 20 full users; the two codecs interleaved, round by round;
- the trigger, per codec: CPU (user + sys) and peak RSS of the child (``os.wait4``),
  the median of R runs, for an empty queue and for one changed user (warm WSDL/codec
  cache: the state dir of an earlier run).

Targets (issue 13): lean <= 1 ms client CPU per call; an empty-queue run <= 0.25 s CPU and
<= 35 MiB peak RSS; one changed user <= 0.4 s CPU. Figures, no assertions; on a shared
machine they vary with its load (printed).

    python bench/soap_codec.py [--calls N] [--rounds R] [--runs R] [--before REV]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from children import measure_child  # noqa: E402
from emulator_getdata import full_user  # noqa: E402
from speed import Workload, write_queue  # noqa: E402

from connector.ox import OXConnection  # noqa: E402
from ox_demo.demo import Layout, connector_command, connector_env  # noqa: E402
from ox_emulator.process import EmulatorProcess  # noqa: E402

CODECS = ("zeep", "lean")
MASTER = "oxadminmaster"


def cpu_per_call(call: Callable[[int], Any], calls: int) -> list[float]:
    """CPU milliseconds of each call (``call(i)``)."""
    out = []
    for i in range(calls):
        start = time.process_time_ns()
        call(i)
        out.append((time.process_time_ns() - start) / 1e6)
    return out


def client_figures(url: str, master: str, calls: int, rounds: int) -> None:
    conns = {
        codec: OXConnection(url, {"login": MASTER, "password": master}, codec=codec)
        for codec in CODECS
    }
    lean = conns["lean"]
    contexts = {}
    for n, codec in enumerate(CODECS):  # one context per codec
        cid = 900 + n
        admin = {"login": "oxadmin", "password": f"admin-secret-{cid}"}
        mail = f"oxadmin@context{cid}.example.org"
        lean.call(
            "OXContextService",
            "create",
            ctx={"id": cid, "name": f"bench{cid}", "maxQuota": -1},
            admin_user={"name": "oxadmin", "display_name": f"Admin {cid}",
                        "password": admin["password"], "given_name": "Context",
                        "sur_name": "Admin", "primaryEmail": mail, "email1": mail},
        )  # fmt: skip
        contexts[codec] = ({"id": cid}, admin)
    template = full_user()
    created: dict[str, list[int]] = {codec: [] for codec in CODECS}
    samples: dict[tuple[str, str], list[float]] = {}

    def create(codec: str, r: int) -> Callable[[int], Any]:
        ctx, admin = contexts[codec]

        def call(i: int) -> None:
            name = f"u{r}x{i}"
            user = {
                **template,
                "name": name,
                "display_name": f"User {r} {i}",
                "primaryEmail": f"{name}@example.org",
                "email1": f"{name}@example.org",
                "aliases": [f"{name}@example.org"],
            }
            result = conns[codec].call("OXUserService", "create", auth=admin, ctx=ctx, usrdata=user)
            created[codec].append(int(result["id"]))

        return call

    def by_id(codec: str, operation: str, **extra: Any) -> Callable[[int], Any]:
        ctx, admin = contexts[codec]
        ids = created[codec]

        def call(i: int) -> Any:
            params = {
                key: value(ids[i % len(ids)]) if callable(value) else value
                for key, value in extra.items()
            }
            return conns[codec].call("OXUserService", operation, auth=admin, ctx=ctx, **params)

        return call

    for r in range(rounds):
        for codec in CODECS:
            measured = {
                "create": create(codec, r),
                "getData": by_id(codec, "getData", user=lambda i: {"id": i}),
                "change": by_id(
                    codec,
                    "change",
                    usrdata=lambda i, r=r: {
                        **template,
                        "id": i,
                        "name": None,
                        "display_name": None,
                        "password": None,
                        "primaryEmail": None,
                        "email1": None,
                        "aliases": None,
                        "company": f"Company {r}",
                    },
                ),
                "getModuleAccess": by_id(codec, "getModuleAccess", user=lambda i: {"id": i}),
            }
            for operation, call in measured.items():
                call(calls)  # warm: the codec or client is built before the clock runs
                samples.setdefault((operation, codec), []).extend(cpu_per_call(call, calls))
            ctx, admin = contexts[codec]
            many = [{"id": i} for i in created[codec][:20]]
            samples.setdefault(("getMultipleData x20", codec), []).extend(
                cpu_per_call(
                    lambda i, c=codec, x=ctx, a=admin, m=many: conns[c].call(
                        "OXUserService", "getMultipleData", auth=a, ctx=x, users=m
                    ),
                    max(1, calls // 5),
                )
            )
    print(f"client CPU per call, ms (median of {calls} calls x {rounds} rounds; mean):")
    print(f"  {'operation':22} {'zeep':>14} {'lean':>14} {'ratio':>7}")
    for operation in ("getData", "change", "create", "getModuleAccess", "getMultipleData x20"):
        z, le = samples[(operation, "zeep")], samples[(operation, "lean")]
        zm, lm = statistics.median(z), statistics.median(le)
        print(
            f"  {operation:22} {zm:6.2f} ({statistics.mean(z):5.2f}) "
            f"{lm:6.2f} ({statistics.mean(le):5.2f}) {zm / lm:6.1f}x"
        )


def run_child(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """One ``ox-connector run``: (CPU s, wall s, peak RSS KiB) of the child itself."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "child.log"
        code, wall, cpu, rss = measure_child(command, env, log)
        if code != 0:
            raise SystemExit(f"ox-connector run failed ({code}):\n{log.read_text()}")
    return cpu, wall, rss


BEFORE = """
import sys
# the connector of another revision (argv[1]) instead of the installed (editable) one
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, sys.argv.pop(1))
sys.argv = ["ox-connector", "run"]
from connector.cli import main
main()
"""


def trigger_figures(password: str, runs: int, before: str | None) -> None:
    print(f"\nox-connector run in a child process (median of {runs} runs; CPU = user + sys):")
    print(f"  {'codec':10} {'queue':20} {'CPU s':>7} {'wall s':>7} {'peak RSS MiB':>13}")
    variants = [(codec, connector_command(), codec) for codec in CODECS]
    with tempfile.TemporaryDirectory() as old:
        if before:  # the connector as it was at that revision (zeep, eager imports)
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", before, "connector"],
                check=True,
                capture_output=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
            variants.insert(0, (before[:10], [sys.executable, "-c", BEFORE, old], "zeep"))
        for label, command, codec in variants:
            trigger_variant(password, runs, label, command, codec)


def trigger_variant(password: str, runs: int, label: str, command: list[str], codec: str) -> None:
    with EmulatorProcess(password) as emulator, tempfile.TemporaryDirectory() as tmp:
        layout = Layout(Path(tmp))
        layout.queue.mkdir(parents=True)
        layout.state.mkdir(parents=True)
        env = {**connector_env(emulator, layout), "OX_SOAP_CODEC": codec}
        work = Workload(users=1, contexts=2, groups=1)
        first = [*work.other_entries(), work.user(0)]
        write_queue(layout.queue, first, dt.datetime(2026, 12, 1, 10))
        cold = run_child(command, env)  # contexts, profile, one user; WSDLs, codecs cached
        print(
            f"  {label:10} {'first (cold cache)':20} {cold[0]:7.2f} {cold[1]:7.2f} "
            f"{cold[2] / 1024:13.1f}"
        )
        empty = [run_child(command, env) for _ in range(runs)]
        changed = []
        for r in range(1, runs + 1):  # a new phone number each time: one field differs
            changed_user = work.user(0, phone=f"+49 421 999 {r:04d}")
            write_queue(layout.queue, [changed_user], dt.datetime(2026, 12, 1, 11, r))
            changed.append(run_child(command, env))
        for queue, figures in (("empty", empty), ("one changed user", changed)):
            cpu, wall, rss = (statistics.median(f[i] for f in figures) for i in range(3))
            print(f"  {label:10} {queue:20} {cpu:7.3f} {wall:7.3f} {rss / 1024:13.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also measure the trigger of the connector at this git revision (e.g. main)",
    )
    args = parser.parse_args()
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        f"{os.cpu_count()} CPUs"
    )
    password = secrets.token_urlsafe(12)
    with EmulatorProcess(password) as emulator:
        client_figures(emulator.url, password, args.calls, args.rounds)
    trigger_figures(password, args.runs, args.before)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
