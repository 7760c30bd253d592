"""Operations (issue 6): the error strategies (stop mode with back-off, continue mode with
dead letters, transient errors), and the commands ``queue``, ``errors``, ``resync``,
``check`` and ``health``. The commands run as the real program in a child process against
the emulator over HTTP; OX is changed and read back through the reference zeep clients."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from connector.queue import run_lock
from connector.run import RunFailed, open_connector, run_queue
from connector.run.wiring import LOCK_FILE, STATE_DB
from connector.state.operations import Operations
from connector.state.store import StateStore

from .harness import BASE, Harness, finished, group_dn, log_records, ready, user_dn

FA_TYPE = "oxmail/functional_account"
FA_DN = f"cn=helpdesk,cn=functional_accounts,cn=open-xchange,{BASE}"
FA_ADDRESS = "helpdesk@example.org"
CREATE = "OXUserService.createByModuleAccess"
DB_UPDATE = "Database is locked or is now being updated, please try again later"


pytestmark = pytest.mark.usefixtures("clean_faults")


# -- helpers ----------------------------------------------------------------------------------


def cli(
    harness: Harness, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """``ox-connector <args>`` in a child process with the harness's settings."""
    full = {**os.environ, **harness.env(), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def as_json(result: subprocess.CompletedProcess):
    assert "Traceback" not in result.stderr, result.stderr
    try:
        return json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"not JSON on stdout: {result.stdout!r}\nstderr: {result.stderr}")


def errors_logged(stderr: str) -> list[dict]:
    return [r for r in log_records(stderr) if r["level"] in ("error", "critical")]


def fail_next(harness: Harness, operation: str = CREATE, count: int = 1, **fault) -> None:
    if not fault:
        fault = {"kind": "StorageException", "message": "disk full"}
    harness.emulator.control(
        "faults", {"fail_next": [{"operation": operation, "count": count, **fault}]}
    )


def unreadable(harness: Harness, text: str = "this is not JSON") -> Path:
    path = harness.queue / f"2026-11-27-10-00-00-{next(harness._seq):06d}.json"
    path.write_text(text)
    return path


def letters(harness: Harness) -> list[dict]:
    """``errors list --json``."""
    result = cli(harness, "errors", "list", "--json")
    assert result.returncode == 0, result.stderr
    return as_json(result)


def stored_failure(harness: Harness):
    """The failure the queue waits on (stop mode), from the state store."""
    store = StateStore(harness.state / STATE_DB)
    try:
        return Operations(store).current_failure()
    finally:
        store.close()


def stored_letters(harness: Harness) -> list[dict]:
    """The dead letters read from the state store in this process (quicker than the
    command, for the steps in between)."""
    store = StateStore(harness.state / STATE_DB)
    try:
        return [d.summary() for d in Operations(store).dead_letters()]
    finally:
        store.close()


def health(harness: Harness, *args: str) -> tuple[int, dict]:
    result = cli(harness, "health", "--json", *args)
    return result.returncode, as_json(result)


def metrics(path: Path) -> dict[str, float]:
    """The gauges of a Prometheus text file: name -> value."""
    out = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            out[sample.name] = sample.value
    return out


def user_id(harness: Harness, cid: int, name: str) -> int:
    return harness.ox_user(cid, name).id


def object_id(harness: Harness, dn: str) -> str:
    return harness.ids[dn.lower()]


# -- stop mode: back-off ------------------------------------------------------------------------


def test_stop_mode_keeps_the_file_and_a_run_within_the_backoff_is_quiet(harness):
    harness.extra_env["OX_CONNECTOR_RETRY_FIRST"] = "30"
    cid = ready(harness)
    bad = harness.user("otto", cid)
    later = harness.user("lena", cid)
    fail_next(harness)
    result = cli(harness, "run")
    assert result.returncode == 1, result.stderr
    assert harness.pending() == [bad.name, later.name]
    assert harness.ox_user_names(cid) == set()
    failed = [r for r in errors_logged(result.stderr) if r.get("file") == bad.name]
    assert len(failed) == 1, result.stderr
    assert "disk full" in failed[0]["error"]
    assert failed[0]["dn"] == user_dn("otto")
    assert (failed[0]["attempts"], failed[0]["retry_in_s"]) == (1, 30)

    # the next trigger, inside the back-off: no OX call, no error line, done at once
    harness.reset_calls()
    started = time.monotonic()
    again = cli(harness, "run")
    took = time.monotonic() - started
    assert again.returncode == 1, again.stderr
    assert "Traceback" not in again.stderr
    assert harness.calls() == {}
    assert errors_logged(again.stderr) == [], again.stderr
    assert took < 15
    assert harness.pending() == [bad.name, later.name]


def test_backoff_doubles_up_to_the_bound_and_logs_once_per_attempt(harness, caplog):
    cid = ready(harness)
    path = harness.user("otto", cid)
    fail_next(harness, count=5)
    waits = [5, 10, 20, 40, 40]  # first 5 s, doubling, bound 40 s
    clock = {"t": 1_000_000.0}
    with open_connector(harness.settings()) as connector:
        ops = Operations(connector.deps.store)

        def run():
            return run_queue(
                connector.reconciler,
                harness.queue,
                stop_on_error=True,
                now=lambda: clock["t"],
                backoff=(5, 40),
            )

        for attempt, wait in enumerate(waits, 1):
            caplog.clear()
            harness.reset_calls()
            with caplog.at_level(logging.INFO), pytest.raises(RunFailed) as failed:
                run()
            assert not failed.value.waiting
            assert harness.calls().get(CREATE) == 1
            errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
            assert len(errors) == 1, [r.getMessage() for r in errors]
            assert errors[0].file == path.name
            assert (errors[0].attempts, errors[0].retry_in_s) == (attempt, wait)
            failure = ops.current_failure()
            assert failure.file == path.name and failure.attempts == attempt
            assert failure.last_attempt == clock["t"]
            assert failure.next_attempt == clock["t"] + wait
            assert ops.status()["consecutive_errors"] == attempt

            # triggers within the back-off: nothing tried, nothing logged at error level
            for step in (0.0, wait / 2, wait - 0.5):
                waited = clock["t"] + step
                caplog.clear()
                harness.reset_calls()
                with caplog.at_level(logging.INFO), pytest.raises(RunFailed) as waiting:
                    run_queue(
                        connector.reconciler,
                        harness.queue,
                        stop_on_error=True,
                        now=lambda w=waited: w,
                        backoff=(5, 40),
                    )
                assert waiting.value.waiting and waiting.value.path == path
                assert harness.calls() == {}
                assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
            assert ops.status()["consecutive_errors"] == attempt  # waiting is no new error
            clock["t"] += wait

        # the back-off ran out and the fault is gone: applied, the failure record cleared
        caplog.clear()
        with caplog.at_level(logging.INFO):
            result = run()
        assert result.applied == 1
        assert ops.current_failure() is None
        assert ops.status()["consecutive_errors"] == 0
        assert ops.status()["last_success"] == clock["t"]
        recovered = [
            r for r in caplog.records if r.getMessage() == "applied after earlier failures"
        ]
        assert len(recovered) == 1 and recovered[0].attempts == len(waits) + 1
    assert harness.pending() == []
    assert harness.ox_user_names(cid) == {"otto"}


def test_a_newer_file_for_the_waiting_object_is_tried_at_once(harness):
    harness.extra_env["OX_CONNECTOR_RETRY_FIRST"] = "300"
    cid = ready(harness)
    bad = harness.user("otto", cid, birthday="31.02.1990")
    result = cli(harness, "run")
    assert result.returncode == 1, result.stderr
    assert harness.pending() == [bad.name]
    failure = stored_failure(harness)
    assert failure.file == bad.name and failure.next_attempt - failure.last_attempt == 300
    # the fix arrives: the newer file replaces the waiting one, no back-off wait
    fixed = harness.user("otto", cid, oxDisplayName="Otto Fixed")
    started = time.monotonic()
    result = cli(harness, "run")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 30
    assert harness.pending() == []
    assert not bad.exists() and not fixed.exists()
    assert harness.ox_user(cid, "otto").display_name == "Otto Fixed"
    assert stored_failure(harness) is None


WAITING = "waiting for the back-off of a failed file"


def waiting_lines(stderr: str) -> list[dict]:
    return [r for r in log_records(stderr) if r["msg"] == WAITING]


def stored_failure_row(harness: Harness) -> dict:
    store = StateStore(harness.state / STATE_DB)
    try:
        return dict(store.db.execute("SELECT * FROM failures").fetchone())
    finally:
        store.close()


def test_a_waiting_run_says_why_and_a_settings_fix_is_tried_at_once(harness):
    """A wrong master password: the run fails and backs off. The next trigger logs at
    INFO which file it waits for, why and how long (once); after the password is fixed,
    the next trigger tries at once instead of waiting out the back-off."""
    harness.extra_env["OX_CONNECTOR_RETRY_FIRST"] = "300"
    ready(harness)
    right = harness.emulator.master_password
    harness.extra_env["OX_MASTER_PASSWORD"] = "a-wrong-master-password"
    new = harness.context()
    path = harness.queue / harness.pending()[0]
    result = cli(harness, "run")
    assert result.returncode == 1, result.stderr
    (failed,) = [r for r in errors_logged(result.stderr) if r.get("file") == path.name]
    assert "Authentication failed" in failed["error"]
    assert "OX_MASTER_PASSWORD" in failed["hint"] and "run --now" in failed["hint"]
    row = stored_failure_row(harness)
    assert row["file"] == path.name and re.fullmatch(r"[0-9a-f]{64}", row["settings_hash"])
    assert all("a-wrong-master-password" not in str(v) for v in row.values())

    # the same settings: the next trigger waits, calls nothing, and says so once at INFO
    harness.reset_calls()
    again = cli(harness, "run")
    assert again.returncode == 1, again.stderr
    assert harness.calls() == {}
    assert errors_logged(again.stderr) == []
    (line,) = waiting_lines(again.stderr)
    assert line["level"] == "info" and line["file"] == path.name
    assert "Authentication failed" in line["error"] and line["attempts"] == 1
    assert 250 < line["retry_in_s"] <= 300
    assert "run --now" in line["hint"] and f"queue skip {path.name}" in line["hint"]

    # the fix: another settings hash, tried at once
    harness.extra_env["OX_MASTER_PASSWORD"] = right
    fixed = cli(harness, "run")
    assert fixed.returncode == 0, fixed.stderr
    assert waiting_lines(fixed.stderr) == []
    assert any(
        r["msg"] == "the settings changed since the last failure: trying at once"
        for r in log_records(fixed.stderr)
    )
    assert harness.pending() == []
    assert new in [c.id for c in harness.ox.context.listAll(auth=harness.ox.master)]
    assert stored_failure(harness) is None


def test_run_now_skips_the_backoff(harness):
    harness.extra_env["OX_CONNECTOR_RETRY_FIRST"] = "300"
    cid = ready(harness)
    otto = harness.user("otto", cid)
    fail_next(harness)
    assert cli(harness, "run").returncode == 1
    waiting = cli(harness, "run")
    assert waiting.returncode == 1 and len(waiting_lines(waiting.stderr)) == 1
    now = cli(harness, "run", "--now")
    assert now.returncode == 0, now.stderr
    assert not otto.exists() and harness.ox_user_names(cid) == {"otto"}
    assert stored_failure(harness) is None


# -- queue skip ------------------------------------------------------------------------------------


def test_queue_skip_sets_a_stuck_file_aside_as_a_dead_letter(harness):
    harness.extra_env["OX_CONNECTOR_RETRY_FIRST"] = "300"
    cid = ready(harness)
    bad = harness.user("otto", cid, birthday="31.02.1990")  # can never succeed
    later = harness.user("lena", cid)
    result = cli(harness, "run")
    assert result.returncode == 1, result.stderr
    (failed,) = [r for r in errors_logged(result.stderr) if r.get("file") == bad.name]
    assert f"ox-connector queue skip {bad.name}" in failed["hint"]
    code, figures = health(harness)
    assert code == 2 and f"ox-connector queue skip {bad.name}" in figures["hint"]
    text = cli(harness, "health")
    assert text.returncode == 2 and f"ox-connector queue skip {bad.name}" in text.stdout

    # while a run holds the lock: refused, nothing moved
    with run_lock(harness.state / LOCK_FILE):
        busy = cli(harness, "queue", "skip", bad.name)
    assert busy.returncode == 1 and "run" in busy.stderr and "Traceback" not in busy.stderr
    assert harness.pending() == [bad.name, later.name]
    # names that are not queue files: refused, nothing moved
    for name in ("2000-01-01-00-00-00-000000.json", "../data/ox-connector.sqlite"):
        refused = cli(harness, "queue", "skip", bad.name, name)
        assert refused.returncode == 1 and name in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert harness.pending() == [bad.name, later.name]

    skipped = cli(harness, "queue", "skip", bad.name)
    assert skipped.returncode == 0, skipped.stderr
    assert bad.name in skipped.stdout
    assert harness.pending() == [later.name]
    assert stored_failure(harness) is None
    (letter,) = letters(harness)
    assert letter["file"] == bad.name and letter["error"] == "skipped by the administrator"
    assert letter["dn"] == user_dn("otto") and letter["udm_object_type"] == "users/user"
    assert letter["object_id"] == object_id(harness, user_dn("otto"))
    code, figures = health(harness)
    assert code == 1 and figures["waiting_on"] is None and figures["dead_letters"] == 1

    # the queue moves on at once (no back-off left)
    result = cli(harness, "run")
    assert result.returncode == 0, result.stderr
    assert harness.ox_user_names(cid) == {"lena"}

    # errors show and retry work on it
    shown = as_json(cli(harness, "errors", "show", str(letter["id"])))
    assert shown["change"]["object"]["birthday"] == "31.02.1990"
    assert cli(harness, "errors", "retry", str(letter["id"])).returncode == 0
    assert harness.pending() == [bad.name]

    # an unreadable file can be skipped too
    broken = unreadable(harness)
    skipped = cli(harness, "queue", "skip", broken.name, bad.name)
    assert skipped.returncode == 0, skipped.stderr
    assert harness.pending() == []
    by_file = {d["file"]: d for d in letters(harness)}
    assert by_file[broken.name]["object_id"] is None
    assert by_file[broken.name]["error"] == "skipped by the administrator"
    assert by_file[bad.name]["attempts"] == 2  # retried once, so it keeps counting


# -- continue mode: dead letters ------------------------------------------------------------------


def test_continue_mode_sets_failing_changes_aside_and_goes_on(harness):
    harness.extra_env["OX_CONNECTOR_STOP_ON_ERROR"] = "false"
    cid = ready(harness)
    otto = harness.user("otto", cid)  # the first create: the injected StorageException
    bday = harness.user("bday", cid, birthday="31.02.1990")
    broken = unreadable(harness)
    fine = harness.user("fine", cid)
    room = harness.resource("room", cid)
    fail_next(harness)
    before = time.time()
    result = cli(harness, "run")
    after = time.time()
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert harness.pending() == []
    assert harness.ox_user_names(cid) == {"fine"}
    assert set(harness.ox_resources(cid)) == {"room"}
    assert finished(result.stderr)["dead_lettered"] == 3
    assert not any(p.exists() for p in (otto, bday, broken, fine, room))

    found = {d["file"]: d for d in letters(harness)}
    assert set(found) == {otto.name, bday.name, broken.name}
    for letter in found.values():
        assert letter["attempts"] == 1
        assert before - 1 <= letter["failed_at"] <= after + 1
    assert "disk full" in found[otto.name]["error"]
    assert found[otto.name]["dn"] == user_dn("otto")
    assert found[otto.name]["object_id"] == object_id(harness, user_dn("otto"))
    assert found[otto.name]["udm_object_type"] == "users/user"
    assert "birthday" in found[bday.name]["error"]
    assert found[bday.name]["dn"] == user_dn("bday")
    assert "JSON" in found[broken.name]["error"]
    assert found[broken.name]["dn"] is None
    logged = {r["file"] for r in errors_logged(result.stderr) if r.get("file")}
    assert {otto.name, bday.name, broken.name} <= logged

    # a later change of the same object waits behind its dead letter: not applied
    otto2 = harness.user("otto", cid, oxDisplayName="Otto Two")
    harness.user("other", cid)
    result = cli(harness, "run")
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []
    assert harness.ox_user_names(cid) == {"fine", "other"}
    now = stored_letters(harness)
    assert [d["file"] for d in now][-1] == otto2.name
    behind = now[-1]
    first = found[otto.name]
    assert behind["id"] > first["id"] and behind["dn"] == user_dn("otto")
    assert f"dead letter {first['id']}" in behind["error"]
    assert finished(result.stderr)["dead_lettered"] == 1


def test_continue_mode_never_parks_a_holder_whose_change_cannot_run(harness):
    """The resource's next change waits behind its own dead letter, so it will not run in
    this run: a user claiming the address it gives up is set aside, the resource keeps it
    (parking it would leave it on a temporary address until an operator steps in)."""
    harness.extra_env["OX_CONNECTOR_STOP_ON_ERROR"] = "false"
    cid = ready(harness)
    harness.resource("beamer", cid, resourceMailAddress="beamer@example.org")
    harness.run()
    harness.resource("beamer", cid, resourceMailAddress="beamer@example.org", description="x")
    fail_next(harness, "OXResourceService.change")
    assert cli(harness, "run").returncode == 0
    assert len(letters(harness)) == 1
    bea = harness.user("bea", cid, mailPrimaryAddress="beamer@example.org")
    harness.resource("beamer", cid, resourceMailAddress="projector@example.org")
    result = cli(harness, "run")
    assert result.returncode == 0, result.stderr
    assert harness.ox_resources(cid)["beamer"].email == "beamer@example.org"
    assert "bea" not in harness.ox_user_names(cid)
    found = {d["file"]: d for d in letters(harness)}
    assert "cn=beamer" in found[bea.name]["error"], found[bea.name]


@pytest.mark.parametrize(
    "fault, reason",
    [
        ({"http_status": 503}, "503"),
        ({"kind": "DatabaseUpdateException", "message": DB_UPDATE}, "being updated"),
        (
            {"kind": "InvalidCredentialsException", "message": "Authentication failed"},
            "Authentication failed",
        ),
    ],
    ids=["http-503", "database-update", "authentication"],
)
def test_transient_errors_stop_the_run_in_continue_mode(harness, fault, reason):
    harness.extra_env["OX_CONNECTOR_STOP_ON_ERROR"] = "false"
    cid = ready(harness)
    otto = harness.user("otto", cid)
    lena = harness.user("lena", cid)
    fail_next(harness, **fault)
    result = cli(harness, "run")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert harness.pending() == [otto.name, lena.name]
    assert stored_letters(harness) == []
    assert harness.ox_user_names(cid) == set()
    failed = [r for r in errors_logged(result.stderr) if r.get("file") == otto.name]
    assert failed and reason in failed[0]["error"], result.stderr
    # the next run (OX is back) applies both
    harness.run()
    assert harness.pending() == []
    assert harness.ox_user_names(cid) == {"otto", "lena"}
    assert stored_letters(harness) == []


# -- errors list|show|retry|remove ------------------------------------------------------------


def test_errors_commands(harness):
    harness.extra_env["OX_CONNECTOR_STOP_ON_ERROR"] = "false"
    cid = ready(harness)
    otto1 = harness.user("otto", cid, oxDisplayName="Otto One")
    bday = harness.user("bday", cid, birthday="31.02.1990")
    fail_next(harness)
    harness.run()
    otto2 = harness.user("otto", cid, oxDisplayName="Otto Two")
    harness.run()
    listed = letters(harness)
    assert [d["file"] for d in listed] == [otto1.name, bday.name, otto2.name]
    a, b, c = (d["id"] for d in listed)

    # show
    result = cli(harness, "errors", "show", str(a))
    assert result.returncode == 0, result.stderr
    shown = as_json(result)
    assert (shown["id"], shown["file"], shown["attempts"]) == (a, otto1.name, 1)
    assert "disk full" in shown["error"]
    assert shown["change"]["dn"] == user_dn("otto")
    assert shown["change"]["object"]["oxDisplayName"] == "Otto One"
    for command in ("show", "retry"):
        result = cli(harness, "errors", command, "9999")
        assert result.returncode != 0, (command, result.stdout)
        assert "no dead letter 9999" in result.stderr, (command, result.stderr)
        assert "Traceback" not in result.stderr
    assert [d["id"] for d in stored_letters(harness)] == [a, b, c]

    # retry one letter: the object's later letter comes back with it, in order
    result = cli(harness, "errors", "retry", str(a))
    assert result.returncode == 0, result.stderr
    assert otto1.name in result.stdout and otto2.name in result.stdout
    assert bday.name not in result.stdout
    assert harness.pending() == [otto1.name, otto2.name]
    assert json.loads(otto2.read_text())["object"]["oxDisplayName"] == "Otto Two"
    assert [d["id"] for d in stored_letters(harness)] == [b]
    # it fails again: back to the dead letters, the attempt count grows
    fail_next(harness)
    harness.run()
    now = {d["file"]: d for d in stored_letters(harness)}
    assert set(now) == {otto1.name, bday.name, otto2.name}
    assert (now[otto1.name]["attempts"], now[otto2.name]["attempts"]) == (2, 2)
    assert now[bday.name]["attempts"] == 1
    assert "disk full" in now[otto1.name]["error"]
    assert "otto" not in harness.ox_user_names(cid)

    # retry --all: every letter back; without the fault otto goes through (newest wins),
    # bday fails again (attempt 2)
    result = cli(harness, "errors", "retry", "--all")
    assert result.returncode == 0, result.stderr
    assert harness.pending() == sorted([otto1.name, bday.name, otto2.name])
    assert stored_letters(harness) == []
    harness.run()
    assert harness.pending() == []
    assert harness.ox_user(cid, "otto").display_name == "Otto Two"
    left = stored_letters(harness)
    assert [(d["file"], d["attempts"]) for d in left] == [(bday.name, 2)]

    # remove
    result = cli(harness, "errors", "remove", str(left[0]["id"]))
    assert result.returncode == 0, result.stderr
    assert stored_letters(harness) == []
    assert harness.pending() == []


# -- queue list|show|stats -----------------------------------------------------------------------


def test_queue_commands(harness):
    cid = ready(harness)
    user = harness.user("anna", cid)
    gone = harness.delete("groups/group", group_dn("old"))
    broken = unreadable(harness, '{"id": "truncated')
    room = harness.resource("room", cid)
    old = time.time() - 1000
    os.utime(user, (old, old))
    harness.reset_calls()

    result = cli(harness, "queue", "list", "--json")
    assert result.returncode == 0, result.stderr
    items = as_json(result)
    assert [i["file"] for i in items] == [user.name, gone.name, broken.name, room.name]
    by = {i["file"]: i for i in items}
    assert (by[user.name]["udm_object_type"], by[user.name]["dn"], by[user.name]["action"]) == (
        "users/user",
        user_dn("anna"),
        "change",
    )
    assert (by[gone.name]["udm_object_type"], by[gone.name]["action"]) == ("groups/group", "delete")
    assert by[gone.name]["dn"] == group_dn("old")
    assert by[broken.name]["action"] == "unreadable" and by[broken.name]["dn"] is None
    assert by[broken.name]["error"]
    assert by[room.name]["udm_object_type"] == "oxresources/oxresources"
    assert 995 <= by[user.name]["age_s"] <= 1100
    assert by[room.name]["age_s"] < 100

    result = cli(harness, "queue", "show", user.name)
    assert result.returncode == 0, result.stderr
    assert as_json(result) == json.loads(user.read_text())
    result = cli(harness, "queue", "show", broken.name)
    assert result.returncode == 0, result.stderr
    assert as_json(result) == {"unreadable": '{"id": "truncated'}
    result = cli(harness, "queue", "show", "2000-01-01-00-00-00-000000.json")
    assert result.returncode == 1, result.stdout
    assert "not in the queue" in result.stderr and "Traceback" not in result.stderr

    result = cli(harness, "queue", "stats", "--json")
    assert result.returncode == 0, result.stderr
    stats = as_json(result)
    assert stats["pending"] == 4 and stats["unreadable"] == 1
    assert 995 <= stats["oldest_age_s"] <= 1100
    assert stats["by_type"] == {
        "users/user": 1,
        "groups/group": 1,
        "oxresources/oxresources": 1,
        "unreadable": 1,
    }
    # looking does not touch OX nor the queue
    assert harness.calls() == {}
    assert harness.pending() == sorted([user.name, gone.name, broken.name, room.name])


# -- tables: identifiers are never cut -----------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def in_terminal(harness: Harness, columns: int, *args: str) -> tuple[int, str]:
    """``ox-connector <args>`` with a pseudo-terminal of ``columns`` columns as its output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in {**os.environ, **harness.env()}.items() if k != "COLUMNS"}
    process = subprocess.Popen(
        [sys.executable, "-m", "connector.cli", *args],
        env={**env, "TERM": "xterm-256color"},
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return process.wait(timeout=60), ANSI.sub("", out.decode("utf-8", "replace"))


@pytest.mark.parametrize("output", ["pipe", "narrow-pipe", "terminal"])
def test_tables_never_cut_file_names_or_dns(harness, output):
    """queue list, errors list and check print every file name, DN and OX name whole, so
    that one can be pasted into the next command, whatever the width of the output."""
    harness.extra_env["OX_CONNECTOR_STOP_ON_ERROR"] = "false"
    cid = ready(harness)
    long = "with-a-rather-long-name-for-a-table-column"
    applied = harness.user(f"gone-{long}", cid)
    letter = harness.user(f"bday-{long}", cid, birthday="31.02.1990")
    harness.run()
    assert [d["file"] for d in stored_letters(harness)] == [letter.name]
    gone = user_id(harness, cid, f"gone-{long}")
    harness.ox.user.delete(ctx={"id": cid}, user={"id": gone}, auth=harness.admin(cid))
    waiting = harness.user(f"queued-{long}", cid)

    def table(*args: str) -> str:
        if output == "terminal":
            code, text = in_terminal(harness, 50, *args)
        else:
            env = {"COLUMNS": "40"} if output == "narrow-pipe" else {}
            result = cli(harness, *args, env=env)
            code, text = result.returncode, result.stdout
        assert code in (0, 1), text
        assert [line for line in text.splitlines() if "│" in line and "…" in line] == [], text
        return text

    listed = table("queue", "list")
    assert waiting.name in listed and user_dn(f"queued-{long}") in listed, listed
    shown = cli(harness, "queue", "show", re.search(r"\S+\.json", listed).group(0))
    assert shown.returncode == 0 and f"queued-{long}" in shown.stdout, shown.stderr
    letters_table = table("errors", "list")
    assert letter.name in letters_table and user_dn(f"bday-{long}") in letters_table
    drift = table("check", "--context", str(cid))
    assert f"gone-{long}" in drift and user_dn(f"gone-{long}") in drift, drift
    assert applied.name  # applied and gone from the queue


# -- show ------------------------------------------------------------------------------------------

CRYPT = "{crypt}$6$saltsalt$0123456789abcdefghijABCDEFGHIJ"


def test_show_what_the_connector_knows_about_one_object(harness):
    """`show DN|ID`: the stored UDM object without password material, its OX placement,
    when a change of it was last applied and when OX was last read for it, its pending
    files and dead letters; by DN or entryUUID, as text or JSON."""
    harness.extra_env["OX_CONNECTOR_STOP_ON_ERROR"] = "false"
    harness.extra_env["OX_CONNECTOR_VERIFY_AFTER"] = "3600"
    cid = ready(harness)
    dn = user_dn("shown")
    secrets = {"password": CRYPT, "krb5Key": ["a2V5MQ==", "a2V5Mg=="], "sambaNTPassword": "8846F7"}
    before = time.time()
    harness.user("shown", cid, **secrets)
    harness.run()
    ox_id = harness.ox_user(cid, "shown").id
    uuid = object_id(harness, dn)

    result = cli(harness, "show", dn, "--json")
    assert result.returncode == 0, result.stderr
    shown = as_json(result)
    assert (shown["id"], shown["dn"], shown["udm_object_type"]) == (uuid, dn, "users/user")
    assert shown["object"]["username"] == "shown"
    assert not {"password", "krb5Key", "sambaNTPassword"} & set(shown["object"])
    assert shown["placements"] == [{"context_id": cid, "ox_id": ox_id, "ox_name": "shown"}]
    assert before <= shown["last_verified"] <= shown["last_applied"] <= time.time()
    assert (shown["pending"], shown["dead_letters"], shown["waiting_on"]) == ([], [], None)
    first = shown["last_verified"]

    # the same object again, within the verify window: applied, not read from OX again
    harness.user("shown", cid, **secrets)
    harness.run()
    again = as_json(cli(harness, "show", uuid, "--json"))
    assert again["last_verified"] == first < again["last_applied"]

    # a change that fails (a dead letter) and one that waits in the queue
    letter = harness.user("shown", cid, birthday="31.02.1990")
    harness.run()
    waiting = harness.user("shown", cid, oxDisplayName="Shown Later")
    shown = as_json(cli(harness, "show", uuid, "--json"))
    assert [p["file"] for p in shown["pending"]] == [waiting.name]
    assert shown["pending"][0]["action"] == "change"
    assert [d["file"] for d in shown["dead_letters"]] == [letter.name]
    assert "birthday" in shown["dead_letters"][0]["error"]

    text = cli(harness, "show", dn.upper())  # DNs compare case-insensitively
    assert text.returncode == 0, text.stderr
    for expected in (uuid, dn, f"context {cid}", f"OX id {ox_id}", waiting.name, letter.name):
        assert expected in text.stdout, (expected, text.stdout)
    assert "last applied" in text.stdout and "last verified" in text.stdout
    for output in (text.stdout, result.stdout, again and json.dumps(again)):
        for value in (CRYPT, "a2V5MQ==", "8846F7"):
            assert value not in output

    # known only from the queue: not applied yet
    fresh = harness.user("fresh", cid)
    only_queued = as_json(cli(harness, "show", user_dn("fresh"), "--json"))
    assert only_queued["object"] is None and only_queued["placements"] == []
    assert only_queued["id"] == object_id(harness, user_dn("fresh"))
    assert [p["file"] for p in only_queued["pending"]] == [fresh.name]

    unknown = cli(harness, "show", "uid=nobody,cn=users,dc=example,dc=org")
    assert unknown.returncode == 1 and "nothing known about" in unknown.stderr
    assert "Traceback" not in unknown.stderr


# -- resync --------------------------------------------------------------------------------------


def test_resync_reapplies_the_stored_objects(harness):
    cid = ready(harness, "anna", "bert")
    harness.group("staff", ["anna", "bert"])
    harness.resource("beamer", cid)
    harness.run()
    auth, ctx = harness.admin(cid), {"id": cid}
    anna, bert = user_id(harness, cid, "anna"), user_id(harness, cid, "bert")
    harness.ox.user.change(ctx=ctx, usrdata={"id": anna, "display_name": "Tampered"}, auth=auth)
    harness.ox.user.delete(ctx=ctx, user={"id": bert}, auth=auth)

    result = cli(harness, "resync", "--dn", user_dn("anna"))
    assert result.returncode == 0, result.stderr
    assert "queued 1 objects" in result.stdout
    assert harness.pending() == []
    assert harness.ox_user(cid, "anna").display_name == "Anna Tester"
    assert harness.ox_user_names(cid) == {"anna"}  # only anna was resynced

    result = cli(harness, "resync", "--id", object_id(harness, user_dn("bert")))
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []
    assert harness.ox_user_names(cid) == {"anna", "bert"}
    assert harness.ox_user(cid, "bert").display_name == "Bert Tester"

    # --all --no-run: every stored object queued, nothing applied yet
    harness.ox.user.change(
        ctx=ctx, usrdata={"id": anna, "display_name": "Tampered again"}, auth=auth
    )
    harness.ox.resource.delete(
        ctx=ctx, res={"id": harness.ox_resources(cid)["beamer"].id}, auth=auth
    )
    harness.reset_calls()
    result = cli(harness, "resync", "--all", "--no-run")
    assert result.returncode == 0, result.stderr
    assert harness.calls() == {}
    queued = [json.loads((harness.queue / n).read_text()) for n in harness.pending()]
    assert {d["dn"].lower() for d in queued} == set(harness.ids)
    assert f"queued {len(queued)} objects" in result.stdout
    assert harness.ox_user(cid, "anna").display_name == "Tampered again"
    harness.run()
    assert harness.pending() == []
    assert harness.ox_user(cid, "anna").display_name == "Anna Tester"
    assert set(harness.ox_resources(cid)) == {"beamer"}
    ids = sorted(user_id(harness, cid, n) for n in ("anna", "bert"))
    assert harness.ox_groups(cid) == {"staff": ids}


def test_resync_errors(harness):
    cid = ready(harness, "anna")
    result = cli(harness, "resync", "--dn", user_dn("nobody"))
    assert result.returncode == 1, result.stdout
    assert f"no object with DN {user_dn('nobody')}" in result.stderr
    assert "Traceback" not in result.stderr
    assert harness.pending() == []

    no_udm = {k: v for k, v in os.environ.items() if not k.startswith("UDM_")}
    result = subprocess.run(
        [sys.executable, "-m", "connector.cli", "resync", "--all", "--from-udm"],
        env={**no_udm, **harness.env()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "UDM_REST_URL" in result.stderr and "Traceback" not in result.stderr
    assert harness.pending() == []

    started = time.monotonic()
    result = cli(
        harness,
        "resync",
        "--dn",
        user_dn("anna"),
        "--from-udm",
        env={
            "UDM_REST_URL": "http://127.0.0.1:9/",
            "UDM_USER": "Administrator",
            "UDM_PASSWORD": "secret",
        },
        timeout=60,
    )
    assert time.monotonic() - started < 20
    assert result.returncode == 1, result.stderr
    assert "UDM REST API" in result.stderr and "127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr
    assert harness.pending() == []
    assert harness.ox_user_names(cid) == {"anna"}


# -- check: drift ---------------------------------------------------------------------------------


def findings(report: dict) -> set[tuple]:
    return {
        (f["problem"], f["udm_object_type"], f["name"], tuple(f["fields"]))
        for f in report["findings"]
    }


def check(harness: Harness, *args: str) -> tuple[int, dict]:
    result = cli(harness, "check", "--json", *args)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, as_json(result)


def test_check_reports_fixes_and_prunes_drift(harness):
    cid = ready(harness, "anna", "bert")
    harness.group("staff", ["anna", "bert"])
    harness.resource("beamer", cid)
    harness.resource("projector", cid)
    harness.run()

    ctx, auth = {"id": cid}, harness.admin(cid)
    anna, bert = user_id(harness, cid, "anna"), user_id(harness, cid, "bert")
    staff = harness.ox.group.listAll(ctx=ctx, auth=auth)
    staff_id = next(g.id for g in staff if g.name == "staff")
    harness.ox.user.change(ctx=ctx, usrdata={"id": anna, "display_name": "Tampered"}, auth=auth)
    harness.ox.group.removeMember(ctx=ctx, grp={"id": staff_id}, members=[{"id": bert}], auth=auth)
    harness.ox.resource.delete(
        ctx=ctx, res={"id": harness.ox_resources(cid)["beamer"].id}, auth=auth
    )
    harness.ox.user.create(
        ctx=ctx,
        usrdata={
            "name": "intruder",
            "display_name": "Intruder",
            "password": "secret",
            "given_name": "In",
            "sur_name": "Truder",
            "primaryEmail": "intruder@example.org",
            "email1": "intruder@example.org",
        },
        auth=auth,
    )
    harness.ox.group.create(ctx=ctx, grp={"name": "rogue", "displayname": "Rogue"}, auth=auth)

    drift = {
        ("different", "users/user", "anna", ("display_name",)),
        ("different", "groups/group", "staff", ("members",)),
        ("missing", "oxresources/oxresources", "beamer", ()),
        ("orphan", "users/user", "intruder", ()),
        ("orphan", "groups/group", "rogue", ()),
    }
    orphans = {f for f in drift if f[0] == "orphan"}
    code, report = check(harness, "--context", str(cid))
    assert code == 1 and report["contexts"] == [cid]
    assert findings(report) == drift
    assert len(report["findings"]) == len(drift)
    by_name = {f["name"]: f for f in report["findings"]}
    assert by_name["anna"]["dn"] == user_dn("anna") and by_name["anna"]["ox_id"] == anna
    assert by_name["intruder"]["object_id"] is None
    # the context admin and OX's group "users" are never orphans
    assert not {"oxadmin", "users"} & set(by_name)

    # --fix repairs missing and different, leaves the orphans
    code, report = check(harness, "--fix")
    assert code == 1
    assert report["fixed"] == {"reapplied": 3, "pruned": 0}
    assert harness.ox_user(cid, "anna").display_name == "Anna Tester"
    assert harness.ox_groups(cid)["staff"] == sorted([anna, bert])
    assert set(harness.ox_resources(cid)) == {"beamer", "projector"}
    assert "intruder" in harness.ox_user_names(cid)
    assert "rogue" in harness.ox_groups(cid)
    code, report = check(harness)
    assert code == 1 and findings(report) == orphans and report["contexts"] == [cid]

    # --prune only with --fix
    result = cli(harness, "check", "--prune")
    assert result.returncode == 2 and "--fix" in result.stderr

    code, report = check(harness, "--fix", "--prune")
    assert code == 0
    assert report["fixed"] == {"reapplied": 0, "pruned": 2}
    assert harness.ox_user_names(cid) == {"anna", "bert"}
    assert set(harness.ox_groups(cid)) == {"staff"}
    code, report = check(harness)
    assert (code, report["findings"]) == (0, [])
    # the context admin survived the pruning
    assert harness.admin(cid)
    admins = [
        u
        for u in harness.ox.user.getMultipleData(
            ctx=ctx,
            users=[{"id": u.id} for u in harness.ox.user.listAll(ctx=ctx, auth=auth)],
            auth=auth,
        )
        if u.contextadmin
    ]
    assert len(admins) == 1


def test_check_compares_the_quota_only_of_filestore_owners(harness):
    """OX keeps a user's quota only when the user has a filestore of its own (a positive
    filestoreId): for such a user, a quota changed in OX is drift; for a user without one,
    the directory's quota that OX could not take is not."""
    cid = ready(harness, "olga", "nils")
    ctx, auth = {"id": cid}, harness.admin(cid)
    harness.ox.user.moveFromContextToUserFilestore(
        ctx=ctx, user={"name": "olga"}, dst_filestore_id={"id": 1}, max_quota=-1, auth=auth
    )
    harness.user("olga", cid, oxUserQuota="800")
    harness.user("nils", cid, oxUserQuota="800")  # left alone: no filestore of his own
    harness.run()
    assert harness.ox_user(cid, "olga").maxQuota == 800
    code, report = check(harness)
    assert (code, report["findings"]) == (0, [])

    # made unlimited in OX: still her own filestore, so still drift
    harness.ox.user.change(ctx=ctx, usrdata={"name": "olga", "maxQuota": -1}, auth=auth)
    code, report = check(harness)
    assert (code, findings(report)) == (1, {("different", "users/user", "olga", ("maxQuota",))})
    code, report = check(harness, "--fix")
    assert report["fixed"] == {"reapplied": 1, "pruned": 0}
    assert harness.ox_user(cid, "olga").maxQuota == 800


def test_check_functional_account_drift(harness):
    cid = ready(harness, "anna", "bert")
    harness.write(
        FA_TYPE,
        FA_DN,
        {
            "name": "Helpdesk",
            "mailPrimaryAddress": FA_ADDRESS,
            "personal": "",
            "users": [user_dn("anna")],
            "groups": [],
        },
    )
    harness.run()
    ctx, auth = {"id": cid}, harness.admin(cid)
    anna, bert = user_id(harness, cid, "anna"), user_id(harness, cid, "bert")
    harness.ox.secondary.delete(
        primaryAddress=FA_ADDRESS, context=ctx, users=[{"id": anna}], groups=[], auth=auth
    )
    harness.ox.secondary.create(
        accountDataOnCreate={
            "name": "Helpdesk",
            "primaryAddress": FA_ADDRESS,
            "personal": "",
            "login": "sneaky",
            "mailEndpointSource": "primary",
            "transportEndpointSource": "primary",
        },
        context=ctx,
        users=[{"id": bert}],
        groups=[],
        auth=auth,
    )
    code, report = check(harness)
    assert code == 1
    assert findings(report) == {
        ("missing", FA_TYPE, f"{FA_ADDRESS} (user {anna})", ()),
        ("orphan", FA_TYPE, f"{FA_ADDRESS} (user {bert})", ()),
    }

    code, report = check(harness, "--fix", "--prune")
    assert code == 0
    assert report["fixed"] == {"reapplied": 1, "pruned": 1}
    holders = {
        a.userId
        for a in harness.ox.secondary.list(context=ctx, users=[], groups=[], auth=auth) or []
        if a.primaryAddress == FA_ADDRESS
    }
    assert holders == {anna}
    code, report = check(harness)
    assert (code, report["findings"]) == (0, [])


# -- health ----------------------------------------------------------------------------------------


def test_health_ok_then_critical_while_stuck_with_metrics(harness, tmp_path):
    prom = tmp_path / "textfile" / "ox_connector.prom"
    started = time.time()
    cid = ready(harness)
    store = StateStore(harness.state / STATE_DB)
    first_success = Operations(store).status()["last_success"]
    store.close()
    assert started - 1 <= first_success <= time.time() + 1

    otto = harness.user("otto", cid)
    fail_next(harness, count=2)
    for attempt in (1, 2):  # RETRY_FIRST=0: every run tries again
        result = cli(harness, "run", "--metrics-file", str(prom))
        assert result.returncode == 1, result.stderr
        code, figures = health(harness)
        assert code == 2 and figures["status"] == "CRITICAL", figures
        assert figures["waiting_on"]["file"] == otto.name
        assert figures["waiting_on"]["attempts"] == attempt
        # the object it changes, so the administrator can go to it without the file
        otto_id = object_id(harness, user_dn("otto"))
        assert {k: figures["waiting_on"][k] for k in ("udm_object_type", "dn", "object_id")} == {
            "udm_object_type": "users/user",
            "dn": user_dn("otto"),
            "object_id": otto_id,
        }
        assert otto.name in figures["summary"]
        assert f"users/user {user_dn('otto')} entryUUID {otto_id}" in figures["summary"]
        assert figures["pending"] == 1
        assert figures["consecutive_errors"] == attempt
        assert "disk full" in figures["last_error"]
        assert figures["last_error_file"] == otto.name
        assert figures["last_success"] == first_success
        assert figures["oldest_pending_age_s"] >= 0
        gauges = metrics(prom)  # refreshed by the failed run
        assert gauges["ox_connector_queue_pending"] == 1
        assert gauges["ox_connector_consecutive_errors"] == attempt
        assert gauges["ox_connector_stuck"] == 1
        assert gauges["ox_connector_dead_letters"] == 0

    # health --metrics-file writes the same figures
    other = tmp_path / "health.prom"
    result = cli(harness, "health", "--metrics-file", str(other))
    assert result.returncode == 2 and result.stdout.startswith("CRITICAL")
    assert f"{otto.name} (users/user {user_dn('otto')} entryUUID " in result.stdout
    age = "ox_connector_queue_oldest_age_seconds"
    written, refreshed = metrics(other), metrics(prom)
    assert written[age] >= refreshed[age] > 0
    assert {k: v for k, v in written.items() if k != age} == {
        k: v for k, v in refreshed.items() if k != age
    }

    result = cli(harness, "run", "--metrics-file", str(prom))
    assert result.returncode == 0, result.stderr
    code, figures = health(harness)  # idle again: OK
    assert code == 0 and figures["status"] == "OK", figures
    assert figures["consecutive_errors"] == 0 and figures["waiting_on"] is None
    assert (figures["pending"], figures["dead_letters"]) == (0, 0)
    assert figures["oldest_pending_age_s"] == 0
    assert figures["last_success"] > first_success
    gauges = metrics(prom)
    assert gauges["ox_connector_queue_pending"] == 0
    assert gauges["ox_connector_consecutive_errors"] == 0
    assert gauges["ox_connector_stuck"] == 0
    assert gauges["ox_connector_last_success_timestamp_seconds"] == figures["last_success"]


def test_health_warns_about_dead_letters(harness, tmp_path):
    harness.extra_env["OX_CONNECTOR_STOP_ON_ERROR"] = "false"
    prom = tmp_path / "health.prom"
    cid = ready(harness)
    harness.user("bday", cid, birthday="31.02.1990")
    harness.user("fine", cid)
    harness.run()
    assert harness.ox_user_names(cid) == {"fine"}
    code, figures = health(harness, "--metrics-file", str(prom))
    assert code == 1 and figures["status"] == "WARNING", figures
    assert figures["dead_letters"] == 1 and figures["pending"] == 0
    assert figures["consecutive_errors"] == 0
    gauges = metrics(prom)
    assert gauges["ox_connector_dead_letters"] == 1
    assert gauges["ox_connector_stuck"] == 0
    assert gauges["ox_connector_queue_pending"] == 0


def test_health_warns_about_an_old_pending_change(harness):
    cid = ready(harness)
    path = harness.user("late", cid)
    old = time.time() - 1000
    os.utime(path, (old, old))
    code, figures = health(harness, "--max-age", "600")
    assert code == 1 and figures["status"] == "WARNING", figures
    assert figures["pending"] == 1 and 995 <= figures["oldest_pending_age_s"] <= 1100
    assert figures["waiting_on"] is None
    code, figures = health(harness, "--max-age", "5000")
    assert code == 0 and figures["status"] == "OK", figures
