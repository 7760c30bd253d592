"""``python -m ox_demo``: the connector end to end against an embedded OX emulator.

Applies the demo organisation (this package's ``fixtures``: converter queue files in
phases) one phase at a time with the real ``ox-connector run`` command, and after each
phase prints the run's exit code, the SOAP calls it made (the emulator's counters), what
changed in OX and what OX then holds. Exits 1 if a run failed.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connector.desired.access import RIGHTS
from connector.ox import OXConnection, as_dict
from connector.run.wiring import PROFILES_FILE
from connector.state.access_profiles import AccessProfilesFile
from connector.state.credentials import CredentialsFile
from ox_emulator.controls import is_read
from ox_emulator.process import EmulatorProcess

# the demo organisation: package data, a directory in a fresh clone as in an installed wheel
FIXTURES = resources.files("ox_demo") / "fixtures"
MASTER_LOGIN = "oxadminmaster"
DEFAULT_CONTEXT = 10
OX_DEFAULT_GROUP_ID = 1  # OX's own group of all users: not the connector's, not shown
RUN_TIMEOUT = 900  # seconds; generous for --latency-ms


# -- the demo's files ------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where one demo keeps its files: a temporary directory, or ``--keep DIR``."""

    root: Path

    @property
    def queue(self) -> Path:
        return self.root / "queue"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def credentials(self) -> Path:
        return self.state / "secrets" / "contexts.json"

    @property
    def emulator_db(self) -> Path:
        return self.root / "ox-emulator.sqlite"

    @property
    def emulator_log(self) -> Path:
        return self.root / "ox-emulator.log"

    @property
    def master_password(self) -> Path:
        return self.root / "master-password"


@contextmanager
def workspace(keep: Path | None) -> Iterator[Layout]:
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="ox-connector-demo-") as tmp:
            yield _prepared(Layout(Path(tmp)))
        return
    # The demo starts from an empty OX: mixing with an older demo's state would mislead.
    if keep.exists() and any(keep.iterdir()):
        raise click.BadParameter(f"{keep} is not empty", param_hint="--keep")
    keep.mkdir(parents=True, exist_ok=True)
    yield _prepared(Layout(keep.resolve()))


def _prepared(layout: Layout) -> Layout:
    layout.queue.mkdir(parents=True, exist_ok=True)
    layout.state.mkdir(parents=True, exist_ok=True)
    return layout


def phase_dirs(fixtures: Path) -> list[Path]:
    return sorted(p for p in fixtures.iterdir() if p.is_dir() and any(p.glob("*.json")))


def select_phases(available: list[Path], spec: str) -> list[Path]:
    """``all``, or comma-separated phase numbers or names; applied in phase order."""
    if spec.strip().lower() == "all":
        return available
    chosen = set()
    for token in (t.strip() for t in spec.split(",") if t.strip()):
        match = [p for p in available if token in (p.name, p.name.split("-", 1)[0])]
        if not match:
            names = ", ".join(p.name for p in available)
            raise click.BadParameter(f'no phase "{token}" (phases: {names})', param_hint="--phases")
        chosen.update(match)
    return sorted(chosen)


# -- running the connector ---------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseRun:
    phase: str
    files: int
    exit_code: int
    seconds: float
    calls: dict[str, int]
    left: tuple[str, ...]  # queue files still queued after the run
    log: tuple[dict[str, Any], ...]  # the connector's JSON log records

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if not is_read(op))


def connector_command() -> list[str]:
    """The installed ``ox-connector`` beside this interpreter, else the same via ``-m``."""
    script = Path(sys.executable).parent / "ox-connector"
    if script.is_file():
        return [str(script), "run"]
    return [sys.executable, "-m", "connector.cli", "run"]


def connector_env(emulator: EmulatorProcess, layout: Layout) -> dict[str, str]:
    # The caller's own OX_* settings must not leak into the demo's connector.
    base = {k: v for k, v in os.environ.items() if not k.startswith("OX_")}
    return {
        **base,
        "OX_SOAP_SERVER": emulator.url,
        "OX_MASTER_ADMIN": MASTER_LOGIN,
        "OX_MASTER_PASSWORD": emulator.master_password,
        "OX_CREDENTIALS_FILE": str(layout.credentials),
        "OX_CONNECTOR_QUEUE_DIR": str(layout.queue),
        "OX_CONNECTOR_STATE_DIR": str(layout.state),
        "DEFAULT_CONTEXT": str(DEFAULT_CONTEXT),
        "DOMAINNAME": "example.org",
        "OX_IMAP_SERVER": "imap://mail.example.org:143",
        "OX_SMTP_SERVER": "smtp://mail.example.org:587",
        "OX_CONNECTOR_LOG_LEVEL": "INFO",
    }


def queue_phase(phase: Path, queue: Path) -> int:
    """Copy the phase's files into the queue; the names (timestamps) are the queue order."""
    files = sorted(phase.glob("*.json"))
    for path in files:
        shutil.copy2(path, queue / path.name)
    return len(files)


def run_phase(emulator: EmulatorProcess, layout: Layout, phase: Path) -> PhaseRun:
    files = queue_phase(phase, layout.queue)
    emulator.control("stats/reset")
    start = time.perf_counter()
    proc = subprocess.run(
        connector_command(),
        env=connector_env(emulator, layout),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    seconds = time.perf_counter() - start
    calls = emulator.control("stats")["calls"]
    left = tuple(sorted(p.name for p in layout.queue.glob("*.json")))
    return PhaseRun(
        phase.name, files, proc.returncode, seconds, calls, left, tuple(parse_log(proc.stderr))
    )


def parse_log(text: str) -> Iterator[dict[str, Any]]:
    """The connector logs one JSON object per line; anything else is kept as a message."""
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = {"level": "error", "msg": line}
        yield record if isinstance(record, dict) else {"level": "error", "msg": line}


# -- reading OX --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OXUserRow:
    id: int
    name: str
    display_name: str
    mail: str
    access: str
    mail_enabled: bool


@dataclass(frozen=True)
class OXContextView:
    id: int
    name: str
    admin: str
    users: tuple[OXUserRow, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # (name, member names)
    resources: tuple[tuple[str, str, str, str], ...]  # (name, display name, mail, description)


def read_ox(
    ox: OXConnection, credentials: CredentialsFile, profiles: dict[str, frozenset[str]]
) -> list[OXContextView]:
    """Every context the connector holds an admin for, as OX reports it."""
    contexts = ox.call("OXContextService", "listAll") or []
    views = []
    for ctx in sorted(contexts, key=lambda c: c["id"]):
        if credentials.context(ctx["id"]) is not None:
            views.append(read_context(ox, ctx["id"], ctx["name"], profiles))
    return views


def read_context(
    ox: OXConnection, cid: int, name: str, profiles: dict[str, frozenset[str]]
) -> OXContextView:
    users = read_users(ox, cid)
    admin = next((u["name"] for u in users if u.get("contextadmin")), "?")
    rows = tuple(
        user_row(ox, cid, u, profiles)
        for u in sorted(users, key=lambda u: u["name"])
        if not u.get("contextadmin")
    )
    names = {u["id"]: u["name"] for u in users}
    groups = tuple(
        sorted(
            (g["name"], tuple(sorted(names.get(m, f"#{m}") for m in g["members"] or [])))
            for g in ox.call("OXGroupService", "listAll", ctx={"id": cid}) or []
            if g["id"] != OX_DEFAULT_GROUP_ID
        )
    )
    resources = tuple(
        sorted(
            (r["name"], r["displayname"] or "", r["email"] or "", r["description"] or "")
            for r in ox.call("OXResourceService", "listAll", ctx={"id": cid}) or []
        )
    )
    return OXContextView(cid, name, admin, rows, groups, resources)


def read_users(ox: OXConnection, cid: int) -> list[dict[str, Any]]:
    ids = ox.call("OXUserService", "listAll", ctx={"id": cid}) or []
    if not ids:
        return []
    found = ox.call(
        "OXUserService", "getMultipleData", ctx={"id": cid}, users=[{"id": u["id"]} for u in ids]
    )
    return [as_dict(u) for u in found or []]


def user_row(
    ox: OXConnection, cid: int, user: dict[str, Any], profiles: dict[str, frozenset[str]]
) -> OXUserRow:
    access = as_dict(
        ox.call("OXUserService", "getModuleAccess", ctx={"id": cid}, user={"id": user["id"]})
    )
    granted = frozenset(right for right, field in RIGHTS.items() if access.get(field))
    return OXUserRow(
        user["id"],
        user["name"],
        user.get("display_name") or "",
        user.get("primaryEmail") or "",
        access_label(granted, profiles),
        bool(user.get("mailenabled")),
    )


def access_label(granted: frozenset[str], profiles: dict[str, frozenset[str]]) -> str:
    """The access profile whose rights these are, else a count of the rights."""
    for name, rights in sorted(profiles.items()):
        if rights == granted:
            return name
    return f"{len(granted)} rights (no profile)" if granted else "no rights"


# -- what changed between two readings -------------------------------------------------------


def snapshot(views: list[OXContextView]) -> dict[tuple[int, str, str], tuple]:
    """(context, kind, name) -> what is shown of it, for comparing two phases."""
    out: dict[tuple[int, str, str], tuple] = {}
    for view in views:
        for u in view.users:
            out[(view.id, "user", u.name)] = (u.display_name, u.mail, u.access, u.mail_enabled)
        for name, members in view.groups:
            out[(view.id, "group", name)] = members
        for resource in view.resources:
            out[(view.id, "resource", resource[0])] = resource[1:]
    return out


def differences(before: dict, after: dict) -> list[tuple[int, str, str, list[str]]]:
    """(context, kind, + added / - removed / ~ changed, names), in a stable order."""
    found: dict[tuple[int, str, str], list[str]] = {}
    for sign, keys in (
        ("+", after.keys() - before.keys()),
        ("-", before.keys() - after.keys()),
        ("~", {k for k in after.keys() & before.keys() if after[k] != before[k]}),
    ):
        for cid, kind, name in keys:
            found.setdefault((cid, kind, sign), []).append(name)
    return [(cid, kind, sign, sorted(names)) for (cid, kind, sign), names in sorted(found.items())]


# -- printing ----------------------------------------------------------------------------------


def print_run(console: Console, run: PhaseRun) -> None:
    status = "[green]exit 0[/]" if run.ok else f"[bold red]exit {run.exit_code}[/]"
    finished = next((r for r in run.log if r.get("msg") == "run finished"), {})
    console.print(
        f"ox-connector run: {status} in {run.seconds:.1f} s; "
        f"{run.files} queue files, applied {finished.get('applied', '?')}, "
        f"removed {finished.get('files_removed', '?')}, still queued {len(run.left)}"
    )
    for record in run.log:
        if record.get("level") in ("warning", "error", "critical"):
            details = {
                k: v
                for k, v in record.items()
                if k in ("file", "dn", "error", "detail", "reason", "problems")
            }
            console.print(
                f"  [yellow]{record.get('level')}[/]: "
                f"{escape(str(record.get('msg')))} {escape(str(details))}"
            )
    if not run.calls:
        console.print("SOAP calls: none")
        return
    table = Table(
        title=f"SOAP calls: {sum(run.calls.values())} ({run.writes} writes)", title_justify="left"
    )
    table.add_column("service.operation")
    table.add_column("calls", justify="right")
    for op, count in sorted(run.calls.items()):
        table.add_row(op if is_read(op) else f"[bold]{op}[/]", str(count))
    console.print(table)


def print_differences(console: Console, changes: list[tuple[int, str, str, list[str]]]) -> None:
    if not changes:
        console.print("Changes in OX: none")
        return
    console.print("Changes in OX:")
    words = {"+": "[green]+ added[/]", "-": "[red]- removed[/]", "~": "[yellow]~ changed[/]"}
    for cid, kind, sign, names in changes:
        console.print(f"  context {cid} {kind}s {words[sign]}: {escape(', '.join(names))}")


def print_context(console: Console, view: OXContextView) -> None:
    console.print(
        f"\n[bold]Context {view.id}[/] ({escape(view.name)}), context admin {escape(view.admin)}"
    )
    users = Table(title=f"Users ({len(view.users)})", title_justify="left")
    for column in ("user", "display name", "primary mail", "access", "mail"):
        users.add_column(column)
    for u in view.users:
        users.add_row(
            *map(escape, (u.name, u.display_name, u.mail, u.access)),
            "yes" if u.mail_enabled else "no",
        )
    groups = Table(title=f"Groups ({len(view.groups)})", title_justify="left")
    groups.add_column("group")
    groups.add_column("members")
    for name, members in view.groups:
        groups.add_row(escape(name), escape(", ".join(members)) or "-")
    resources = Table(title=f"Resources ({len(view.resources)})", title_justify="left")
    for column in ("resource", "display name", "mail", "description"):
        resources.add_column(column)
    for row in view.resources:
        resources.add_row(*map(escape, row))
    for table in (users, groups, resources):
        if table.row_count:
            console.print(table)
        else:
            console.print(f"{table.title}: none")


def print_summary(console: Console, runs: list[PhaseRun]) -> None:
    table = Table(title="Summary", title_justify="left")
    for column in ("phase", "files", "exit", "seconds", "SOAP calls", "writes"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for run in runs:
        table.add_row(
            run.phase,
            str(run.files),
            str(run.exit_code),
            f"{run.seconds:.1f}",
            str(sum(run.calls.values())),
            str(run.writes),
        )
    console.print(table)


def print_kept(console: Console, layout: Layout) -> None:
    console.print(
        f"\nKept in {layout.root}: queue/, state/ (contexts.json, state store), "
        "ox-emulator.sqlite, master-password. To look at OX again:\n"
        f'  OX_EMULATOR_MASTER_PASSWORD="$(cat {layout.master_password})" '
        f"ox-emulator serve --db {layout.emulator_db}"
    )


# -- the command ----------------------------------------------------------------------------


def start_emulator(layout: Layout, latency_ms: float, keep: bool) -> EmulatorProcess:
    password = secrets.token_urlsafe(18)
    if keep:  # so that the kept OX state can be served again
        layout.master_password.touch(mode=0o600)
        layout.master_password.write_text(password + "\n")
    extra = ["--latency-ms", str(latency_ms)] if latency_ms else []
    return EmulatorProcess(
        password, db=str(layout.emulator_db), extra_args=extra, log_path=layout.emulator_log
    ).start()


def run_demo(
    console: Console, phases: list[Path], layout: Layout, latency_ms: float, keep: bool
) -> list[PhaseRun]:
    """Apply the phases in order, printing each; stops at the first failed run."""
    emulator = start_emulator(layout, latency_ms, keep)
    runs: list[PhaseRun] = []
    try:
        credentials = CredentialsFile(layout.credentials)
        with OXConnection(
            emulator.url,
            (MASTER_LOGIN, emulator.master_password),
            context_credentials=credentials.context,
        ) as ox:
            before: dict = {}
            for phase in phases:
                console.rule(f"[bold]Phase {phase.name}")
                run = run_phase(emulator, layout, phase)
                runs.append(run)
                print_run(console, run)
                before = print_ox(console, ox, credentials, layout, run, before)
                if not run.ok:
                    console.print(f"[bold red]phase {phase.name} failed: stopping here[/]")
                    break
    finally:
        emulator.stop()
    return runs


def print_ox(
    console: Console,
    ox: OXConnection,
    credentials: CredentialsFile,
    layout: Layout,
    run: PhaseRun,
    before: dict,
) -> dict:
    """What changed in OX since ``before`` and what OX holds now; returns the new snapshot."""
    profiles = AccessProfilesFile(layout.state / PROFILES_FILE).load()
    views = read_ox(ox, credentials, profiles)
    after = snapshot(views)
    print_differences(console, differences(before, after))
    console.rule(f"OX after phase {run.phase}")
    for view in views:
        print_context(console, view)
    if not views:
        console.print("OX has no context the connector holds an admin for")
    return after


@click.command()
@click.option(
    "--phases",
    default="all",
    show_default=True,
    help="Phases to apply, in phase order: numbers or names, comma-separated "
    "(e.g. 1,2). Each phase builds on the ones before it.",
)
@click.option(
    "--keep",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    help="Keep the queue, the connector's state, the emulator database and the "
    "master password in DIR (new or empty) instead of a temporary directory.",
)
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 60_000),
    help="Delay the emulator adds to every SOAP call (a remote OX).",
)
@click.option(
    "--fixtures",
    metavar="DIR",
    show_default="the demo organisation in this package",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Directory of phase directories of queue files.",
)
def main(phases: str, keep: Path | None, latency_ms: float, fixtures: Path | None) -> None:
    """Run the connector on a demo organisation against an embedded OX emulator."""
    with resources.as_file(fixtures or FIXTURES) as fixtures_dir:
        demo(phases, keep, latency_ms, fixtures_dir)


def demo(phases: str, keep: Path | None, latency_ms: float, fixtures: Path) -> None:
    selected = select_phases(phase_dirs(fixtures), phases)
    console = Console()
    with workspace(keep) as layout:
        runs = run_demo(console, selected, layout, latency_ms, keep is not None)
        console.rule("Done")
        print_summary(console, runs)
        if keep is not None:
            print_kept(console, layout)
    failed = [r.phase for r in runs if not r.ok]
    if failed or len(runs) < len(selected):
        console.print(f"[bold red]failed: {', '.join(failed)}[/]")
        sys.exit(1)


if __name__ == "__main__":
    main()
