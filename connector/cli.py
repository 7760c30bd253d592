"""``ox-connector``: the provisioning connector's command line."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
from importlib.metadata import version
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from . import logs
from .config import APP_DATA, MAPPING_FILE_NAME, ConfigError, Settings
from .desired import mapping
from .queue import AlreadyRunning, LockError, QueueError, run_lock
from .reconcile import ReconcileError
from .run import RunFailed, open_connector, run_queue
from .state.store import StateError

log = logging.getLogger("ox_connector")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


@click.group()
@click.version_option(version("ox-connector"), prog_name="ox-connector")
def main() -> None:
    """Keep Open-Xchange App Suite in step with the UCS directory."""


def load_settings(**overrides: Path | None) -> Settings:
    """Settings from the environment (App Center names), command-line paths on top.
    A wrong setting ends the program with every problem listed."""
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        logs.setup("INFO", sys.stderr)
        log.error("invalid settings", extra={"problems": exc.problems})
        click.echo(str(exc), err=True)
        sys.exit(EXIT_CONFIG)
    settings = dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v})
    logs.setup(settings.log_level, sys.stderr)
    return settings


@main.command()
@click.option("--queue-dir", type=click.Path(path_type=Path),
              help="Queue of converter JSON files [env OX_CONNECTOR_QUEUE_DIR].")
@click.option("--state-dir", type=click.Path(path_type=Path),
              help="State store, access profiles, WSDL cache [env OX_CONNECTOR_STATE_DIR].")
def run(queue_dir: Path | None, state_dir: Path | None) -> None:
    """Apply the queued changes until the queue is empty (the App Center trigger).

    Exit 0 when done (or when another run is already busy), 1 when a change failed (its
    file stays queued and is retried next time), 2 for wrong settings.
    """
    settings = load_settings(queue_dir=queue_dir, state_dir=state_dir)
    try:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        with open_connector(settings) as connector, run_lock(connector.lock_path):
            log.info("run started", extra={"queue_dir": str(settings.queue_dir)})
            result = run_queue(connector.reconciler, settings.queue_dir,
                               stop_on_error=settings.stop_on_error,
                               backoff=(settings.retry_first, settings.retry_max))
    except AlreadyRunning as exc:
        log.info("already running", extra={"detail": str(exc)})
        sys.exit(EXIT_OK)
    except ConfigError as exc:
        log.error("invalid settings", extra={"problems": exc.problems})
        click.echo(str(exc), err=True)
        sys.exit(EXIT_CONFIG)
    except RunFailed:
        sys.exit(EXIT_FAILED)  # logged with file, DN and reason where it happened
    except (QueueError, LockError, StateError, ReconcileError, OSError) as exc:
        log.error("run failed", extra={"error": str(exc)})
        sys.exit(EXIT_FAILED)
    log.info("run finished", extra={"applied": result.applied,
                                    "files_removed": result.files_removed,
                                    "held": result.held})


def mapping_file_from_env(path: Path | None) -> mapping.MappingFile:
    """The mapping file: --file, else OX_ATTRIBUTE_MAPPING_FILE, else in the state dir
    (no OX settings needed to edit it)."""
    if path is None:
        configured = os.environ.get("OX_ATTRIBUTE_MAPPING_FILE", "").strip()
        state_dir = os.environ.get("OX_CONNECTOR_STATE_DIR", "").strip() or APP_DATA
        path = Path(configured) if configured else Path(state_dir) / MAPPING_FILE_NAME
    return mapping.MappingFile(path)


def _load_overrides(file: mapping.MappingFile) -> mapping.Overrides:
    try:
        return file.load()
    except mapping.MappingError as exc:
        raise click.ClickException(str(exc)) from None


FILE_OPTION = click.option("--file", "path", type=click.Path(path_type=Path),
                           help="Mapping file [env OX_ATTRIBUTE_MAPPING_FILE; default "
                                "<state dir>/AttributeMapping.json].")
AFTER_CHANGE = ("Users get the new mapping when they are next changed in UCS (or resynced).")


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
        rows.append({"ox": ox, "source": source,
                     **(mapping.entry_json(entry) if entry is not None else {"udm": None})})
    if as_json:
        click.echo(json.dumps({"file": str(file.path), "fields": rows}, indent=2))
        return
    table = Table(title=f"OX user field <- UDM property ({file.path})")
    for column in ("OX field", "UDM property", "index", "alternatives", "source"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["ox"], row["udm"] or "-", str(row.get("index", 0)),
                      ", ".join(row.get("alternatives", [])), row["source"])
    Console().print(table)


@mapping_group.command(name="set")
@FILE_OPTION
@click.argument("ox_field")
@click.argument("udm_property")
@click.option("--index", default=0, show_default=True, type=int,
              help="Which value of a multi-value property (0 = the first).")
@click.option("--alternative", "alternatives", multiple=True,
              help="UDM property tried when the first is empty (repeatable, in order).")
def mapping_set(path: Path | None, ox_field: str, udm_property: str, index: int,
                alternatives: tuple[str, ...]) -> None:
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
    overrides = _load_overrides(file)
    unknown = [f for f in ox_fields if f not in overrides]
    if unknown:
        raise click.ClickException(f"no override for {', '.join(unknown)} in {file.path}")
    for ox in ox_fields or list(overrides):
        del overrides[ox]
    file.save(overrides)
    click.echo(f"reset {', '.join(ox_fields) or 'every field'} to the default. {AFTER_CHANGE}")


if __name__ == "__main__":
    main()
