"""``ox-connector``: the provisioning connector's command line.

``ox-connector run`` is the App Center trigger and runs after every directory change:
what only other commands need (rich, the drift check, health figures, the UDM REST
client) is imported inside those commands, so a run with an empty queue stays cheap.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from . import logs
from .admin import dead_letters, queue_view
from .config import ConfigError, LocalPaths, Settings, UDMRestSettings, require_queue_dir
from .desired import mapping
from .model.errors import ConnectorError
from .ox import OXError
from .queue import AlreadyRunning, QueueError, run_lock
from .run import RunFailed, open_connector
from .run.wiring import LOCK_FILE, STATE_DB, master_admin
from .state.operations import Operations
from .state.store import StateError, StateStore

if TYPE_CHECKING:
    from .admin import resync as resync_ops

log = logging.getLogger("ox_connector")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
T = TypeVar("T")
Command = TypeVar("Command", bound=Callable[..., None])


@click.group()
@click.version_option(package_name="ox-connector", prog_name="ox-connector")
def main() -> None:
    """Keep Open-Xchange App Suite in step with the UCS directory."""


def load_settings(queue_dir: Path | None = None, state_dir: Path | None = None) -> Settings:
    """Settings from the environment (App Center names), command-line paths on top.
    A wrong setting ends the program with every problem listed."""
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        logs.setup("INFO", sys.stderr)
        settings_refused(exc)
    settings = dataclasses.replace(
        settings,
        queue_dir=queue_dir or settings.queue_dir,
        state_dir=state_dir or settings.state_dir,
    )
    logs.setup(settings.log_level, sys.stderr)
    return settings


def settings_refused(exc: ConfigError) -> NoReturn:
    """End the program for wrong settings: one log record and the list for humans, exit 2."""
    log.error("invalid settings", extra={"problems": exc.problems})
    click.echo(str(exc), err=True)
    sys.exit(EXIT_CONFIG)


@main.command()
@click.option(
    "--queue-dir",
    type=click.Path(path_type=Path),
    help="Queue of converter JSON files [env OX_CONNECTOR_QUEUE_DIR].",
)
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    help="State store, access profiles, WSDL cache [env OX_CONNECTOR_STATE_DIR].",
)
@click.option(
    "--metrics-file",
    type=click.Path(path_type=Path),
    help="Refresh this Prometheus text file after the run (node-exporter).",
)
@click.option(
    "--now",
    "retry_now",
    is_flag=True,
    help="Try a failed file at once, without waiting out its back-off (stop mode).",
)
def run(
    queue_dir: Path | None, state_dir: Path | None, metrics_file: Path | None, retry_now: bool
) -> None:
    """Apply the queued changes until the queue is empty (the App Center trigger).

    Exit 0 when done (or when another run is already busy), 1 when a change failed (its
    file stays queued and is retried next time, after a back-off unless the settings
    changed or --now is given), 2 for wrong settings.
    """
    settings = load_settings(queue_dir=queue_dir, state_dir=state_dir)
    try:
        require_queue_dir(settings.queue_dir)  # before anything is created
        with open_connector(settings) as connector, run_lock(connector.lock_path):
            log.info("run started", extra={"queue_dir": str(settings.queue_dir)})
            try:
                result = connector.run_queue(retry_now=retry_now)
            finally:
                if metrics_file is not None:
                    from .admin import health

                    health.write_metrics(
                        metrics_file, health.figures(settings.queue_dir, connector.deps.store)
                    )
    except AlreadyRunning as exc:
        log.info("already running", extra={"detail": str(exc)})
        sys.exit(EXIT_OK)
    except ConfigError as exc:
        settings_refused(exc)
    except RunFailed:
        sys.exit(EXIT_FAILED)  # logged with file, DN and reason where it happened
    except (ConnectorError, OSError) as exc:  # the state store, the lock, a secrets file ...
        log.error("run failed", extra={"error": str(exc), "error_type": type(exc).__name__})
        sys.exit(EXIT_FAILED)
    log.info(
        "run finished",
        extra={
            "applied": result.applied,
            "files_removed": result.files_removed,
            "dead_lettered": result.dead_lettered,
        },
    )


# -- operations: queue, dead letters, health ---------------------------------------------------


def state_paths(queue_dir: Path | None, state_dir: Path | None) -> tuple[Path, Path]:
    """Queue and state dir from options or environment: no OX settings needed to look."""
    paths = LocalPaths.from_env(os.environ)
    return queue_dir or paths.queue_dir, state_dir or paths.state_dir


@contextmanager
def opened_store(state_dir: Path, *expected: type[Exception]) -> Iterator[StateStore]:
    """The state store for one command, closed afterwards; a store error and the
    ``expected`` errors of the command become its one-line message (exit 1)."""
    try:
        store = StateStore(state_dir / STATE_DB)
    except StateError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield store
    except expected as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()


DIR_OPTIONS = (
    click.option(
        "--queue-dir", type=click.Path(path_type=Path), help="[env OX_CONNECTOR_QUEUE_DIR]"
    ),
    click.option(
        "--state-dir", type=click.Path(path_type=Path), help="[env OX_CONNECTOR_STATE_DIR]"
    ),
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def dir_options(func: Command) -> Command:
    for option in reversed(DIR_OPTIONS):
        func = option(func)
    return func


PROSE_MIN = 16  # the narrowest a wrapped text column (an error, field names) gets


def _table(
    title: str, columns: list[str], rows: list[list[Any]], prose: tuple[str, ...] = ()
) -> None:
    """A table whose identifier columns (file names, DNs, names, ids: all but ``prose``)
    are never cut nor wrapped, in a terminal or a pipe, so that a value can be pasted into
    the next command: the table is made as wide as they need, even when that is wider
    than the terminal (which then wraps the lines) or the 80 columns rich assumes for a
    pipe. Only the ``prose`` columns wrap to fit. The title is a line of its own."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    cells = [["" if v is None else str(v) for v in row] for row in rows]
    table = Table(show_header=True)
    needed = 1 + 3 * len(columns)  # borders and padding
    for i, column in enumerate(columns):
        widest = max([cell_len(column), *(cell_len(row[i]) for row in cells)])
        if column in prose:
            table.add_column(column, overflow="fold")
            needed += min(widest, PROSE_MIN)
        else:
            table.add_column(column, no_wrap=True, overflow="fold", min_width=widest)
            needed += widest
    for row in cells:
        table.add_row(*row)
    console = Console()
    click.echo(title)
    Console(width=max(console.width, needed)).print(table)


@main.group(name="queue")
def queue_group() -> None:
    """What is waiting in the queue."""


@queue_group.command(name="list")
@dir_options
@JSON_OPTION
def queue_list(queue_dir: Path | None, state_dir: Path | None, as_json: bool) -> None:
    """Pending files in queue order, with kind, DN and age."""
    queue, _ = state_paths(queue_dir, state_dir)
    items = _queue_call(queue_view.pending, queue)
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in items], indent=2))
        return
    columns = ["file", "type", "DN", "action", "age (s)"]
    rows: list[list[Any]] = [
        [p.file, p.udm_object_type, p.dn, p.action, f"{p.age_s:.0f}"] for p in items
    ]
    if any(p.error for p in items):  # unreadable files: why
        columns.append("error")
        for row, p in zip(rows, items, strict=True):
            row.append(p.error)
    _table(f"{len(items)} pending in {queue}", columns, rows, prose=("error",))


@queue_group.command(name="show")
@dir_options
@click.argument("file")
def queue_show(queue_dir: Path | None, state_dir: Path | None, file: str) -> None:
    """One pending file's content (JSON)."""
    queue, _ = state_paths(queue_dir, state_dir)
    try:
        click.echo(json.dumps(queue_view.show(queue, file), indent=2, ensure_ascii=False))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@queue_group.command(name="stats")
@dir_options
@JSON_OPTION
def queue_stats(queue_dir: Path | None, state_dir: Path | None, as_json: bool) -> None:
    """Counts by object type and the oldest file's age."""
    queue, _ = state_paths(queue_dir, state_dir)
    figures = _queue_call(queue_view.stats, queue)
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    click.echo(
        f"pending: {figures['pending']}, oldest: {figures['oldest_age_s']:.0f} s, "
        f"unreadable: {figures['unreadable']}"
    )
    for kind, count in sorted(figures["by_type"].items()):
        click.echo(f"  {kind}: {count}")


@queue_group.command(name="skip")
@dir_options
@click.argument("files", nargs=-1, required=True)
def queue_skip(queue_dir: Path | None, state_dir: Path | None, files: tuple[str, ...]) -> None:
    """Set queued FILES aside as dead letters ("skipped by the administrator"): the way
    past a file that can never succeed. `errors show` and `errors retry` work on them."""
    queue, state = state_paths(queue_dir, state_dir)
    try:
        with (
            run_lock(state / LOCK_FILE),
            opened_store(state, dead_letters.DeadLetterError, QueueError) as store,
        ):
            letters = dead_letters.skip(store, queue, list(files))
    except AlreadyRunning as exc:
        raise click.ClickException(
            f"a run is busy (it holds {exc.path}): try again when it is done"
        ) from None
    except QueueError as exc:  # the lock file cannot be opened (no state dir ...)
        raise click.ClickException(str(exc)) from None
    click.echo(
        "set aside as dead letters: "
        + ", ".join(f"{letter.file} (id {letter.seq})" for letter in letters)
    )


def _queue_call(func: Callable[[Path], T], queue: Path) -> T:
    try:
        return func(queue)
    except QueueError as exc:
        raise click.ClickException(str(exc)) from None


@main.group(name="errors")
def errors_group() -> None:
    """Dead letters: changes set aside after an error (OX_CONNECTOR_STOP_ON_ERROR=false)."""


@errors_group.command(name="list")
@dir_options
@JSON_OPTION
def errors_list(queue_dir: Path | None, state_dir: Path | None, as_json: bool) -> None:
    """Every dead letter, oldest first."""
    _, state = state_paths(queue_dir, state_dir)
    with opened_store(state) as store:
        letters = Operations(store).dead_letters()
    if as_json:
        click.echo(json.dumps([d.summary() for d in letters], indent=2))
        return
    _table(
        f"{len(letters)} dead letters",
        ["id", "file", "type", "DN", "attempts", "error"],
        [[d.seq, d.file, d.udm_object_type, d.dn, d.attempts, d.error] for d in letters],
        prose=("error",),
    )


@errors_group.command(name="show")
@dir_options
@click.argument("letter_id", type=int)
def errors_show(queue_dir: Path | None, state_dir: Path | None, letter_id: int) -> None:
    """One dead letter: the error and the change (JSON)."""
    _, state = state_paths(queue_dir, state_dir)
    with opened_store(state) as store:
        letter = Operations(store).dead_letter(letter_id)
    if letter is None:
        raise click.ClickException(f"no dead letter {letter_id}")
    try:
        change = json.loads(letter.content)
    except ValueError:
        change = letter.content.decode("utf-8", "replace")
    click.echo(json.dumps({**letter.summary(), "change": change}, indent=2, ensure_ascii=False))


@errors_group.command(name="retry")
@dir_options
@click.argument("letter_ids", type=int, nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Retry every dead letter.")
def errors_retry(
    queue_dir: Path | None, state_dir: Path | None, letter_ids: tuple[int, ...], everything: bool
) -> None:
    """Put dead letters back into the queue (with the object's later changes); the next
    run applies them."""
    if not letter_ids and not everything:
        raise click.UsageError("name dead letter ids or give --all")
    queue, state = state_paths(queue_dir, state_dir)
    with opened_store(state, dead_letters.DeadLetterError) as store:
        letters = dead_letters.retry(store, queue, None if everything else list(letter_ids))
    click.echo(f"put back into the queue: {', '.join(d.file for d in letters) or 'nothing'}")


@errors_group.command(name="remove")
@dir_options
@click.argument("letter_ids", type=int, nargs=-1, required=True)
def errors_remove(
    queue_dir: Path | None, state_dir: Path | None, letter_ids: tuple[int, ...]
) -> None:
    """Drop dead letters for good (their changes are never applied)."""
    _, state = state_paths(queue_dir, state_dir)
    with opened_store(state, dead_letters.DeadLetterError) as store:
        removed = dead_letters.remove(store, list(letter_ids))
    click.echo(f"removed: {', '.join(str(d.seq) for d in removed)}")


@main.command(name="health")
@dir_options
@JSON_OPTION
@click.option(
    "--metrics-file",
    type=click.Path(path_type=Path),
    help="Also write the figures as a Prometheus text file.",
)
@click.option(
    "--max-age",
    default=600.0,
    show_default=True,
    help="WARNING when a change waits longer than this many seconds.",
)
def health_command(
    queue_dir: Path | None,
    state_dir: Path | None,
    as_json: bool,
    metrics_file: Path | None,
    max_age: float,
) -> None:
    """Exit 0 OK, 1 WARNING (dead letters, old changes), 2 CRITICAL (queue stuck)."""
    from .admin import health

    queue, state = state_paths(queue_dir, state_dir)
    with opened_store(state, QueueError) as store:
        figures = health.figures(queue, store)
    code, text = health.verdict(figures, max_age)
    if metrics_file is not None:
        health.write_metrics(metrics_file, figures)
    label = ("OK", "WARNING", "CRITICAL")[code]
    if as_json:
        stuck = code == health.CRITICAL and figures["waiting_on"] is not None
        hint = health.stuck_hint(figures["waiting_on"]["file"]) if stuck else None
        click.echo(
            json.dumps({"status": label, "summary": text, "hint": hint, **figures}, indent=2)
        )
    else:
        click.echo(f"{label}: {text}")
    sys.exit(code)


@main.command(name="show")
@dir_options
@JSON_OPTION
@click.argument("key", metavar="DN|ID")
def show_command(queue_dir: Path | None, state_dir: Path | None, as_json: bool, key: str) -> None:
    """What the connector knows about one object (by DN or entryUUID): the UDM object as
    last applied (without password material), where it is in OX, when it was last applied
    and verified, its pending queue files and dead letters."""
    from .admin import show

    queue, state = state_paths(queue_dir, state_dir)
    with opened_store(state, show.UnknownObject, QueueError) as store:
        found = show.describe(store, queue, key)
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    _print_object(found)


def _when(seconds: float | None) -> str:
    return "never" if seconds is None else logs.timestamp(seconds)


def _print_object(found: dict[str, Any]) -> None:
    """Plain lines, nothing cut: a DN or file name can be pasted from here."""
    click.echo(f"{found['udm_object_type'] or 'unknown type'} {found['dn']}")
    click.echo(f"  id:            {found['id'] or '-'}")
    click.echo(f"  last applied:  {_when(found['last_applied'])}")
    click.echo(f"  last verified: {_when(found['last_verified'])} (OX read and compared)")
    for p in found["placements"] or [None]:
        if p is None:
            click.echo("  in OX:         nowhere (not applied yet, or not an OX object)")
            continue
        ox_id = "" if p["ox_id"] is None else f", OX id {p['ox_id']}"
        click.echo(f"  in OX:         context {p['context_id']}{ox_id}, name {p['ox_name']}")
    waiting = found["waiting_on"]
    for p in found["pending"]:
        stuck = " (the queue waits on it)" if waiting and waiting["file"] == p["file"] else ""
        click.echo(f"  pending:       {p['file']} ({p['action']}, {p['age_s']:.0f} s){stuck}")
    if waiting:
        click.echo(f"  waits because: {waiting['error']} (attempt {waiting['attempts']})")
    for d in found["dead_letters"]:
        click.echo(f"  dead letter:   {d['id']} {d['file']}: {d['error']}")
    if found["object"] is not None:
        click.echo("  UDM object as last applied (without password material):")
        text = json.dumps(found["object"], indent=2, sort_keys=True, ensure_ascii=False)
        click.echo("\n".join(f"    {line}" for line in text.splitlines()))


# -- resync and drift check -------------------------------------------------------------------


@main.command()
@dir_options
@click.option("--dn", "dns", multiple=True, help="Resync the object with this DN.")
@click.option("--id", "ids", multiple=True, help="Resync the object with this entryUUID.")
@click.option("--all", "everything", is_flag=True, help="Resync every known object.")
@click.option(
    "--from-udm",
    is_flag=True,
    help="Read the objects afresh from the UDM REST API (UDM_REST_URL, UDM_USER, "
    "UDM_PASSWORD, UDM_CA_FILE) instead of the last applied state.",
)
@click.option("--no-run", is_flag=True, help="Only queue them; the next trigger applies.")
def resync(
    queue_dir: Path | None,
    state_dir: Path | None,
    dns: tuple[str, ...],
    ids: tuple[str, ...],
    everything: bool,
    from_udm: bool,
    no_run: bool,
) -> None:
    """Queue objects again so that OX is made to match them, then run the queue."""
    from .admin import resync as resync_ops

    if not (dns or ids or everything):
        raise click.UsageError("give --dn, --id or --all")
    settings = load_settings(queue_dir=queue_dir, state_dir=state_dir)
    try:
        require_queue_dir(settings.queue_dir)
        if not no_run:  # the run that follows needs the master: refuse before queuing
            master_admin(settings)
    except ConfigError as exc:
        settings_refused(exc)
    except ConnectorError as exc:  # a credentials file that cannot be read
        raise click.ClickException(str(exc)) from None
    fetch = _udm_rest().fetch if from_udm else None
    with opened_store(settings.state_dir, resync_ops.ResyncError) as store:
        states = resync_ops.select(store, ids, dns, everything)
        resync_ops.unverify(store, states)
        paths = resync_ops.enqueue(settings.queue_dir, states, fetch)
    log.info("objects queued for resync", extra={"count": len(paths)})
    click.echo(f"queued {len(paths)} objects")
    if not no_run:
        ctx = click.get_current_context()
        ctx.invoke(
            run, queue_dir=settings.queue_dir, state_dir=settings.state_dir, metrics_file=None
        )


def _udm_rest() -> resync_ops.UDMRest:
    from .admin import resync as resync_ops

    try:
        udm = UDMRestSettings.from_env(os.environ)
    except ConfigError as exc:
        raise click.UsageError(
            "--from-udm needs UDM_REST_URL (https://<ucs>/univention/udm), UDM_USER and "
            "UDM_PASSWORD:\n  " + "\n  ".join(exc.problems)
        ) from None
    return resync_ops.UDMRest(udm.url, udm.user, udm.password, udm.ca_file)


@main.command(name="check")
@dir_options
@JSON_OPTION
@click.option(
    "--context",
    "contexts",
    type=int,
    multiple=True,
    help="Only this context (repeatable); default every managed context.",
)
@click.option(
    "--fix",
    "do_fix",
    is_flag=True,
    help="Re-apply the objects behind missing and different findings.",
)
@click.option("--prune", is_flag=True, help="With --fix: also delete orphans from OX.")
def check_command(
    queue_dir: Path | None,
    state_dir: Path | None,
    as_json: bool,
    contexts: tuple[int, ...],
    do_fix: bool,
    prune: bool,
) -> None:
    """Compare OX with what the connector applied: missing, different and orphaned
    objects. Exit 0 if none, 1 if drift was found (and not fixed)."""
    if prune and not do_fix:
        raise click.UsageError("--prune only with --fix")
    from rich.console import Console
    from rich.progress import Progress

    from .admin import check as drift

    settings = load_settings(queue_dir=queue_dir, state_dir=state_dir)
    try:
        # reading needs the context admins only; re-applying may need the master
        with (
            open_connector(settings, require_master=do_fix) as connector,
            run_lock(connector.lock_path),
        ):
            deps = connector.deps
            wanted = list(contexts) or drift.managed_contexts(deps)
            with Progress(
                transient=True,
                disable=as_json or not sys.stderr.isatty(),
                console=Console(stderr=True),
            ) as bar:
                task = bar.add_task("checking", total=len(wanted) * 4)
                findings = drift.check(
                    deps,
                    wanted,
                    lambda kind, cid: bar.update(
                        task, advance=1, description=f"context {cid}: {kind}"
                    ),
                )
            fixed = drift.fix(deps, connector.reconciler, findings, prune) if do_fix else None
    except AlreadyRunning as exc:
        raise click.ClickException(f"{exc}: try again when the run is done") from None
    except ConfigError as exc:
        settings_refused(exc)
    except OXError as exc:
        raise click.ClickException(f"reading OX failed: {exc}") from None
    except ConnectorError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(
            json.dumps(
                {"contexts": wanted, "findings": [f.as_dict() for f in findings], "fixed": fixed},
                indent=2,
            )
        )
    else:
        _table(
            f"{len(findings)} findings in contexts {', '.join(map(str, wanted)) or '-'}",
            ["problem", "type", "context", "name", "DN", "fields"],
            [
                [f.problem, f.udm_object_type, f.context_id, f.name, f.dn, ", ".join(f.fields)]
                for f in findings
            ],
            prose=("fields",),
        )
        if fixed is not None:
            click.echo(
                f"re-applied {fixed['reapplied']} objects, deleted {fixed['pruned']} orphans"
            )
    unresolved = (
        findings
        if fixed is None
        else ([] if prune else [f for f in findings if f.problem == "orphan"])
    )
    sys.exit(1 if unresolved else 0)


def mapping_file_from_env(path: Path | None) -> mapping.MappingFile:
    """The mapping file: --file, else OX_ATTRIBUTE_MAPPING_FILE, else in the state dir
    (no OX settings needed to edit it)."""
    return mapping.MappingFile(path or LocalPaths.from_env(os.environ).attribute_mapping_file)


def _load_overrides(file: mapping.MappingFile) -> mapping.Overrides:
    try:
        return file.load()
    except mapping.MappingError as exc:
        raise click.ClickException(str(exc)) from None


FILE_OPTION = click.option(
    "--file",
    "path",
    type=click.Path(path_type=Path),
    help="Mapping file [env OX_ATTRIBUTE_MAPPING_FILE; default <state dir>/AttributeMapping.json].",
)
AFTER_CHANGE = "Users get the new mapping when they are next changed in UCS (or resynced)."


@main.group(name="mapping")
def mapping_group() -> None:
    """Show or change which UDM property fills which OX user field."""


@mapping_group.command(name="show")
@FILE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def mapping_show(path: Path | None, as_json: bool) -> None:
    """The effective mapping: built-in defaults with the file's overrides."""
    file = mapping_file_from_env(path)
    overrides = _load_overrides(file)
    defaults = mapping.defaults()
    rows = []
    for ox in sorted(set(defaults) | set(overrides)):
        entry = overrides[ox] if ox in overrides else defaults[ox]
        source = ("unset" if entry is None else "override") if ox in overrides else "default"
        rows.append(
            {
                "ox": ox,
                "source": source,
                **(mapping.entry_json(entry) if entry is not None else {"udm": None}),
            }
        )
    if as_json:
        click.echo(json.dumps({"file": str(file.path), "fields": rows}, indent=2))
        return
    _table(
        f"OX user field <- UDM property ({file.path})",
        ["OX field", "UDM property", "index", "alternatives", "source"],
        [
            [
                row["ox"],
                row["udm"] or "-",
                row.get("index", 0),
                ", ".join(row.get("alternatives", [])),
                row["source"],
            ]
            for row in rows
        ],
        prose=("alternatives",),
    )


@mapping_group.command(name="set")
@FILE_OPTION
@click.argument("ox_field")
@click.argument("udm_property")
@click.option(
    "--index",
    default=0,
    show_default=True,
    type=int,
    help="Which value of a multi-value property (0 = the first).",
)
@click.option(
    "--alternative",
    "alternatives",
    multiple=True,
    help="UDM property tried when the first is empty (repeatable, in order).",
)
def mapping_set(
    path: Path | None, ox_field: str, udm_property: str, index: int, alternatives: tuple[str, ...]
) -> None:
    """Fill OX_FIELD from UDM_PROPERTY."""
    file = mapping_file_from_env(path)
    overrides = _load_overrides(file)
    value = {"udm": udm_property, "index": index, "alternatives": list(alternatives)}
    try:
        overrides[ox_field] = mapping.parse_entry(ox_field, value)
    except mapping.MappingError as exc:
        raise click.ClickException(str(exc)) from None
    file.save(overrides)
    click.echo(f"{ox_field} <- {udm_property}. {AFTER_CHANGE}")


@mapping_group.command(name="unset")
@FILE_OPTION
@click.argument("ox_field")
def mapping_unset(path: Path | None, ox_field: str) -> None:
    """Stop managing OX_FIELD (the connector then never writes it)."""
    file = mapping_file_from_env(path)
    overrides = _load_overrides(file)
    try:
        overrides[ox_field] = mapping.parse_entry(ox_field, None)
    except mapping.MappingError as exc:
        raise click.ClickException(str(exc)) from None
    file.save(overrides)
    click.echo(f"{ox_field} is no longer managed. {AFTER_CHANGE}")


@mapping_group.command(name="reset")
@FILE_OPTION
@click.argument("ox_fields", nargs=-1)
def mapping_reset(path: Path | None, ox_fields: tuple[str, ...]) -> None:
    """Back to the built-in default for OX_FIELDS (all fields if none are named)."""
    file = mapping_file_from_env(path)
    if not ox_fields:  # also the way out of a file that no longer loads
        file.save({})
        click.echo(f"reset every field to the default. {AFTER_CHANGE}")
        return
    overrides = _load_overrides(file)
    unknown = [f for f in ox_fields if f not in overrides]
    if unknown:
        raise click.ClickException(f"no override for {', '.join(unknown)} in {file.path}")
    for ox in ox_fields:
        del overrides[ox]
    file.save(overrides)
    click.echo(f"reset {', '.join(ox_fields)} to the default. {AFTER_CHANGE}")


if __name__ == "__main__":
    main()
