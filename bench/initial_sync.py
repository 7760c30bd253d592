"""Benchmark: an initial sync with the real ``ox-connector run`` against the emulator.

Times an empty-queue run (the fixed start-up cost of every trigger), then queues 1,000
users in 2 contexts, 50 groups (members in both contexts), the 2 context files and the
``premium`` access profile, runs ``ox-connector run`` once in a child process
and prints wall time, objects per second and the SOAP calls it made (from the emulator's
counters) per operation, per object kind and per user. Then re-queues the same 1,000 user
files unchanged and runs again: its wall time and its write calls (0 expected: an
unchanged user costs reads only).

Figures only, no assertions.

    python bench/initial_sync.py [--users N] [--groups N] [--latency-ms MS]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ox_demo.demo import Layout, connector_command, connector_env, is_read  # noqa: E402
from ox_emulator.process import EmulatorProcess  # noqa: E402

BASE = "dc=example,dc=org"
CONTEXTS = (10, 20)
NAMESPACE = uuid.UUID("1b0c9a8e-5a4f-4f3e-8f59-3c6f1f0a2b71")
FIRST = (
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hannah",
    "Ida",
    "Jonas",
    "Karl",
    "Lena",
    "Mia",
    "Noah",
    "Oskar",
    "Paul",
    "Quentin",
    "Rosa",
    "Sophie",
    "Tim",
    "Ute",
    "Valentin",
    "Wiebke",
    "Xaver",
    "Yvonne",
)
LAST = (
    "Schmidt",
    "Müller",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Schulz",
    "Fischer",
    "Weber",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
)
PREMIUM = (
    "calendar",
    "contacts",
    "delegatetask",
    "editpublicfolders",
    "infostore",
    "readcreatesharedfolders",
    "tasks",
    "webmail",
    "collectemailaddresses",
    "multiplemailaccounts",
    "subscription",
    "ical",
    "vcard",
    "webdav",
    "webdavxml",
    "usm",
)
KINDS = {
    "OXContextService": "context",
    "OXUserService": "user",
    "OXUserCopyService": "user",
    "OXGroupService": "group",
    "OXResourceService": "resource",
}


# -- the queue ----------------------------------------------------------------------------------


def entry(udm_object_type: str, dn: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(NAMESPACE, dn)),
        "udm_object_type": udm_object_type,
        "dn": dn,
        "object": obj,
        "options": [],
    }


def user_name(i: int) -> str:
    return f"user{i:04d}"


def user_entry(i: int) -> dict[str, Any]:
    """User i: alternating contexts; first x last name pairs keep display names unique."""
    first, last = FIRST[i % len(FIRST)], LAST[i // len(FIRST) % len(LAST)]
    name = user_name(i)
    return entry(
        "users/user",
        f"uid={name},cn=users,{BASE}",
        {
            "username": name,
            "firstname": first,
            "lastname": last,
            "oxDisplayName": f"{first} {last} ({name})",
            "mailPrimaryAddress": f"{name}@example.org",
            "mailAlternativeAddress": [],
            "isOxUser": "OK",
            "oxAccess": "premium",
            "oxContext": CONTEXTS[i % len(CONTEXTS)],  # typed as the converter types them
            "organisation": "Example School",
            "phone": [f"+49 421 555 {i:04d}"],
        },
    )


def group_entry(g: int, users: int, groups: int) -> dict[str, Any]:
    # Users 2k and 2k+1 land in the same group: every group has members in both contexts.
    members = [
        f"uid={user_name(i)},cn=users,{BASE}" for i in range(users) if (i // 2) % groups == g
    ]
    name = f"group{g:02d}"
    return entry(
        "groups/group",
        f"cn={name},cn=groups,{BASE}",
        {"name": name, "isOxGroup": "OK", "users": members},
    )


def other_entries() -> list[dict[str, Any]]:
    contexts = [
        entry(
            "oxmail/oxcontext",
            f"cn=context{c},cn=open-xchange,{BASE}",
            {"contextid": c, "name": f"context{c}", "oxQuota": None},
        )
        for c in CONTEXTS
    ]
    profile = entry(
        "oxmail/accessprofile",
        f"cn=premium,cn=accessprofiles,cn=open-xchange,{BASE}",
        {"name": "premium", **{r: "TRUE" for r in PREMIUM}},
    )
    return [*contexts, profile]


def write_queue(queue: Path, entries: list[dict[str, Any]], start: dt.datetime) -> None:
    """File names are the converter's timestamps; one microsecond apart keeps their order."""
    for seq, doc in enumerate(entries):
        stem = (start + dt.timedelta(microseconds=seq)).strftime("%Y-%m-%d-%H-%M-%S-%f")
        (queue / f"{stem}.json").write_text(json.dumps(doc))


# -- running and reporting -------------------------------------------------------------------


class Figures(NamedTuple):
    wall: float  # seconds, the whole child process
    emulator_cpu: float  # seconds of the emulator's CPU during the run
    calls: dict[str, int]  # SOAP calls by service.operation

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if not is_read(op))


def run_connector(emulator: EmulatorProcess, layout: Layout) -> Figures:
    """One ``ox-connector run`` in a child process; stops the benchmark if it fails."""
    emulator.control("stats/reset")
    cpu = emulator.cpu_seconds()
    start = time.perf_counter()
    proc = subprocess.run(
        connector_command(), env=connector_env(emulator, layout), capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stderr[-4000:], file=sys.stderr)
        sys.exit(f"ox-connector run failed with exit code {proc.returncode}")
    left = list(layout.queue.glob("*.json"))
    if left:
        sys.exit(f"ox-connector run left {len(left)} files queued")
    return Figures(wall, emulator.cpu_seconds() - cpu, emulator.control("stats")["calls"])


def print_calls(calls: dict[str, int]) -> None:
    print(f"  {'service.operation':40} {'calls':>7}")
    for op, count in sorted(calls.items()):
        print(f"  {op:40} {count:7d}{'' if is_read(op) else '  (write)'}")
    print(f"  {'total':40} {sum(calls.values()):7d}")


def print_kinds(calls: dict[str, int], objects: dict[str, int]) -> None:
    by_kind: Counter[str] = Counter()
    for op, count in calls.items():
        by_kind[KINDS.get(op.split(".", 1)[0], "other")] += count
    print(f"  {'kind':10} {'objects':>8} {'calls':>7} {'per object':>11}")
    for kind, count in sorted(by_kind.items()):
        n = objects.get(kind, 0)
        per = f"{count / n:11.2f}" if n else f"{'-':>11}"
        print(f"  {kind:10} {n:8d} {count:7d} {per}")


def initial_sync(
    emulator: EmulatorProcess,
    layout: Layout,
    entries: list[dict[str, Any]],
    objects: dict[str, int],
) -> None:
    write_queue(layout.queue, entries, dt.datetime(2026, 11, 27, 9))
    run = run_connector(emulator, layout)
    print(
        f"run 1 (initial sync): wall {run.wall:.2f} s, {len(entries) / run.wall:.0f} "
        f"objects/s, emulator CPU {run.emulator_cpu:.2f} s, "
        f"SOAP calls {run.total} ({run.writes} writes)"
    )
    print_calls(run.calls)
    print()
    print_kinds(run.calls, objects)
    user_calls = sum(n for op, n in run.calls.items() if KINDS.get(op.split(".", 1)[0]) == "user")
    print(f"  calls per user: {user_calls / objects['user']:.2f}")


def unchanged_users(emulator: EmulatorProcess, layout: Layout, users: list[dict[str, Any]]) -> None:
    # Later timestamps, as if the converter had queued every user again (e.g. a resync).
    write_queue(layout.queue, users, dt.datetime(2026, 11, 27, 10))
    run = run_connector(emulator, layout)
    print(
        f"\nrun 2 (the same {len(users)} user files again, unchanged): wall {run.wall:.2f} s, "
        f"{len(users) / run.wall:.0f} users/s, emulator CPU {run.emulator_cpu:.2f} s"
    )
    print(
        f"  SOAP calls {run.total} ({run.total / len(users):.2f} per user), "
        f"write calls {run.writes}"
    )
    print_calls(run.calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay the emulator adds to every SOAP call"
    )
    args = parser.parse_args()

    users = [user_entry(i) for i in range(args.users)]
    groups = [group_entry(g, args.users, args.groups) for g in range(args.groups)]
    entries = [*other_entries(), *users, *groups]
    objects = {"context": len(CONTEXTS), "user": args.users, "group": args.groups}
    extra = ["--latency-ms", str(args.latency_ms)] if args.latency_ms else []
    with (
        tempfile.TemporaryDirectory(prefix="ox-bench-") as tmp,
        EmulatorProcess(secrets.token_urlsafe(12), extra_args=extra) as emulator,
    ):
        layout = Layout(Path(tmp))
        layout.queue.mkdir()
        layout.state.mkdir()
        print(
            f"{args.users} users in contexts {' and '.join(map(str, CONTEXTS))}, "
            f"{args.groups} groups, {len(CONTEXTS)} context files, 1 access profile = "
            f"{len(entries)} queue files; emulator latency {args.latency_ms:g} ms, loopback\n"
        )
        print(
            f"run 0 (empty queue: Python start-up and imports): "
            f"wall {run_connector(emulator, layout).wall:.2f} s\n"
        )
        initial_sync(emulator, layout, entries, objects)
        unchanged_users(emulator, layout, users)


if __name__ == "__main__":
    main()
