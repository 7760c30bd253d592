"""``ox-connector``: the provisioning connector's command line."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from importlib.metadata import version
from pathlib import Path

import click

from . import logs
from .config import ConfigError, Settings
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
            result = run_queue(connector.reconciler, settings.queue_dir)
    except AlreadyRunning as exc:
        log.info("already running", extra={"detail": str(exc)})
        sys.exit(EXIT_OK)
    except RunFailed:
        sys.exit(EXIT_FAILED)  # logged with file, DN and reason where it happened
    except (QueueError, LockError, StateError, ReconcileError, OSError) as exc:
        log.error("run failed", extra={"error": str(exc)})
        sys.exit(EXIT_FAILED)
    log.info("run finished", extra={"applied": result.applied,
                                    "files_removed": result.files_removed,
                                    "held": result.held})


if __name__ == "__main__":
    main()
