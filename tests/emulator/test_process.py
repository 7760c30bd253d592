"""The ox-emulator process: persistence across restarts, clean SIGTERM, OX switches."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time

import pytest

from ox_emulator.process import EmulatorProcess

from ..oxclient import OX, new_context, raises_fault


def start(tmp_path, *args: str, db: str = ":memory:") -> EmulatorProcess:
    return EmulatorProcess(
        secrets.token_urlsafe(12),
        db=db,
        extra_args=list(args),
        log_path=tmp_path / f"emulator-{secrets.token_hex(4)}.log",
    ).start()


def connect(proc: EmulatorProcess) -> OX:
    return OX(proc.url, {"login": "oxadminmaster", "password": proc.master_password})


def test_state_survives_a_restart_and_sigterm_stops_cleanly(tmp_path):
    db = str(tmp_path / "ox.sqlite")
    proc = start(tmp_path, db=db)
    ox = connect(proc)
    ctx = new_context(ox, id=77)
    user = ctx.create_user("persisted", company="Kept GmbH")
    assert proc.stop() == 0
    records = [json.loads(line) for line in proc.log_path.read_text().splitlines()]
    assert records[-1]["msg"] == "stopped"
    assert all(proc.master_password not in line for line in proc.log_path.read_text().splitlines())

    proc = EmulatorProcess(proc.master_password, db=db, log_path=tmp_path / "second.log").start()
    try:
        ox = connect(proc)
        ctx.ox = ox
        got = ctx.get_user(id=user.id)
        assert (got.name, got.company) == ("persisted", "Kept GmbH")
        # the id sequence continues where it was
        assert ctx.create_user("next").id == user.id + 1
    finally:
        proc.stop()


def test_wrong_master_password_after_restart_is_refused(tmp_path):
    proc = start(tmp_path)
    try:
        ox = connect(proc)
        ox.master = {"login": "oxadminmaster", "password": "guess"}
        raises_fault("Authentication failed", ox.context.listAll, auth=ox.master)
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def switched(tmp_path_factory):
    """One emulator with every non-default OX switch on."""
    tmp = tmp_path_factory.mktemp("switched")
    proc = start(
        tmp,
        "--username-changeable",
        "--no-unique-display-names",
        "--master-account-override",
        "--primary-mail-unchangeable",
        "--user-name-chars",
        "a-z0-9 ",
    )
    try:
        yield connect(proc)
    finally:
        proc.stop()


def test_default_switches_are_oxs(ox, ctx):
    ctx.create_user("same1", display_name="Same Name")
    raises_fault(
        "The displayname is already used", ctx.create_user, "same2", display_name="Same Name"
    )
    raises_fault(
        "Changing username is disabled!",
        ox.user.change,
        ctx=ctx.ref,
        usrdata={"id": 2, "name": "renamed"},
        auth=ctx.admin,
    )
    raises_fault(
        "Authentication failed", ox.user.list, ctx=ctx.ref, search_pattern="*", auth=ox.master
    )


def test_username_changeable(switched):
    ctx = new_context(switched)
    user = ctx.create_user("before")
    ctx.create_user("taken")
    switched.user.change(ctx=ctx.ref, usrdata={"id": user.id, "name": "after"}, auth=ctx.admin)
    assert ctx.get_user(id=user.id).name == "after"
    raises_fault(
        "User taken already exists in this context",
        switched.user.change,
        ctx=ctx.ref,
        usrdata={"id": user.id, "name": "taken"},
        auth=ctx.admin,
    )


def test_display_names_need_not_be_unique(switched):
    ctx = new_context(switched)
    ctx.create_user("one", display_name="Twin")
    assert ctx.create_user("two", display_name="Twin").display_name == "Twin"


def test_master_account_override(switched):
    ctx = new_context(switched)
    user = switched.user.create(
        ctx=ctx.ref,
        usrdata={
            "name": "bymaster",
            "display_name": "By Master",
            "password": "x",
            "given_name": "B",
            "sur_name": "M",
            "primaryEmail": "bymaster@example.org",
            "email1": "bymaster@example.org",
        },
        auth=switched.master,
    )
    assert user.name == "bymaster"
    raises_fault(
        "Context 999999 does not exist",
        switched.user.list,
        ctx={"id": 999999},
        search_pattern="*",
        auth=switched.master,
    )


def test_primary_mail_unchangeable(switched):
    ctx = new_context(switched)
    user = ctx.create_user("fixed")
    raises_fault(
        "primary mail must not be changed",
        switched.user.change,
        ctx=ctx.ref,
        usrdata={
            "id": user.id,
            "primaryEmail": "new@example.org",
            "email1": "new@example.org",
            "aliases": ["new@example.org", "fixed@example.org"],
        },
        auth=ctx.admin,
    )


def test_allowed_user_name_characters(switched):
    ctx = new_context(switched)
    assert ctx.create_user("with space", mail="spaced@example.org").name == "with space"
    raises_fault('Illegal chars: "_"', ctx.create_user, "under_score")


def test_serve_on_a_port_in_use_says_so_and_exits_2(tmp_path):
    """No bare traceback: one line naming the address, exit 2 (a usage problem)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "ox_emulator.cli", "serve", "--port", str(port)],
            env={**os.environ, "OX_EMULATOR_MASTER_PASSWORD": "pw"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"127.0.0.1:{port}" in result.stderr and "in use" in result.stderr, result.stderr


def test_latency_switches_set_read_and_write_latency(tmp_path):
    proc = start(tmp_path, "--latency-ms", "5", "--write-latency-ms", "250")
    try:
        assert proc.control("faults", {})["latency_ms"] == 5
        assert proc.control("faults", {})["write_latency_ms"] == 250
        ctx = new_context(connect(proc))  # OXContextService.create: a write
        started = time.perf_counter()
        ctx.create_user("slow")
        assert time.perf_counter() - started >= 0.25
    finally:
        proc.stop()
    proc = start(tmp_path, "--latency-ms", "5")
    try:  # without --write-latency-ms, writes wait as reads
        assert proc.control("faults", {})["write_latency_ms"] is None
    finally:
        proc.stop()
