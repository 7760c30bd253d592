"""Contexts end to end: UDM ``oxmail/oxcontext`` queue files -> the emulator over HTTP.

What the Univention connector 2.1 does with contexts (and its context tests), and OX's
context semantics, as the emulator implements them.
"""

from __future__ import annotations

import json
import stat
import string

import pytest
import zeep.exceptions

from connector.config import ConfigError

from .harness import BASE, Harness, _context_ids

CONTEXT_TYPE = "oxmail/oxcontext"


def context_dn(cid: int) -> str:
    return f"cn=context{cid},cn=open-xchange,{BASE}"


def ox_context(harness, cid: int):
    return harness.ox.context.getData(ctx={"id": cid}, auth=harness.ox.master)


def ox_has_context(harness, cid: int) -> bool:
    return harness.ox.context.exists(ctx={"id": cid}, auth=harness.ox.master)


def secrets_json(harness) -> dict:
    return json.loads(harness.credentials_path.read_text())


def can_log_in(harness, cid: int, auth: dict) -> bool:
    """A context-scoped call with these credentials works."""
    try:
        harness.ox.user.listAll(ctx={"id": cid}, auth=auth)
    except zeep.exceptions.Fault as exc:
        assert "Authentication failed" in str(exc), exc
        return False
    return True


def pending_is_empty(harness) -> bool:
    return harness.pending() == []


def assert_strong_password(password: str) -> None:
    assert len(password) >= 32, "a generated admin password must be long"
    assert set(password) <= set(string.ascii_letters + string.digits)
    # not a constant or a trivially patterned string
    assert len(set(password)) >= 10


# -- create ------------------------------------------------------------------------------------
def test_create_generates_admin_and_stores_credentials_in_upstream_format(harness):
    cid = harness.context()
    harness.run()

    ctx = ox_context(harness, cid)
    assert ctx.id == cid and ctx.name == f"context{cid}"
    assert {f"context{cid}", str(cid)} <= set(ctx.loginMappings)

    path = harness.credentials_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = secrets_json(harness)
    assert set(data) == {str(cid)}
    entry = data[str(cid)]
    assert set(entry) == {"adminuser", "adminpass"}
    assert entry["adminuser"] == f"oxadmin-context{cid}"
    assert_strong_password(entry["adminpass"])

    auth = {"login": entry["adminuser"], "password": entry["adminpass"]}
    assert can_log_in(harness, cid, auth)
    assert not can_log_in(harness, cid, {**auth, "password": entry["adminpass"] + "x"})
    admin = harness.ox.user.getData(ctx={"id": cid}, user={"name": entry["adminuser"]}, auth=auth)
    assert admin.contextadmin is True
    assert admin.primaryEmail == f"oxadmin-context{cid}@example.org"
    assert pending_is_empty(harness)


def test_default_context_admin_is_oxadmin(emulator, ox, tmp_path):
    default = next(_context_ids)
    harness = Harness(emulator, ox, tmp_path, default_context=default)
    other = harness.context()
    harness.context(default)
    harness.run()
    data = secrets_json(harness)
    assert data[str(default)]["adminuser"] == "oxadmin"
    assert data[str(other)]["adminuser"] == f"oxadmin-context{other}"
    assert data[str(default)]["adminpass"] != data[str(other)]["adminpass"]
    for cid in (default, other):
        assert_strong_password(data[str(cid)]["adminpass"])
        assert can_log_in(harness, cid, harness.admin(cid))
    assert ox_context(harness, default).name == f"context{default}"


def test_name_from_udm_and_login_mappings(harness):
    cid = harness.context(name="schule-nord")
    harness.run()
    ctx = ox_context(harness, cid)
    assert ctx.name == "schule-nord"
    assert {f"context{cid}", str(cid)} <= set(ctx.loginMappings)


ABSENT = object()


@pytest.mark.parametrize(
    "quota, expected",
    [
        ("1000", 1000),
        (1000, 1000),
        ("", None),
        ("0", None),
        (0, None),
        (None, None),
        (ABSENT, None),
    ],
)
def test_quota_in_mb_and_unlimited(harness, quota, expected):
    cid = next(_context_ids)
    obj = {"contextid": str(cid), "name": f"context{cid}"}
    if quota is not ABSENT:
        obj["oxQuota"] = quota
    harness.write(CONTEXT_TYPE, context_dn(cid), obj)
    harness.run()
    assert ox_context(harness, cid).maxQuota == expected


def test_quota_change_and_back_to_unlimited(harness):
    cid = harness.context(oxQuota="1000")
    harness.run()
    assert ox_context(harness, cid).maxQuota == 1000

    harness.reset_calls()
    harness.context(cid, oxQuota="2000")
    harness.run()
    ctx = ox_context(harness, cid)
    assert ctx.maxQuota == 2000 and ctx.name == f"context{cid}"
    assert harness.writes() == {"OXContextService.change": 1}

    harness.context(cid, oxQuota="")
    harness.run()
    assert ox_context(harness, cid).maxQuota is None


def test_reapplying_makes_no_writes(harness):
    limited = harness.context(oxQuota="1000")
    unlimited = harness.context()
    harness.run()
    before = secrets_json(harness)

    harness.reset_calls()
    harness.context(limited, oxQuota="1000")
    harness.context(unlimited)
    harness.run()
    assert harness.writes() == {}
    assert secrets_json(harness) == before  # the admins are not re-generated
    assert pending_is_empty(harness)


def test_existing_context_is_adopted_not_recreated(harness, ctx):
    """A context OX already has (e.g. created by hand) is changed, never re-created."""
    harness.reset_calls()
    harness.context(ctx.id, name=f"adopted{ctx.id}", oxQuota="700")
    harness.run()
    writes = harness.writes()
    assert writes == {"OXContextService.change": 1}, writes
    got = ox_context(harness, ctx.id)
    assert got.name == f"adopted{ctx.id}" and got.maxQuota == 700
    # the context's own admin still works: nothing was re-created
    assert can_log_in(harness, ctx.id, ctx.admin)
    assert pending_is_empty(harness)


def test_delete_removes_context_and_credentials(harness):
    keep = harness.context()
    gone = harness.context()
    harness.run()
    assert set(secrets_json(harness)) == {str(keep), str(gone)}

    harness.delete(CONTEXT_TYPE, context_dn(gone))
    harness.run()
    assert not ox_has_context(harness, gone)
    assert ox_has_context(harness, keep)
    assert set(secrets_json(harness)) == {str(keep)}
    assert stat.S_IMODE(harness.credentials_path.stat().st_mode) == 0o600
    assert pending_is_empty(harness)


def test_context_delete_runs_after_other_changes_of_the_run(harness):
    harness.profile()
    cid = harness.context()
    harness.run()

    harness.reset_calls()
    harness.delete(CONTEXT_TYPE, context_dn(cid))  # queued first ...
    harness.user("anna", cid)  # ... but the user change must still be applied before it
    harness.run()  # would fail (no admin for the context) if the delete ran first
    calls = harness.calls()
    assert calls.get("OXUserService.createByModuleAccess") == 1, calls
    assert calls.get("OXContextService.delete") == 1, calls
    assert not ox_has_context(harness, cid)
    assert str(cid) not in secrets_json(harness)
    assert pending_is_empty(harness)


def test_deleting_a_context_ox_no_longer_has_succeeds(harness):
    cid = harness.context()
    harness.run()
    harness.ox.context.delete(ctx={"id": cid}, auth=harness.ox.master)

    harness.delete(CONTEXT_TYPE, context_dn(cid))
    harness.run()
    assert str(cid) not in secrets_json(harness)
    assert pending_is_empty(harness)


def test_deleted_context_can_be_created_again_with_a_new_admin(harness):
    cid = harness.context()
    harness.run()
    old = secrets_json(harness)[str(cid)]
    harness.delete(CONTEXT_TYPE, context_dn(cid))
    harness.run()

    harness.write(
        CONTEXT_TYPE,
        context_dn(cid),
        {"contextid": str(cid), "name": f"context{cid}", "oxQuota": ""},
        object_id=f"new-{cid}",
    )
    harness.run()
    assert ox_has_context(harness, cid)
    new = secrets_json(harness)[str(cid)]
    assert new["adminuser"] == old["adminuser"] and new["adminpass"] != old["adminpass"]
    assert can_log_in(harness, cid, harness.admin(cid))


# -- master credentials -----------------------------------------------------------------------
class NoMasterHarness(Harness):
    """An installation whose environment has no OX_MASTER_PASSWORD at all."""

    def env(self) -> dict[str, str]:
        env = super().env()
        del env["OX_MASTER_PASSWORD"]
        return env


def test_missing_master_credentials_fail_clearly_and_keep_the_file(emulator, ox, tmp_path):
    # refused at start (issue 14), before any file is tried: the files stay, nothing is
    # created (exit 2 of the command: tests/connector/test_hardening_run.py)
    harness = NoMasterHarness(emulator, ox, tmp_path)
    cid = harness.context()
    queued = harness.pending()
    with pytest.raises(ConfigError) as failed:
        harness.run()
    [problem] = failed.value.problems
    assert problem.startswith("OX_MASTER_PASSWORD:") and "master" in problem
    assert harness.pending() == queued
    assert not ox_has_context(harness, cid)
    assert not harness.credentials_path.exists()
    assert not (harness.state / "ox-connector.sqlite").exists()


def test_empty_master_password_counts_as_missing(emulator, ox, tmp_path):
    harness = Harness(emulator, ox, tmp_path, extra_env={"OX_MASTER_PASSWORD": ""})
    cid = harness.context()
    with pytest.raises(ConfigError, match="OX_MASTER_PASSWORD"):
        harness.run()
    assert len(harness.pending()) == 1
    assert not ox_has_context(harness, cid)


def test_master_from_the_credentials_file(emulator, ox, tmp_path):
    harness = NoMasterHarness(emulator, ox, tmp_path)
    harness.credentials_path.parent.mkdir(parents=True, exist_ok=True)
    harness.credentials_path.write_text(
        json.dumps(
            {"master": {"adminuser": "oxadminmaster", "adminpass": emulator.master_password}}
        )
    )
    cid = harness.context()
    harness.run()
    assert ox_has_context(harness, cid)
    data = secrets_json(harness)
    assert data["master"] == {
        "adminuser": "oxadminmaster",
        "adminpass": emulator.master_password,
    }  # kept as it was
    assert data[str(cid)]["adminuser"] == f"oxadmin-context{cid}"


def test_context_deleted_and_created_again_in_one_run_exists_afterwards(harness):
    """UDM: the context object is deleted and a new one with the same context id created
    before the connector runs. The end state must be what UDM holds: the context exists."""
    cid = harness.context()
    harness.run()
    harness.delete(CONTEXT_TYPE, context_dn(cid))
    harness.write(
        CONTEXT_TYPE,
        context_dn(cid),
        {"contextid": str(cid), "name": f"context{cid}", "oxQuota": ""},
        object_id=f"new-{cid}",
    )
    harness.run()
    assert ox_has_context(harness, cid)
    assert str(cid) in secrets_json(harness)
    assert can_log_in(harness, cid, harness.admin(cid))


def test_password_already_in_the_secrets_file_is_used(harness):
    """A crash after the password was written but before OX created the context: the next
    run creates the context with that password instead of a new one."""
    cid = next(_context_ids)
    preset = {"adminuser": f"oxadmin-context{cid}", "adminpass": "Preset0Password0" * 4}
    harness.credentials_path.parent.mkdir(parents=True, exist_ok=True)
    harness.credentials_path.write_text(json.dumps({str(cid): preset}))
    harness.context(cid)
    harness.run()
    assert secrets_json(harness)[str(cid)] == preset
    assert can_log_in(harness, cid, {"login": preset["adminuser"], "password": preset["adminpass"]})
