"""Issue 14, the run's side: oversized queue files, password material at rest, file modes,
paths outside the container and settings checked at start. Through the real
``ox-connector run`` in a child process against the emulator over HTTP."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from connector.model.udm import PASSWORD_PROPERTIES
from connector.state.store import ObjectState, StateStore

from .harness import Harness, log_records, ready, udm_user, user_dn

pytestmark = pytest.mark.usefixtures("clean_faults")


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


def command(harness: Harness, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``ox-connector <args>`` in a child process with the harness's settings."""
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args],
        env={**os.environ, **harness.env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def errors_naming(result: subprocess.CompletedProcess, file: str) -> list[dict]:
    return [
        r
        for r in log_records(result.stderr, strict=True)
        if r["level"] == "error" and r.get("file") == file
    ]


# -- oversized queue files (OX_CONNECTOR_MAX_FILE_BYTES) ---------------------------------------


def test_a_file_over_the_limit_stops_the_run_naming_file_and_size(harness):
    harness.extra_env["OX_CONNECTOR_MAX_FILE_BYTES"] = "20000"
    cid = ready(harness)
    before = harness.user("small", cid)
    photo = base64.b64encode(b"\xff\xd8\xff\xe0" + os.urandom(30000)).decode()
    big = harness.user("big", cid, jpegPhoto=photo)
    size = big.stat().st_size
    assert size > 20000
    harness.reset_calls()
    result = harness.run_cli()
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    assert not before.exists() and "small" in harness.ox_user_names(cid)
    assert "big" not in harness.ox_user_names(cid)
    assert harness.pending() == [big.name]
    failed = errors_naming(result, big.name)
    assert failed, result.stderr
    reason = " ".join(str(r.get("reason", r.get("error"))) for r in failed)
    assert f"{size} bytes" in reason and "OX_CONNECTOR_MAX_FILE_BYTES (20000 bytes)" in reason
    # raising the limit lets it through
    harness.extra_env["OX_CONNECTOR_MAX_FILE_BYTES"] = str(size)
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    assert "big" in harness.ox_user_names(cid)


def test_the_default_limit_is_8_mib(harness):
    cid = ready(harness)
    huge = harness.user("huge", cid)
    with open(huge, "r+b") as fh:  # sparse: the size alone decides
        fh.truncate(8 * 1024 * 1024 + 1)
    result = harness.run_cli()
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    failed = errors_naming(result, huge.name)
    assert failed and "8388609 bytes" in json.dumps(failed), result.stderr


@pytest.mark.parametrize("value", ["0", "-5", "8MiB", "1.5"])
def test_a_wrong_limit_is_a_settings_error(harness, value):
    harness.extra_env["OX_CONNECTOR_MAX_FILE_BYTES"] = value
    result = harness.run_cli()
    assert result.returncode == 2, result.stderr
    no_traceback(result)
    assert "OX_CONNECTOR_MAX_FILE_BYTES" in result.stderr


# -- password material at rest ----------------------------------------------------------------

# what a users/user object may carry (property -> a value unique enough to search for)
SECRETS = {
    "password": "{crypt}$6$saltsalt$HASH-OF-THE-PASSWORD-0001",
    "userPassword": ["{crypt}$6$saltsalt$HASH-OF-THE-PASSWORD-0002"],
    "sambaNTPassword": "NTHASH0003NTHASH0003NTHASH0003AB",
    "sambaLMPassword": "LMHASH0004LMHASH0004LMHASH0004AB",
    "sambaPasswordHistory": "PWHIST0005",
    "pwhistory": "{crypt}$6$old$HASH-OF-AN-OLD-PASSWORD-0006",
    "krb5Key": ["KRB5KEY-0007-AAAA", "KRB5KEY-0007-BBBB"],
    "remotePassword": "FETCHMAIL-0008",
    "unicodePwd": "UNICODEPWD-0009",
}


def secret_strings() -> list[bytes]:
    out = []
    for value in SECRETS.values():
        out += [v.encode() for v in (value if isinstance(value, list) else [value])]
    return out


def files_holding_secrets(directory: Path) -> dict[str, list[bytes]]:
    """Every file under ``directory`` (the SQLite database with its WAL included) that
    holds one of the secret strings, raw bytes."""
    found = {}
    for path in directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [s for s in secret_strings() if s in data]
            if hits:
                found[str(path.relative_to(directory))] = hits
    return found


def test_the_list_covers_the_password_material_of_a_udm_user():
    assert {p.lower() for p in SECRETS} <= PASSWORD_PROPERTIES


def test_password_material_is_never_mapped_to_an_ox_field(harness):
    for prop in ("password", "userPassword", "krb5Key"):
        result = command(harness, "mapping", "set", "note", prop)
        assert result.returncode == 1, result.stderr
        assert "password material" in result.stderr
    assert not (harness.state / "AttributeMapping.json").exists()


def test_no_password_material_reaches_the_state_store(harness):
    cid = ready(harness)
    harness.user("pia", cid, **SECRETS)
    harness.user("pia", cid, **SECRETS, oxDisplayName="Pia Changed")  # coalesced: newest
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    assert harness.ox_user(cid, "pia").display_name == "Pia Changed"
    assert files_holding_secrets(harness.state) == {}
    store = StateStore(harness.state / "ox-connector.sqlite")
    try:
        stored = store.find_by_dn(user_dn("pia"))
    finally:
        store.close()
    assert stored is not None
    assert not set(SECRETS) & set(stored.object)
    assert stored.object["oxDisplayName"] == "Pia Changed"  # the rest is kept
    # resync re-queues the stored object: it applies without the password material
    result = command(harness, "resync", "--dn", user_dn("pia"))
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []


def test_no_password_material_in_a_dead_letter_which_stays_replayable(harness):
    harness.extra_env["OX_CONNECTOR_STOP_ON_ERROR"] = "false"
    cid = ready(harness)
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
    queued = harness.user("dora", cid, **SECRETS)
    broken = harness.queue / f"2026-11-27-10-00-00-{next(harness._seq):06d}.json"
    text = json.dumps({"id": "x", "dn": "uid=broken", "object": {"password": SECRETS["password"]}})
    broken.write_text(text[:-3])  # not JSON: cut inside the object
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []
    assert files_holding_secrets(harness.state) == {}
    listed = json.loads(command(harness, "errors", "list", "--json").stdout)
    assert sorted(d["file"] for d in listed) == sorted([queued.name, broken.name])
    letter = next(d for d in listed if d["file"] == queued.name)
    shown = json.loads(command(harness, "errors", "show", str(letter["id"])).stdout)
    assert shown["change"]["object"]["username"] == "dora"
    assert shown["change"]["object"]["oxDisplayName"] == udm_user("dora", cid)["oxDisplayName"]
    assert not set(SECRETS) & set(shown["change"]["object"])
    # put back, it is a queue file again and applies
    result = command(harness, "errors", "retry", str(letter["id"]))
    assert result.returncode == 0, result.stderr
    assert not [s for s in secret_strings() if s in queued.read_bytes()]
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    assert "dora" in harness.ox_user_names(cid)


def test_an_older_store_with_password_material_is_cleaned_when_opened(tmp_path):
    path = tmp_path / "ox-connector.sqlite"
    store = StateStore(path)
    with store.transaction():
        store.put(ObjectState("u1", "users/user", user_dn("old"), {"username": "old"}))
    store.close()
    # what a version before 14 left: the whole object, a dead letter with the file's bytes
    old = {"username": "old", **SECRETS}
    content = json.dumps({"id": "u2", "object": old}).encode()
    db = sqlite3.connect(path)
    db.execute("UPDATE objects SET object = ?", (json.dumps(old),))
    db.execute(
        "INSERT INTO dead_letters (file, content, error, failed_at, attempts) "
        "VALUES ('f.json', ?, 'e', 0, 1)",
        (content,),
    )
    db.execute("DELETE FROM meta WHERE key = 'password_material_dropped'")
    db.commit()
    db.close()
    assert files_holding_secrets(tmp_path)
    store = StateStore(path)
    assert store.get("u1").object == {"username": "old"}
    store.close()
    assert files_holding_secrets(tmp_path) == {}


# -- file modes ----------------------------------------------------------------------------------


def modes(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): oct(stat.S_IMODE(p.stat().st_mode))
        for p in [directory, *directory.rglob("*")]
    }


def test_the_state_dir_is_0700_and_every_file_in_it_0600(harness, tmp_path):
    fresh = tmp_path / "fresh" / "state"
    harness.extra_env["OX_CREDENTIALS_FILE"] = str(fresh / "secrets" / "contexts.json")
    harness.context()
    harness.profile()
    result = harness.run_cli("--state-dir", str(fresh))
    assert result.returncode == 0, result.stderr
    mapped = command(harness, "mapping", "set", "company", "o", OX_CONNECTOR_STATE_DIR=str(fresh))
    assert mapped.returncode == 0, mapped.stderr
    found = modes(fresh)
    for name in (
        "ox-connector.sqlite",
        "ox-connector.lock",
        "ox-wsdl-cache.sqlite",
        "ModuleAccessDefinitions.properties",
        "AttributeMapping.json",
        "secrets/contexts.json",
    ):
        assert name in found, found
    wrong = {
        name: mode
        for name, mode in found.items()
        if mode != ("0o700" if (fresh / name).is_dir() else "0o600")
    }
    assert wrong == {}


def test_files_an_older_version_left_0644_are_made_0600(harness):
    cid = ready(harness)
    for path in harness.state.rglob("*"):
        if path.is_file():
            path.chmod(0o644)
    (harness.state / "AttributeMapping.json").write_text("{}")
    (harness.state / "AttributeMapping.json").chmod(0o644)
    harness.user("olde", cid)
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    wrong = {
        name: mode
        for name, mode in modes(harness.state).items()
        if (harness.state / name).is_file() and mode != "0o600"
    }
    assert wrong == {}


# -- paths outside the container -----------------------------------------------------------------


def without(env: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in names}


def bare_run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OX_")}
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_missing_queue_dir_exits_2_naming_it_and_creates_nothing(harness, tmp_path, how):
    missing_queue = tmp_path / "nowhere" / "listener"
    missing_state = tmp_path / "nowhere" / "data"
    env = without(harness.env(), "OX_CREDENTIALS_FILE")
    if how == "option":
        args = ["run", "--queue-dir", str(missing_queue), "--state-dir", str(missing_state)]
    else:
        env.update(
            OX_CONNECTOR_QUEUE_DIR=str(missing_queue), OX_CONNECTOR_STATE_DIR=str(missing_state)
        )
        args = ["run"]
    harness.reset_calls()
    result = bare_run(env, *args)
    assert result.returncode == 2, result.stderr
    no_traceback(result)
    assert str(missing_queue) in result.stderr and "OX_CONNECTOR_QUEUE_DIR" in result.stderr
    assert "does not exist" in result.stderr
    assert not (tmp_path / "nowhere").exists()
    assert harness.calls() == {}
    # resync writes into the queue: the same
    result = bare_run(env, "resync", "--all", *args[1:])
    assert result.returncode == 2, result.stderr
    assert str(missing_queue) in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_the_credentials_file_follows_the_state_dir(harness, tmp_path):
    moved = tmp_path / "moved-state"
    env = without(harness.env(), "OX_CREDENTIALS_FILE")
    harness.extra_env.pop("OX_CREDENTIALS_FILE", None)
    cid = harness.context()
    result = bare_run(env, "run", "--state-dir", str(moved))
    assert result.returncode == 0, result.stderr
    secrets = moved / "secrets" / "contexts.json"
    assert str(cid) in json.loads(secrets.read_text())
    assert oct(stat.S_IMODE(secrets.parent.stat().st_mode)) == "0o700"
    assert not harness.credentials_path.exists()
    # OX_CREDENTIALS_FILE still names another place
    elsewhere = tmp_path / "vault" / "ox.json"
    cid = harness.context()
    result = bare_run(
        {**env, "OX_CREDENTIALS_FILE": str(elsewhere)}, "run", "--state-dir", str(moved)
    )
    assert result.returncode == 0, result.stderr
    assert str(cid) in json.loads(elsewhere.read_text())
    assert str(cid) not in json.loads(secrets.read_text())


def test_the_default_paths(tmp_path):
    from connector.config import APP_DATA, LocalPaths, Settings

    assert LocalPaths.from_env({}).credentials_file == APP_DATA / "secrets" / "contexts.json"
    moved = LocalPaths.from_env({"OX_CONNECTOR_STATE_DIR": str(tmp_path)})
    assert moved.credentials_file == tmp_path / "secrets" / "contexts.json"
    named = {"OX_CONNECTOR_STATE_DIR": str(tmp_path), "OX_CREDENTIALS_FILE": "/etc/ox.json"}
    assert LocalPaths.from_env(named).credentials_file == Path("/etc/ox.json")
    settings = Settings.from_env({"OX_SOAP_SERVER": "https://ox.example.org"})
    assert settings.credentials_file == APP_DATA / "secrets" / "contexts.json"


# -- settings checked at start -------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/", "/webservices", "/webservices/"])
def test_the_documented_forms_of_ox_soap_server_work(harness, suffix):
    harness.extra_env["OX_SOAP_SERVER"] = harness.emulator.url + suffix
    cid = harness.context()
    harness.profile()
    harness.user("wendy", cid)
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    assert "wendy" in harness.ox_user_names(cid)


@pytest.mark.parametrize(
    "suffix", ["/appsuite", "/webservices/OXUserService", "/ox/webservices", "/?wsdl", "#x"]
)
def test_another_path_in_ox_soap_server_exits_2_at_start(harness, suffix):
    harness.extra_env["OX_SOAP_SERVER"] = harness.emulator.url + suffix
    harness.context()
    queued = harness.pending()
    harness.reset_calls()
    result = harness.run_cli()
    assert result.returncode == 2, result.stderr
    no_traceback(result)
    problems = [r for r in log_records(result.stderr) if r.get("problems")]
    assert problems and problems[0]["problems"][0].startswith("OX_SOAP_SERVER:"), result.stderr
    assert "/webservices" in problems[0]["problems"][0]  # says which form it wants
    assert harness.pending() == queued
    assert harness.calls() == {}
    assert not (harness.state / "ox-connector.sqlite").exists()


def test_no_master_password_anywhere_exits_2_at_start(harness):
    cid = ready(harness)  # with the master: contexts need it
    harness.user("mona", cid)  # a file that needs no master at all: refused all the same
    queued = harness.pending()
    harness.reset_calls()
    for env in ({"OX_MASTER_PASSWORD": ""}, without(harness.env(), "OX_MASTER_PASSWORD")):
        result = bare_run({**without(harness.env(), "OX_MASTER_PASSWORD"), **env}, "run")
        assert result.returncode == 2, result.stderr
        no_traceback(result)
        problems = [r for r in log_records(result.stderr) if r.get("problems")]
        assert problems, result.stderr
        assert problems[0]["problems"][0].startswith("OX_MASTER_PASSWORD:")
        assert str(harness.credentials_path) in problems[0]["problems"][0]  # where else it looked
        assert harness.pending() == queued
        assert harness.calls() == {}
    # the master in the credentials file is enough
    secrets = json.loads(harness.credentials_path.read_text())
    secrets["master"] = {
        "adminuser": "oxadminmaster",
        "adminpass": harness.emulator.master_password,
    }
    harness.credentials_path.write_text(json.dumps(secrets))
    result = bare_run(without(harness.env(), "OX_MASTER_PASSWORD"), "run")
    assert result.returncode == 0, result.stderr
    assert "mona" in harness.ox_user_names(cid)


def test_resync_without_a_master_exits_2_before_it_queues_anything(harness):
    ready(harness, "rita")
    env = without(harness.env(), "OX_MASTER_PASSWORD")
    result = bare_run(env, "resync", "--all")
    assert result.returncode == 2, result.stderr
    assert "OX_MASTER_PASSWORD" in result.stderr
    assert harness.pending() == []
    result = bare_run(env, "resync", "--all", "--no-run")  # only queues: no master needed
    assert result.returncode == 0, result.stderr
    assert len(harness.pending()) == 3  # context, profile, rita


def test_check_without_fix_needs_no_master(harness):
    cid = ready(harness, "nina")
    env = without(harness.env(), "OX_MASTER_PASSWORD")
    result = bare_run(env, "check", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["contexts"] == [cid]
    result = bare_run(env, "check", "--fix")
    assert result.returncode == 2, result.stderr
    assert "OX_MASTER_PASSWORD" in result.stderr
