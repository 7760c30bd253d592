"""``ox-emulator``: run the OX SOAP emulator, or print one of its WSDLs."""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import sys
import threading

import click
import uvicorn

from connector import logs
from connector.contract import SERVICES

from .app import Emulator
from .controls import Controls
from .rules import GROUP_NAME_CHARS, USER_NAME_CHARS
from .settings import OXSettings
from .store import Store
from .web import create_app
from .wsdl import render_wsdl

log = logging.getLogger("ox_emulator")


@click.group()
def main() -> None:
    """An Open-Xchange admin SOAP API emulator (contexts, users, groups, resources,
    secondary accounts, user copy) for tests, demos and migration rehearsals."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="0 picks a free port (the log line 'listening' names it).",
)
@click.option(
    "--db",
    "db_path",
    default=":memory:",
    show_default=True,
    help="SQLite file holding the OX state (:memory: keeps nothing).",
)
@click.option("--master-login", default="oxadminmaster", show_default=True)
@click.option(
    "--master-password",
    envvar="OX_EMULATOR_MASTER_PASSWORD",
    required=True,
    help="Password of the master admin (or env OX_EMULATOR_MASTER_PASSWORD).",
)
@click.option(
    "--latency-ms",
    default=0.0,
    type=click.FloatRange(0, 60_000),
    help="Delay added to every SOAP call that reads (get*, list*, exists*); to writes too "
    "unless --write-latency-ms is given.",
)
@click.option(
    "--write-latency-ms",
    default=None,
    type=click.FloatRange(0, 60_000),
    help="Delay added to every SOAP call that changes OX (every operation not named get*, "
    "list* or exists*: create*, change*, delete*, update, copyUser, ...). Default: as "
    "--latency-ms.",
)
@click.option(
    "--fault-rate",
    default=0.0,
    type=click.FloatRange(0, 1),
    help="Share of calls answered with OX's transient 'database is being updated'.",
)
@click.option("--username-changeable", is_flag=True, help="OX USERNAME_CHANGEABLE=true.")
@click.option(
    "--no-unique-display-names",
    is_flag=True,
    help="com.openexchange.user.enforceUniqueDisplayName=false.",
)
@click.option(
    "--master-account-override",
    is_flag=True,
    help="MASTER_ACCOUNT_OVERRIDE=true: the master admin may act in any context.",
)
@click.option("--primary-mail-unchangeable", is_flag=True, help="PRIMARY_MAIL_UNCHANGEABLE=true.")
@click.option(
    "--user-name-chars",
    default=USER_NAME_CHARS,
    show_default=True,
    help="Characters allowed in user names (CHECK_USER_UID_REGEXP class).",
)
@click.option(
    "--group-name-chars",
    default=GROUP_NAME_CHARS,
    show_default=True,
    help="Characters allowed in group and resource names.",
)
@click.option(
    "--watch-stdin",
    is_flag=True,
    help="Stop when standard input reaches its end: the process that started the emulator "
    "with a pipe there has ended (tests, the demo), however it ended.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def serve(
    host,
    port,
    db_path,
    master_login,
    master_password,
    latency_ms,
    write_latency_ms,
    fault_rate,
    username_changeable,
    no_unique_display_names,
    master_account_override,
    primary_mail_unchangeable,
    user_name_chars,
    group_name_chars,
    watch_stdin,
    log_level,
) -> None:
    """Serve the OX admin SOAP services at http://HOST:PORT/webservices/<Service>."""
    logs.setup(log_level, own=("ox_emulator",))
    settings = OXSettings(
        master_login=master_login,
        master_password=master_password,
        username_changeable=username_changeable,
        unique_display_names=not no_unique_display_names,
        master_account_override=master_account_override,
        primary_mail_unchangeable=primary_mail_unchangeable,
        user_name_chars=user_name_chars,
        group_name_chars=group_name_chars,
    )
    # Bind and listen before saying "listening", so that --port 0 can name the port and a
    # client that connects at once is queued, not refused; and before the database is
    # opened, so that a port in use leaves nothing behind.
    sock = listen(host, port)
    bound_port = sock.getsockname()[1]
    try:
        store = Store(db_path)
    except Exception as exc:
        sock.close()
        raise click.ClickException(f"cannot open emulator database {db_path}: {exc}") from exc
    controls = Controls(
        latency_ms=latency_ms, fault_rate=fault_rate, write_latency_ms=write_latency_ms
    )
    emulator = Emulator(store, settings, controls)
    # uvicorn (httptools, uvloop): measured 0.19 ms server CPU per request here, against
    # 0.49 for waitress and 0.93 for Werkzeug's development server.
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(emulator),
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
            server_header=False,
        )
    )
    log.info(
        "listening",
        extra={
            "url": f"http://{host}:{bound_port}/webservices/",
            "db": db_path,
            "port": bound_port,
        },
    )
    # uvicorn catches SIGTERM/SIGINT, finishes open requests, then re-raises the signal to
    # the handler that was there before: make that one a no-op so the process exits 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    if watch_stdin:
        threading.Thread(target=_stop_at_end_of_stdin, args=(server,), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        store.close()
        log.info("stopped")


def _stop_at_end_of_stdin(server: uvicorn.Server) -> None:
    """Read standard input to its end, then stop the server as SIGTERM would. The parent
    holds the only write end of the pipe: when it exits, even killed with SIGKILL, the
    kernel closes it, so an emulator never outlives the process that started it."""
    fd = sys.stdin.fileno()
    # os.read, not sys.stdin.buffer: a daemon thread blocked inside the buffered reader
    # holds its lock, and the interpreter aborts at exit when it cannot take it.
    while os.read(fd, 4096):
        pass
    log.info("standard input closed: stopping")
    server.should_exit = True


def listen(host: str, port: int) -> socket.socket:
    """A listening socket; a port in use or an address that cannot be bound ends the
    program with one line naming it (exit 2), not a traceback."""
    try:
        return socket.create_server((host, port), backlog=128)
    except OSError as exc:
        why = {
            errno.EADDRINUSE: "the address is already in use (another process listens "
            "there: choose another --port, or --port 0 for a free one)",
            errno.EACCES: "permission denied (ports below 1024 need privileges)",
            errno.EADDRNOTAVAIL: "no such address on this machine (--host)",
        }.get(exc.errno or 0, exc.strerror or str(exc))
        click.echo(f"Error: cannot listen on {host}:{port}: {why}", err=True)
        sys.exit(2)


@main.command()
@click.argument("service", type=click.Choice(sorted(SERVICES)))
@click.option(
    "--address", help="soap:address location (default http://localhost/webservices/SERVICE)."
)
def wsdl(service: str, address: str | None) -> None:
    """Print the WSDL of SERVICE."""
    sys.stdout.buffer.write(
        render_wsdl(service, address or f"http://localhost/webservices/{service}")
    )


if __name__ == "__main__":
    main()
