"""``ox-connector run``, the App Center trigger's contract: exit codes, queue order,
coalescing, kind order, the run lock, bad input, failing OX calls, settings, secrets in
logs and the path options. Mostly through the real command in a child process."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
import zeep

from connector.queue import run_lock
from connector.run import RunFailed

from .harness import (
    BASE,
    _context_ids,  # the ids harness.context() hands out: fresh in this emulator
    finished,
    group_dn,
    log_records,
    ready,
    udm_user,
    user_dn,
)

pytestmark = pytest.mark.usefixtures("clean_faults")


def messages(stderr: str) -> list[str]:
    return [r["msg"] for r in log_records(stderr, strict=True)]


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


# -- a normal run -----------------------------------------------------------------------------


def test_normal_run_exits_0_and_empties_the_queue(harness):
    cid = harness.context()
    harness.profile()
    harness.user("anna", cid)
    harness.user("bert", cid)
    harness.group("staff", ["anna", "bert"])
    harness.resource("beamer", cid)
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    assert harness.pending() == []
    assert harness.ox_user_names(cid) == {"anna", "bert"}
    ids = sorted(harness.ox_user(cid, n).id for n in ("anna", "bert"))
    assert harness.ox_groups(cid) == {"staff": ids}
    assert set(harness.ox_resources(cid)) == {"beamer"}
    done = finished(result.stderr, strict=True)
    assert (done["applied"], done["files_removed"]) == (6, 6)
    assert "held" not in done  # every kind is handled: nothing is left queued
    # an empty queue is a normal run too
    again = harness.run_cli()
    assert again.returncode == 0, again.stderr
    assert finished(again.stderr, strict=True)["applied"] == 0


def test_files_queued_during_a_run_are_applied_before_it_exits(harness):
    cid = ready(harness)
    for i in range(8):
        harness.user(f"early{i}", cid)
    harness.emulator.control("faults", {"latency_ms": 50})
    harness.reset_calls()
    outcome: dict = {}
    runner = threading.Thread(target=lambda: outcome.update(result=harness.run_cli()))
    runner.start()
    deadline = time.monotonic() + 60
    while harness.calls().get("OXUserService.createByModuleAccess", 0) < 1:
        assert runner.is_alive() and time.monotonic() < deadline, outcome
        time.sleep(0.01)
    # the run is busy with the first users: queue one more (hidden name, then rename)
    name = f"2026-11-27-10-00-00-{next(harness._seq):06d}.json"
    harness.write(
        "users/user", user_dn("latecomer"), udm_user("latecomer", cid), name=f".{name}.tmp"
    )
    os.rename(harness.queue / f".{name}.tmp", harness.queue / name)
    assert runner.is_alive(), "the run ended before the late file was queued"
    runner.join(timeout=120)
    result = outcome["result"]
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []
    assert "latecomer" in harness.ox_user_names(cid)
    assert finished(result.stderr, strict=True)["applied"] == 9


# -- order ------------------------------------------------------------------------------------


def test_kinds_are_applied_in_order_whatever_the_timestamps(harness):
    """Contexts, access profiles, users, groups, resources, context deletions last;
    timestamp order within a kind. Checked on the run's own "applied" log lines and on OX."""
    harness.extra_env["OX_CONNECTOR_LOG_LEVEL"] = "DEBUG"
    doomed = ready(harness, "dora")
    cid_c, cid_d = next(_context_ids), next(_context_ids)
    files: dict[str, Path] = {}
    # written in (almost) reverse dependency order: every file is older than what it needs
    files["delete-ctx"] = harness.delete(
        "oxmail/oxcontext", f"cn=context{doomed},cn=open-xchange,{BASE}"
    )
    files["res"] = harness.resource("projector", cid_c)
    files["grp"] = harness.group("crew", ["ulf", "uma", "ute"])
    files["ulf"] = harness.user("ulf", cid_c)
    files["uma"] = harness.user("uma", cid_c)
    files["prof"] = harness.profile()
    harness.context(cid_c)
    files["ctx-c"] = harness.queue / harness.pending()[-1]
    files["dora"] = harness.user("dora", doomed, oxDisplayName="Dora Still Here")
    harness.context(cid_d)
    files["ctx-d"] = harness.queue / harness.pending()[-1]
    files["ute"] = harness.user("ute", cid_d)
    expected = [
        files[key].name
        for key in (
            "ctx-c",
            "ctx-d",
            "prof",
            "ulf",
            "uma",
            "dora",
            "ute",
            "grp",
            "res",
            "delete-ctx",
        )
    ]
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    applied = [r["file"] for r in log_records(result.stderr, strict=True) if r["msg"] == "applied"]
    assert applied == expected
    assert harness.pending() == []
    # the group found its members although it was queued before them
    ids_c = sorted(harness.ox_user(cid_c, n).id for n in ("ulf", "uma"))
    assert harness.ox_groups(cid_c) == {"crew": ids_c}
    assert harness.ox_groups(cid_d) == {"crew": [harness.ox_user(cid_d, "ute").id]}
    assert set(harness.ox_resources(cid_c)) == {"projector"}
    assert "calendar" in harness.ox_access(cid_c, "ulf")
    with pytest.raises(zeep.exceptions.Fault):
        harness.ox.context.getData(ctx={"id": doomed}, auth=harness.ox.master)


def test_a_user_older_than_its_context_and_a_group_older_than_its_users(harness):
    cid = next(_context_ids)
    harness.group("early-birds", ["kim", "kai"])
    harness.user("kim", cid)
    harness.user("kai", cid)
    harness.profile()
    harness.context(cid)
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []
    ids = sorted(harness.ox_user(cid, n).id for n in ("kim", "kai"))
    assert harness.ox_groups(cid) == {"early-birds": ids}


# -- coalescing -------------------------------------------------------------------------------


def test_three_files_for_one_user_apply_only_the_newest(harness):
    cid = ready(harness)
    paths = [harness.user("cora", cid, oxDisplayName=f"Cora v{i}") for i in (1, 2, 3)]
    harness.reset_calls()
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    writes = {op: n for op, n in harness.writes().items() if op.startswith("OXUserService.")}
    assert writes == {"OXUserService.createByModuleAccess": 1}
    assert harness.ox_user(cid, "cora").display_name == "Cora v3"
    assert not any(p.exists() for p in paths)
    assert harness.pending() == []
    done = finished(result.stderr, strict=True)
    assert (done["applied"], done["files_removed"]) == (1, 3)

    # and for an existing user: three edits, one change
    for i in (4, 5, 6):
        harness.user("cora", cid, oxDisplayName=f"Cora v{i}")
    harness.reset_calls()
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    writes = {op: n for op, n in harness.writes().items() if op.startswith("OXUserService.")}
    assert writes == {"OXUserService.change": 1}
    assert harness.ox_user(cid, "cora").display_name == "Cora v6"
    assert harness.pending() == []


# -- kind order ---------------------------------------------------------------------------------


def test_functional_accounts_are_applied_after_their_members(harness):
    cid = ready(harness)
    # queued BEFORE its member: the kind order still applies the user first
    harness.write(
        "oxmail/functional_account",
        f"cn=helpdesk,cn=functional_accounts,cn=open-xchange,{BASE}",
        {
            "name": "helpdesk",
            "mailPrimaryAddress": "helpdesk@example.org",
            "users": [user_dn("fred")],
        },
    )
    harness.user("fred", cid)
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []
    fred = harness.ox_user(cid, "fred")
    accounts = harness.ox.secondary.list(
        context={"id": cid}, users=[{"id": fred.id}], groups=[], auth=harness.admin(cid)
    )
    assert [(a.userId, a.primaryAddress) for a in accounts] == [(fred.id, "helpdesk@example.org")]
    done = finished(result.stderr, strict=True)
    assert done["applied"] == 2
    assert "held" not in done


# -- the run lock -----------------------------------------------------------------------------


def test_a_second_run_exits_0_at_once_while_the_lock_is_held(harness):
    cid = ready(harness)
    harness.user("lena", cid)
    queued = harness.pending()
    harness.reset_calls()
    with run_lock(harness.state / "ox-connector.lock"):
        started = time.monotonic()
        result = harness.run_cli(timeout=30)
        took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    assert took < 15
    busy = [r for r in log_records(result.stderr, strict=True) if r["msg"] == "already running"]
    assert len(busy) == 1, result.stderr
    assert f"pid {os.getpid()}" in busy[0]["detail"]
    assert "run finished" not in messages(result.stderr)
    assert harness.pending() == queued
    assert harness.calls() == {}
    # the lock released, the next run does the work
    result = harness.run_cli()
    assert result.returncode == 0 and harness.pending() == []
    assert "lena" in harness.ox_user_names(cid)


# -- bad input --------------------------------------------------------------------------------


def _doc(**overrides) -> dict:
    doc = {
        "id": "bad-0001",
        "udm_object_type": "users/user",
        "dn": user_dn("bad"),
        "object": udm_user("bad", 10),
        "options": [],
    }
    doc.update(overrides)
    return doc


def _user_doc(cid_placeholder: str = "CID", **props) -> dict:
    obj = udm_user("bad", 10, **props)
    obj["oxContext"] = cid_placeholder
    return _doc(object=obj)


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
BAD_INPUT = {
    # case: (file content, field named in the log; None = the whole document)
    "not-json": ("this is not JSON at all", None),
    "truncated-json": (json.dumps(_doc())[:60], None),
    "dn-is-a-number": (json.dumps(_doc(dn=42)), "dn"),
    "unknown-type": (json.dumps(_doc(udm_object_type="users/ldap")), "udm_object_type"),
    "missing-keys": (json.dumps({k: v for k, v in _doc().items() if k != "id"}), "id"),
    "bad-birthday": (json.dumps(_user_doc(birthday="31.02.1990")), "birthday"),
    "non-jpeg-photo": (json.dumps(_user_doc(jpegPhoto=PNG)), "jpegPhoto"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_stops_the_run_at_that_file(harness, case):
    content, field = BAD_INPUT[case]
    cid = ready(harness)
    structural = field in (None, "dn", "udm_object_type", "id")
    if structural:  # the queue is cut at the file: earlier files of a later kind go through
        early_resource = harness.resource("early-room", cid)
    before = harness.user("before", cid)
    bad = harness.queue / f"2026-11-27-10-00-00-{next(harness._seq):06d}.json"
    bad.write_text(content.replace('"CID"', f'"{cid}"'))
    after = harness.user("after", cid)
    stays = [bad.name, after.name]
    if structural:  # ... and later files of an earlier kind do not
        later_cid = next(_context_ids)
        harness.context(later_cid)
        stays.append(harness.pending()[-1])
    result = harness.run_cli()
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    assert harness.pending() == stays
    assert not before.exists()
    users = harness.ox_user_names(cid)
    assert "before" in users and "after" not in users and "bad" not in users
    if structural:
        assert not early_resource.exists()
        assert set(harness.ox_resources(cid)) == {"early-room"}
        assert not harness.ox.context.exists(ctx={"id": later_cid}, auth=harness.ox.master)
    errors = [
        r
        for r in log_records(result.stderr, strict=True)
        if r["level"] == "error" and r.get("file") == bad.name
    ]
    assert errors, f"no error record naming {bad.name}:\n{result.stderr}"
    if field is None:
        assert any(r.get("field", "-") is None and "JSON" in r.get("reason", "") for r in errors), (
            errors
        )
    else:
        assert any(r.get("field") == field or f'"{field}"' in r.get("error", "") for r in errors), (
            errors
        )
    # it stays stuck (not skipped) on the next run
    again = harness.run_cli()
    assert again.returncode == 1 and harness.pending() == stays


def test_in_process_run_failed_names_file_field_and_object(harness):
    cid = ready(harness)
    harness.user("fine", cid)
    bad = harness.user("broken", cid, birthday="1990-13-01")
    later = harness.user("waiting", cid)
    with pytest.raises(RunFailed) as failed:
        harness.run()
    assert failed.value.path == bad
    assert failed.value.dn == user_dn("broken")
    assert failed.value.udm_object_type == "users/user"
    assert '"birthday"' in failed.value.reason and bad.name in str(failed.value)
    assert harness.pending() == [bad.name, later.name]
    assert harness.ox_user_names(cid) == {"fine"}


# -- a failing OX call ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault, reason",
    [
        ({"kind": "StorageException", "message": "disk full"}, "disk full"),
        ({}, "Database is locked or is now being updated"),  # OX's transient fault
        ({"http_status": 503}, "503"),  # a proxy in front of OX, no SOAP body
    ],
    ids=["storage", "transient", "http-503"],
)
def test_a_failing_ox_call_keeps_the_file_and_the_next_run_applies_it(harness, fault, reason):
    cid = ready(harness)
    path = harness.user("otto", cid)
    harness.emulator.control(
        "faults", {"fail_next": [{"operation": "OXUserService.createByModuleAccess", **fault}]}
    )
    result = harness.run_cli()
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    assert harness.pending() == [path.name]
    assert "otto" not in harness.ox_user_names(cid)
    failed = [
        r
        for r in log_records(result.stderr, strict=True)
        if r.get("file") == path.name and r["level"] == "error"
    ]
    assert failed and reason in failed[0]["error"], result.stderr
    assert failed[0]["dn"] == user_dn("otto")
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []
    assert "otto" in harness.ox_user_names(cid)


# -- settings ---------------------------------------------------------------------------------


def _run_with_env(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OX_", "DEFAULT_CONTEXT", "DOMAINNAME"))
    }
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", "run"],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "change, named",
    [
        ({"OX_SOAP_SERVER": None}, ["OX_SOAP_SERVER"]),
        ({"DEFAULT_CONTEXT": "abc"}, ["DEFAULT_CONTEXT"]),
        ({"OX_SOAP_SERVER": None, "DEFAULT_CONTEXT": "abc"}, ["OX_SOAP_SERVER", "DEFAULT_CONTEXT"]),
    ],
)
def test_wrong_settings_exit_2_naming_each_variable(harness, change, named):
    cid = ready(harness)
    harness.user("sina", cid)
    queued = harness.pending()
    env = harness.env()
    for key, value in change.items():
        if value is None:
            env.pop(key)
        else:
            env[key] = value
    harness.reset_calls()
    result = _run_with_env(env)
    assert result.returncode == 2, result.stderr
    no_traceback(result)
    for variable in named:
        assert variable in result.stderr
    if "DEFAULT_CONTEXT" in named:
        assert "abc" in result.stderr
    problems = [r for r in log_records_lenient(result.stderr) if r.get("problems")]
    assert problems, result.stderr
    assert sorted(p.split(":", 1)[0] for p in problems[0]["problems"]) == sorted(named)
    assert harness.pending() == queued
    assert harness.calls() == {}


def log_records_lenient(stderr: str) -> list[dict]:
    """JSON records only (the settings error is also echoed as plain text for humans)."""
    out = []
    for line in stderr.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


# -- secrets stay out of the log --------------------------------------------------------------


def test_debug_logs_never_contain_passwords(harness):
    harness.extra_env["OX_CONNECTOR_LOG_LEVEL"] = "DEBUG"
    cid = harness.context()
    harness.profile()
    harness.user("paula", cid, birthday="1990-01-02")
    harness.group("secretive", ["paula"])
    harness.resource("vault", cid)
    # one failing call on the way (error paths log too), then a clean run
    harness.emulator.control(
        "faults",
        {
            "fail_next": [
                {
                    "operation": "OXUserService.createByModuleAccess",
                    "kind": "StorageException",
                    "message": "disk full",
                }
            ]
        },
    )
    failing = harness.run_cli()
    assert failing.returncode == 1, failing.stderr
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []
    secrets = json.loads(harness.credentials_path.read_text())
    admin_password = secrets[str(cid)]["adminpass"]
    assert len(admin_password) >= 16
    assert any(
        r["msg"].startswith("soap call")  # DEBUG on
        for r in log_records(result.stderr, strict=True)
    )
    for run in (failing, result):
        for secret in (harness.emulator.master_password, admin_password):
            assert secret not in run.stderr
            assert secret not in run.stdout


def test_debug_logs_the_connector_only_and_trace_adds_the_libraries(harness):
    """DEBUG: the connector's own records, not zeep's and urllib3's internals (they stay at
    WARNING); TRACE: those too, and still no password."""
    cid = ready(harness)
    for n in range(4):
        harness.user(f"log{n}", cid)
    harness.extra_env["OX_CONNECTOR_LOG_LEVEL"] = "DEBUG"
    debug = harness.run_cli()
    assert debug.returncode == 0, debug.stderr
    records = log_records(debug.stderr, strict=True)
    assert any(r["level"] == "debug" for r in records)
    foreign = {r["logger"] for r in records if not r["logger"].startswith("ox_connector")}
    assert foreign == set(), foreign

    for n in range(4):
        harness.user(f"log{n}", cid, oxDisplayName=f"Traced {n}")
    harness.extra_env["OX_CONNECTOR_LOG_LEVEL"] = "TRACE"
    trace = harness.run_cli()
    assert trace.returncode == 0, trace.stderr
    records = log_records(trace.stderr, strict=True)
    loggers = {r["logger"].split(".")[0] for r in records}
    assert {"ox_connector", "urllib3"} <= loggers, loggers
    secrets = json.loads(harness.credentials_path.read_text())
    for secret in (harness.emulator.master_password, secrets[str(cid)]["adminpass"]):
        assert secret not in trace.stderr


def test_log_times_are_iso_8601_with_a_utc_offset(harness):
    harness.context()
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    records = log_records(result.stderr, strict=True)
    assert records
    for record in records:
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)", record["time"]
        ), record["time"]
        when = datetime.fromisoformat(record["time"])
        assert when.utcoffset() is not None
        assert abs(when.timestamp() - time.time()) < 600


# -- path options -----------------------------------------------------------------------------


def test_queue_and_state_dir_options_override_the_environment(harness, tmp_path):
    decoy_queue, decoy_state = tmp_path / "decoy-queue", tmp_path / "decoy-state"
    decoy_queue.mkdir()
    decoy_file = decoy_queue / "2026-01-01-00-00-00-000001.json"
    decoy_file.write_text(
        json.dumps(
            _doc(
                dn=group_dn("decoy"),
                udm_object_type="groups/group",
                object={"name": "decoy", "users": []},
            )
        )
    )
    harness.extra_env.update(
        OX_CONNECTOR_QUEUE_DIR=str(decoy_queue), OX_CONNECTOR_STATE_DIR=str(decoy_state)
    )
    cid = harness.context()
    harness.profile()
    harness.user("olga", cid)
    result = harness.run_cli("--queue-dir", str(harness.queue), "--state-dir", str(harness.state))
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []
    assert "olga" in harness.ox_user_names(cid)
    assert decoy_file.exists() and not decoy_state.exists()
    assert (harness.state / "ox-connector.sqlite").exists()
    assert (harness.state / "ModuleAccessDefinitions.properties").read_text().count("premium")
    started = [r for r in log_records(result.stderr, strict=True) if r["msg"] == "run started"]
    assert started[0]["queue_dir"] == str(harness.queue)


def test_an_unreadable_credentials_file_without_a_master_password_is_reported(harness):
    # Without OX_MASTER_PASSWORD the master admin comes from the credentials file: a broken
    # file must end the run with a log line naming it (exit 1), not with a traceback.
    harness.user("waits", ready(harness))
    harness.credentials_path.write_text("{not json")
    result = subprocess.run(
        [sys.executable, "-m", "connector.cli", "run"],
        env={**os.environ, **harness.env(), "OX_MASTER_PASSWORD": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    failed = [r for r in log_records(result.stderr, strict=True) if r["msg"] == "run failed"]
    assert len(failed) == 1 and str(harness.credentials_path) in failed[0]["error"]
    assert len(harness.pending()) == 1
