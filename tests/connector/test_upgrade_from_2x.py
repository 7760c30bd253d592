"""Upgrade from the Univention OX Connector app 2.x (same app ID, same data dir).

The data dir is laid out as 2.x leaves it (from the facts about that app):

    data/listener/<timestamp>.json        the queue: converter files not yet applied
    data/listener/old/<entryUUID>.json    2.x's cache of applied objects (not read here)
    data/listener/old.db, meta.db         2.x's gdbm files (not read here)
    data/secrets/contexts.json            the credentials, current format ...
    data/secrets/context<ID>.secret       ... or the older one: the password alone
    data/ModuleAccessDefinitions.properties   the access profiles, 2.x's format
    data/resources/                       what 2.x's configure copied there

and OX holds what 2.x provisioned. The real ``ox-connector run`` (as the listener trigger
runs it) then works from there: it applies the queue, adopts the objects 2.x created
(same OX ids), reads the profiles and both credential formats, and leaves 2.x's files
alone.
"""

from __future__ import annotations

import json
import uuid

import pytest

from ..oxclient import admin_user, new_context
from .harness import finished, user_dn

PROFILES_2X = """\
# This file is managed by the OX Connector app. Do not edit.
# Access profiles as defined in UDM (oxmail/accessprofile).
none=

premium=calendar,collectemailaddresses,contacts,delegatetask,editpublicfolders,ical,infostore,\
multiplemailaccounts,readcreatesharedfolders,subscription,tasks,usm,vcard,webdav,webdavxml,webmail

webmail=collectemailaddresses,contacts,multiplemailaccounts,subscription,webmail

"""


def _other_context(ox):
    """A context 2.x created for a non-default ID: its admin is oxadmin-context<ID>."""
    probe = new_context(ox)  # takes an id from the counter; its admin is plain oxadmin
    cid = probe.id + 1000
    admin = admin_user(
        name=f"oxadmin-context{cid}", mail=f"admin@c{cid}.example.org", password=f"pw-{cid}"
    )
    ox.context.create(
        ctx={"id": cid, "name": f"context{cid}", "maxQuota": -1},
        admin_user=admin,
        auth=ox.master,
    )
    return cid, {"login": admin["name"], "password": admin["password"]}


@pytest.fixture
def installed_2x(harness, ox, tmp_path):
    """OX and the data dir as the Univention app 2.x leaves them."""
    default = new_context(ox)  # 2.x's DEFAULT_CONTEXT, admin oxadmin
    other_id, other_admin = _other_context(ox)
    anna = default.create_user("anna", sur_name="Schmidt", display_name="Anna Schmidt")
    staff = ox.group.create(
        ctx=default.ref,
        grp={"name": "staff", "displayname": "staff", "members": [anna.id]},
        auth=default.admin,
    )

    data = tmp_path / "data"
    harness.state = data
    harness.queue = data / "listener"
    harness.default_context = default.id
    (data / "listener" / "old").mkdir(parents=True)
    (data / "secrets").mkdir(mode=0o700)
    (data / "resources").mkdir()
    anna_id = str(uuid.uuid4())
    harness.ids[user_dn("anna").lower()] = anna_id
    (data / "listener" / "old" / f"{anna_id}.json").write_text(
        json.dumps({"id": anna_id, "dn": user_dn("anna"), "object": {"oxDbId": anna.id}})
    )
    (data / "listener" / "old.db").write_bytes(b"\x13\x57\x9a\xce gdbm of 2.x")
    (data / "listener" / "meta.db").write_bytes(b"\x13\x57\x9a\xce errors=0")
    (data / "ModuleAccessDefinitions.properties").write_text(PROFILES_2X)
    return {
        "data": data,
        "default": default,
        "other": (other_id, other_admin),
        "anna_ox_id": anna.id,
        "staff_ox_id": staff.id,
    }


def _write_credentials(fmt, installed, master_password):
    secrets = installed["data"] / "secrets"
    default, (other_id, other_admin) = installed["default"], installed["other"]
    if fmt == "contexts.json":
        entries = {
            str(default.id): {"adminuser": "oxadmin", "adminpass": default.admin["password"]},
            str(other_id): {
                "adminuser": other_admin["login"],
                "adminpass": other_admin["password"],
            },
            "master": {"adminuser": "oxadminmaster", "adminpass": master_password},
        }
        (secrets / "contexts.json").write_text(json.dumps(entries, sort_keys=True, indent=2))
        (secrets / "contexts.json").chmod(0o600)
    else:  # the older format: one file per context, the password alone
        (secrets / f"context{default.id}.secret").write_text(default.admin["password"] + "\n")
        (secrets / f"context{other_id}.secret").write_text(other_admin["password"] + "\n")


def _queue_as_2x_left_it(harness, installed):
    """Changes the listener converter had queued when 2.x was replaced."""
    default, (other_id, _) = installed["default"], installed["other"]
    harness.user("anna", default.id, lastname="Meyer", oxDisplayName="Anna Meyer")
    harness.user("bob", default.id, oxAccess="webmail")
    harness.user("carl", other_id)
    harness.group("staff", ["anna", "bob", "carl"])


@pytest.mark.parametrize("fmt", ["contexts.json", "context<ID>.secret"])
def test_a_2x_data_dir_ends_in_a_working_connector(harness, ox, emulator, installed_2x, fmt):
    installed = installed_2x
    data, default = installed["data"], installed["default"]
    other_id, _ = installed["other"]
    _write_credentials(fmt, installed, emulator.master_password)
    secrets_before = {p.name: p.read_bytes() for p in (data / "secrets").iterdir()}
    _queue_as_2x_left_it(harness, installed)
    assert len(harness.pending()) == 4

    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    assert finished(result.stderr)["applied"] == 4
    assert harness.pending() == []

    # 2.x's objects are adopted, not created again: anna keeps her OX id
    anna = harness.ox_user(default.id, "anna")
    assert anna.id == installed["anna_ox_id"] and anna.sur_name == "Meyer"
    assert anna.display_name == "Anna Meyer"
    # bob's rights come from 2.x's ModuleAccessDefinitions.properties
    rights = harness.ox_access(default.id, "bob")
    assert {"webmail", "contacts"} <= rights and "calendar" not in rights
    # carl is in the other context, reached with its admin oxadmin-context<ID>
    assert harness.ox_user_names(other_id) == {"carl"}
    groups = harness.ox_groups(default.id)
    bob = harness.ox_user(default.id, "bob")
    assert groups == {"staff": sorted([anna.id, bob.id])}
    assert (
        ox.group.getData(ctx={"id": default.id}, grp={"name": "staff"}, auth=default.admin).id
        == installed["staff_ox_id"]
    )
    assert set(harness.ox_groups(other_id)) == {"staff"}

    # 2.x's files stay as they were; the credentials are read, not rewritten
    assert sorted(p.name for p in (data / "listener").iterdir()) == ["meta.db", "old", "old.db"]
    assert len(list((data / "listener" / "old").iterdir())) == 1
    assert {p.name: p.read_bytes() for p in (data / "secrets").iterdir()} == secrets_before
    assert (data / "ModuleAccessDefinitions.properties").read_text().count("=") == 3
    assert (data / "ox-connector.sqlite").exists()

    # and it goes on as usual: a new change is applied, an empty queue writes nothing
    harness.user("bob", default.id, oxAccess="premium")
    assert harness.run_cli().returncode == 0
    assert "calendar" in harness.ox_access(default.id, "bob")
    harness.reset_calls()
    assert harness.run_cli().returncode == 0 and harness.writes() == {}


def test_a_missing_legacy_password_names_the_context(harness, ox, emulator, installed_2x):
    installed = installed_2x
    default = installed["default"]
    secrets = installed["data"] / "secrets"
    (secrets / f"context{default.id}.secret").write_text(default.admin["password"])
    other_id, _ = installed["other"]  # no file for it
    harness.user("carl", other_id)
    result = harness.run_cli()
    assert result.returncode == 1
    assert harness.pending() != []
    assert str(other_id) in result.stderr
    assert "carl" in result.stderr
