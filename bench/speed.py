"""Benchmark (issue 13): the real ``ox-connector run`` against the emulator, at every scale.

One run prints, with the machine's load average at the start and the end:

1. latency   an initial sync (USERS users in CONTEXTS contexts, GROUPS groups, the context
             files and the ``premium`` access profile) with the emulator at --latency-ms
             for reads and --write-latency-ms for writes: default settings against
             ``OX_CONNECTOR_WORKERS=1``; wall time, objects/s, SOAP calls per object and
             the ratio.
2. plain     the same initial sync without latency: default settings against the old path
             (``OX_CONNECTOR_WORKERS=1 OX_SOAP_CODEC=zeep``), with the calls per operation
             and per object kind.
3. replay    after the default initial sync of 1, the same files queued again unchanged:
             calls and writes within the verify window (default settings), then with
             ``OX_CONNECTOR_VERIFY_AFTER=0`` (every object read from OX).
4. startup   after the default initial sync of 2: an empty-queue run (the fixed cost of
             every trigger) and a run with one changed user: the child's CPU (user + sys)
             and peak RSS, default settings and old path.
5. scale     with --scale-users N: an initial sync of N users without latency: the child's
             peak RSS and its objects/s against the rate of 2.

Every figure of a child process (wall, CPU, peak RSS) is its own, from wait4(2); the SOAP
calls are the emulator's counters. Each initial sync starts from an empty emulator and an
empty state directory. Settings the connector does not read yet are passed all the same
(an unknown variable is ignored), so that the figures measure them once they exist; the
header says which of them this connector reads. Figures only, no assertions.

    python bench/speed.py                       # make bench: small, for CI
    python bench/speed.py --users 1000 --groups 50 --latency-ms 10 --write-latency-ms 100 \\
        --scale-users 10000                     # make bench-full: the issue's sizes
    python bench/speed.py --users 80000 --contexts 20 --groups 50 --latency-ms 10 \\
        --write-latency-ms 100 --sections latency --no-sequential [--workers N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from children import measure_child  # noqa: E402

import connector  # noqa: E402
from ox_demo.demo import Layout, connector_command, connector_env  # noqa: E402
from ox_emulator.controls import is_read  # noqa: E402
from ox_emulator.process import EmulatorProcess  # noqa: E402

BASE = "dc=example,dc=org"
NAMESPACE = uuid.UUID("1b0c9a8e-5a4f-4f3e-8f59-3c6f1f0a2b71")
SECTIONS = ("latency", "plain", "replay", "startup", "scale")
# The settings of issue 13, as the runs set them (the default settings set none).
WORKERS, CODEC, VERIFY_AFTER = "OX_CONNECTOR_WORKERS", "OX_SOAP_CODEC", "OX_CONNECTOR_VERIFY_AFTER"
SEQUENTIAL = {WORKERS: "1"}
OLD_PATH = {WORKERS: "1", CODEC: "zeep"}
VERIFY_ALWAYS = {VERIFY_AFTER: "0"}
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


def user_dn(i: int) -> str:
    return f"uid={user_name(i)},cn=users,{BASE}"


@dataclass(frozen=True)
class Workload:
    """USERS users spread over CONTEXTS contexts (10, 20, ...), GROUPS groups whose members
    are in every context, the context files and one access profile."""

    users: int
    contexts: int
    groups: int

    @property
    def context_ids(self) -> list[int]:
        return [10 * (c + 1) for c in range(self.contexts)]

    @property
    def objects(self) -> dict[str, int]:
        return {"context": self.contexts, "user": self.users, "group": self.groups}

    @property
    def files(self) -> int:
        return self.contexts + 1 + self.users + self.groups

    def user(self, i: int, phone: str | None = None) -> dict[str, Any]:
        """User i: contexts in turn; first x last name pairs keep display names unique."""
        first, last = FIRST[i % len(FIRST)], LAST[i // len(FIRST) % len(LAST)]
        name = user_name(i)
        return entry(
            "users/user",
            user_dn(i),
            {
                "username": name,
                "firstname": first,
                "lastname": last,
                "oxDisplayName": f"{first} {last} ({name})",
                "mailPrimaryAddress": f"{name}@example.org",
                "mailAlternativeAddress": [],
                "isOxUser": "OK",
                "oxAccess": "premium",
                "oxContext": self.context_ids[i % self.contexts],  # typed as the converter
                "organisation": "Example School",
                "phone": [phone or f"+49 421 555 {i:04d}"],
            },
        )

    def group_entries(self) -> list[dict[str, Any]]:
        # Users 2k and 2k+1 land in the same group: with 2 contexts every group has members
        # in both.
        members: list[list[str]] = [[] for _ in range(self.groups)]
        for i in range(self.users):
            members[(i // 2) % self.groups].append(user_dn(i))
        return [
            entry(
                "groups/group",
                f"cn=group{g:02d},cn=groups,{BASE}",
                {"name": f"group{g:02d}", "isOxGroup": "OK", "users": members[g]},
            )
            for g in range(self.groups)
        ]

    def other_entries(self) -> list[dict[str, Any]]:
        contexts = [
            entry(
                "oxmail/oxcontext",
                f"cn=context{c},cn=open-xchange,{BASE}",
                {"contextid": c, "name": f"context{c}", "oxQuota": None},
            )
            for c in self.context_ids
        ]
        profile = entry(
            "oxmail/accessprofile",
            f"cn=premium,cn=accessprofiles,cn=open-xchange,{BASE}",
            {"name": "premium", **{r: "TRUE" for r in PREMIUM}},
        )
        return [*contexts, profile]

    def entries(self) -> list[dict[str, Any]]:
        users = [self.user(i) for i in range(self.users)]
        return [*self.other_entries(), *users, *self.group_entries()]


def write_queue(queue: Path, entries: list[dict[str, Any]], start: dt.datetime) -> None:
    """File names are the converter's timestamps; one microsecond apart keeps their order."""
    for seq, doc in enumerate(entries):
        stem = (start + dt.timedelta(microseconds=seq)).strftime("%Y-%m-%d-%H-%M-%S-%f")
        (queue / f"{stem}.json").write_text(json.dumps(doc))


# -- running the connector ----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One ``ox-connector run``: its own figures (wait4) and the SOAP calls it made."""

    label: str
    files: int
    wall: float  # seconds
    cpu: float  # seconds, user + system, of the child
    rss_mib: float  # the child's peak resident set
    emulator_cpu: float  # seconds of the emulator's CPU during the run
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if not is_read(op))

    @property
    def rate(self) -> float:
        return self.files / self.wall

    def kind_calls(self, kind: str) -> int:
        return sum(n for op, n in self.calls.items() if KINDS.get(op.split(".", 1)[0]) == kind)

    def row(self) -> str:
        rate = f"{self.rate:7.1f}" if self.files else f"{'-':>7}"
        per = f"{self.total / self.files:5.2f}" if self.files else f"{'-':>5}"
        return (
            f"  {self.wall:7.2f} {rate} {self.total:6d} {per} {self.writes:6d} "
            f"{self.cpu:6.2f} {self.rss_mib:7.1f} {self.emulator_cpu:7.2f}  {self.label}"
        )


HEADER = (
    f"  {'wall s':>7} {'obj/s':>7} {'calls':>6} {'/obj':>5} {'writes':>6} {'CPU s':>6} "
    f"{'RSS MiB':>7} {'emu CPU':>7}  run (CPU and RSS: the ox-connector child's own)"
)


def settings_text(env: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in env.items()) or "default settings"


def run_connector(
    emulator: EmulatorProcess, layout: Layout, env: dict[str, str], label: str = ""
) -> Run:
    """One ``ox-connector run`` in a child process with ``env`` added to the settings;
    stops the benchmark if it fails or leaves files queued."""
    files = len(list(layout.queue.glob("*.json")))
    emulator.control("stats/reset")
    emulator_cpu = emulator.cpu_seconds()
    log_path = layout.root / "connector.log"
    code, wall, cpu, rss_kib = measure_child(
        connector_command(), {**connector_env(emulator, layout), **env}, log_path
    )
    if code != 0:
        print(log_path.read_text(errors="replace")[-4000:], file=sys.stderr)
        sys.exit(f"ox-connector run ({settings_text(env)}) failed with exit code {code}")
    left = list(layout.queue.glob("*.json"))
    if left:
        sys.exit(f"ox-connector run ({settings_text(env)}) left {len(left)} files queued")
    return Run(
        label=label or settings_text(env),
        files=files,
        wall=wall,
        cpu=cpu,
        rss_mib=rss_kib / 1024,  # KiB on Linux
        emulator_cpu=emulator.cpu_seconds() - emulator_cpu,
        calls=emulator.control("stats")["calls"],
    )


@contextmanager
def fresh_ox(
    read_ms: float = 0.0, write_ms: float = 0.0
) -> Iterator[tuple[EmulatorProcess, Layout]]:
    """An empty emulator with this latency and an empty connector installation."""
    extra = ["--latency-ms", f"{read_ms:g}", "--write-latency-ms", f"{write_ms:g}"]
    with (
        tempfile.TemporaryDirectory(prefix="ox-bench-") as tmp,
        EmulatorProcess(secrets.token_urlsafe(12), extra_args=extra) as emulator,
    ):
        layout = Layout(Path(tmp))
        layout.queue.mkdir()
        layout.state.mkdir()
        yield emulator, layout


def initial_sync(
    emulator: EmulatorProcess, layout: Layout, work: Workload, env: dict[str, str], label: str
) -> Run:
    write_queue(layout.queue, work.entries(), dt.datetime(2026, 11, 27, 9))
    return run_connector(emulator, layout, env, label)


# -- printing ---------------------------------------------------------------------------------


def load_line(when: str) -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average at the {when}: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def heading(text: str) -> None:
    print(f"\n== {text} ==")
    print(HEADER)


def ratio_line(what: str, fast: Run, slow: Run) -> str:
    """``fast`` is the run with the default settings, ``slow`` the one it is compared with."""
    return (
        f"  ratio {what}: {slow.wall / fast.wall:.2f}x "
        f"(wall {slow.wall:.2f} s / {fast.wall:.2f} s; > 1: the default settings are faster)"
    )


def print_calls(runs: list[Run]) -> None:
    """SOAP calls per operation, a column per run."""
    ops = sorted({op for run in runs for op in run.calls})
    print("  " + "  ".join(f"({n}) {r.label}" for n, r in enumerate(runs, 1)))
    print(
        f"  {'service.operation':40} " + " ".join(f"{f'({n})':>7}" for n in range(1, len(runs) + 1))
    )
    for op in ops:
        counts = " ".join(f"{r.calls.get(op, 0):7d}" for r in runs)
        print(f"  {op:40} {counts}{'' if is_read(op) else '  (write)'}")
    print(f"  {'total':40} " + " ".join(f"{r.total:7d}" for r in runs))


def print_kinds(run: Run, objects: dict[str, int]) -> None:
    by_kind: Counter[str] = Counter()
    for op, count in run.calls.items():
        by_kind[KINDS.get(op.split(".", 1)[0], "other")] += count
    print(f"  {'kind':10} {'objects':>8} {'calls':>7} {'per object':>11}   ({run.label})")
    for kind, count in sorted(by_kind.items()):
        n = objects.get(kind, 0)
        per = f"{count / n:11.2f}" if n else f"{'-':>11}"
        print(f"  {kind:10} {n:8d} {count:7d} {per}")


def settings_read() -> str:
    """Which of the issue's settings this connector's source mentions at all."""
    source = " ".join(
        p.read_text(errors="replace") for p in Path(connector.__file__).parent.rglob("*.py")
    )
    return ", ".join(
        f"{name} {'read' if name in source else 'not read yet'}"
        for name in (WORKERS, CODEC, VERIFY_AFTER)
    )


def progress(text: str) -> None:
    """What runs now, on stderr (the figures come section by section on stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# -- the sections -----------------------------------------------------------------------------


@dataclass
class Comparison:
    """Initial syncs with the default settings and with the settings they are compared with,
    one of each per round, interleaved; each from an empty OX and an empty state."""

    default: list[Run] = field(default_factory=list)
    other: list[Run] = field(default_factory=list)

    def print(self, other_name: str) -> None:
        for runs in (self.default, self.other):
            if runs:
                print(median(runs).row())
        for runs in (self.default, self.other):
            if len(runs) > 1:
                walls = ", ".join(f"{r.wall:.2f}" for r in runs)
                print(f"  {runs[0].label}: {len(runs)} rounds, median shown; walls (s): {walls}")
        if self.default and self.other:
            print(ratio_line(f"{other_name} / default", median(self.default), median(self.other)))


def median(runs: list[Run]) -> Run:
    """The run of median wall time (of an even number, the upper one)."""
    return sorted(runs, key=lambda run: run.wall)[len(runs) // 2]


@dataclass
class Results:
    """The runs of every section, printed in the sections' order at the end."""

    latency: Comparison = field(default_factory=Comparison)  # against sequential
    plain: Comparison = field(default_factory=Comparison)  # against the old path
    replay: list[Run] = field(default_factory=list)  # within the window, verify always
    startup: list[Run] = field(default_factory=list)
    scale: Run | None = None


def latency_runs(
    args: argparse.Namespace, work: Workload, sections: set[str], out: Results
) -> None:
    """Section 1 and, on the state of its first default run, section 3."""
    r, w, default = args.latency_ms, args.write_latency_ms, args.default_env
    rounds = args.rounds if "latency" in sections else 1
    for n in range(rounds):
        with fresh_ox(r, w) as (emulator, layout):
            progress(f"1. initial sync, {settings_text(default)}, {r:g}/{w:g} ms, round {n + 1}")
            out.latency.default.append(
                initial_sync(emulator, layout, work, default, settings_text(default))
            )
            if n == 0 and "replay" in sections:
                replay_runs(emulator, layout, work, default, out)
        if "latency" in sections and args.sequential:
            with fresh_ox(r, w) as (emulator, layout):
                label = settings_text(SEQUENTIAL)
                progress(f"1. initial sync, {label}, {r:g}/{w:g} ms, round {n + 1}")
                out.latency.other.append(initial_sync(emulator, layout, work, SEQUENTIAL, label))


def replay_runs(
    emulator: EmulatorProcess,
    layout: Layout,
    work: Workload,
    default: dict[str, str],
    out: Results,
) -> None:
    entries = work.entries()
    always = {**default, **VERIFY_ALWAYS}
    for hour, env, label in (
        (10, default, f"within the verify window, {settings_text(default)}"),
        (11, always, settings_text(always)),
    ):
        progress(f"3. replay, {label}")
        write_queue(layout.queue, entries, dt.datetime(2026, 11, 27, hour))
        out.replay.append(run_connector(emulator, layout, env, label))


def plain_runs(args: argparse.Namespace, work: Workload, sections: set[str], out: Results) -> None:
    """Section 2 and, on the state of its first default run, section 5."""
    default, old = args.default_env, f"old path: {settings_text(OLD_PATH)}"
    rounds = args.rounds if "plain" in sections else 1
    for n in range(rounds):
        with fresh_ox() as (emulator, layout):
            progress(f"2. initial sync, {settings_text(default)}, no latency, round {n + 1}")
            out.plain.default.append(
                initial_sync(emulator, layout, work, default, settings_text(default))
            )
            if n == 0 and "startup" in sections:
                startup_runs(
                    emulator,
                    layout,
                    work,
                    ((default, settings_text(default)), (OLD_PATH, old)),
                    out,
                )
        if "plain" in sections and args.sequential:
            with fresh_ox() as (emulator, layout):
                progress(f"2. initial sync, {old}, no latency, round {n + 1}")
                out.plain.other.append(initial_sync(emulator, layout, work, OLD_PATH, old))


def startup_runs(
    emulator: EmulatorProcess,
    layout: Layout,
    work: Workload,
    settings: tuple[tuple[dict[str, str], str], ...],
    out: Results,
) -> None:
    for n, (env, name) in enumerate(settings):
        progress(f"5. empty queue and one changed user, {name}")
        out.startup.append(run_connector(emulator, layout, env, f"empty queue, {name}"))
        # a new phone number each time: one field differs
        changed = work.user(0, phone=f"+49 421 999 {n:04d}")
        write_queue(layout.queue, [changed], dt.datetime(2026, 11, 27, 12, n))
        out.startup.append(run_connector(emulator, layout, env, f"one changed user, {name}"))


def scale_run(args: argparse.Namespace, work: Workload, out: Results) -> Workload:
    big = Workload(args.scale_users, work.contexts, work.groups)
    with fresh_ox() as (emulator, layout):
        progress(f"4. initial sync of {big.users} users, no latency")
        label = f"{big.users} users, {settings_text(args.default_env)}"
        out.scale = initial_sync(emulator, layout, big, args.default_env, label)
    return big


def report(args: argparse.Namespace, work: Workload, big: Workload | None, out: Results) -> None:
    if out.latency.default:
        against = f": default settings against {settings_text(SEQUENTIAL)}"
        heading(
            f"1. initial sync at {args.latency_ms:g} ms reads / {args.write_latency_ms:g} ms "
            f"writes{against if out.latency.other else ''}"
        )
        out.latency.print(settings_text(SEQUENTIAL))
    if out.plain.default:
        against = ": default settings against the old path" if out.plain.other else ""
        heading(f"2. initial sync without latency{against}")
        out.plain.print("old path")
        base = median(out.plain.default)
        others = [median(out.plain.other)] if out.plain.other else []
        print("\n  SOAP calls per operation:")
        print_calls([base, *others])
        print()
        print_kinds(base, work.objects)
        print(f"  calls per user: {base.kind_calls('user') / work.users:.2f}")
    if out.replay:
        heading(
            f"3. replay of the same {work.files} files, unchanged, after the first default run "
            f"of 1 ({args.latency_ms:g}/{args.write_latency_ms:g} ms)"
        )
        for run in out.replay:
            print(run.row())
            print(
                f"  {'':56}  {run.total} calls, {run.writes} writes, "
                f"{run.kind_calls('user') / work.users:.2f} user calls per user"
            )
    if out.scale and big:
        heading(f"4. scale: initial sync of {big.users} users without latency")
        print(out.scale.row())
        print(f"  peak RSS of the ox-connector run child: {out.scale.rss_mib:.1f} MiB")
        if out.plain.default:
            base, rate = median(out.plain.default).rate, out.scale.rate
            print(
                f"  objects/s: {rate:.1f} at {big.users} users against {base:.1f} at "
                f"{work.users} users (2): {rate / base:.2f}x ({(rate / base - 1) * 100:+.0f} %)"
            )
    if out.startup:
        heading("5. trigger start-up, on the state of the first default run of 2")
        for run in out.startup:
            print(run.row())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--contexts", type=int, default=2)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=2.0, help="emulator reads, in 1 and 3")
    parser.add_argument(
        "--write-latency-ms", type=float, default=20.0, help="emulator writes, in 1 and 3"
    )
    parser.add_argument(
        "--scale-users", type=int, default=0, help="users of the scale run (4); 0: none"
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, of {', '.join(SECTIONS)} (scale only with --scale-users)",
    )
    parser.add_argument(
        "--no-sequential",
        dest="sequential",
        action="store_false",
        help="skip the sequential and old-path runs that the default settings are compared with",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="interleaved rounds of the comparisons 1 and 2 (the median is shown)",
    )
    parser.add_argument(
        "--workers", type=int, help=f"{WORKERS} for the default runs (default: not set)"
    )
    args = parser.parse_args()
    sections = {s.strip() for s in args.sections.split(",") if s.strip()}
    if sections - set(SECTIONS):
        parser.error(f"unknown sections: {', '.join(sorted(sections - set(SECTIONS)))}")
    if not args.scale_users:
        sections.discard("scale")
    args.default_env = {WORKERS: str(args.workers)} if args.workers else {}
    work = Workload(args.users, args.contexts, args.groups)

    started = time.perf_counter()
    print(load_line("start"), flush=True)
    print(
        f"workload: {work.users} users in {work.contexts} contexts, {work.groups} groups, "
        f"{work.contexts} context files, 1 access profile = {work.files} queue files; "
        f"emulator on loopback; sections: {', '.join(s for s in SECTIONS if s in sections)}"
    )
    print(f"this connector: {settings_read()}", flush=True)
    out, big = Results(), None
    if sections & {"latency", "replay"}:
        latency_runs(args, work, sections, out)
    if sections & {"plain", "startup", "scale"}:
        plain_runs(args, work, sections, out)
    if "scale" in sections:
        big = scale_run(args, work, out)
    report(args, work, big, out)
    print(f"\nbenchmark wall time {time.perf_counter() - started:.0f} s")
    print(load_line("end"))


if __name__ == "__main__":
    main()
