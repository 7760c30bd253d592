"""OX_USER_IDENTIFIER, OX_GROUP_IDENTIFIER, OX_IMAP_LOGIN and the attribute mapping file
(``ox-connector mapping ...``) end to end: converter files, a connector run, OX read back
over HTTP from the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from connector.config import ConfigError
from connector.desired.mapping import MappingFile
from connector.desired.user import FieldMap
from connector.run import RunFailed

from .harness import Harness, group_dn, udm_group, udm_user, user_dn


def ready(harness: Harness) -> int:
    """A fresh context plus the premium access profile, applied."""
    cid = harness.context()
    harness.profile()
    harness.run()
    return cid


def mapping_cli(harness: Harness, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``ox-connector mapping ...`` as an administrator runs it, in a child process."""
    base = {k: v for k, v in os.environ.items() if k != "OX_ATTRIBUTE_MAPPING_FILE"}
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", "mapping", *args],
        env={**base, "OX_CONNECTOR_STATE_DIR": str(harness.state), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def mapping_path(harness: Harness):
    return harness.state / "AttributeMapping.json"


def set_in_ox(harness: Harness, cid: int, name: str, **fields) -> None:
    """Change a user directly in OX, as a user or OX administrator would."""
    user_id = harness.ox_user(cid, name).id
    harness.ox.user.change(
        ctx={"id": cid}, usrdata={"id": user_id, **fields}, auth=harness.admin(cid)
    )


def ox_group_ids(harness: Harness, cid: int) -> dict[str, int]:
    groups = harness.ox.group.listAll(ctx={"id": cid}, auth=harness.admin(cid)) or []
    return {g.name: g.id for g in groups if g.id != 1}


def queue_snapshot(harness: Harness) -> dict[str, str]:
    return {p.name: p.read_text() for p in harness.queue.glob("*.json")}


# --- OX_USER_IDENTIFIER -----------------------------------------------------------------------


def test_user_identifier_is_the_ox_name(harness):
    harness.extra_env["OX_USER_IDENTIFIER"] = "uid2"
    cid = ready(harness)
    harness.user("anna", cid, uid2="a.smith")
    harness.user("bert", cid, uid2=["carl"])  # UDM's single-value list
    # a UDM username equal to another user's OX name: looked up by identifier, not username
    harness.user("carl", cid, uid2="c.miller")
    harness.run()
    assert harness.ox_user_names(cid) == {"a.smith", "carl", "c.miller"}
    assert harness.ox_user(cid, "carl").primaryEmail == "bert@example.org"
    assert harness.ox_user(cid, "c.miller").primaryEmail == "carl@example.org"
    anna = harness.ox_user(cid, "a.smith")
    assert (anna.given_name, anna.imapLogin) == ("Anna", "anna@example.org")
    # the same objects again: found by their OX names, nothing to write
    harness.reset_calls()
    harness.user("anna", cid, uid2="a.smith")
    harness.user("bert", cid, uid2=["carl"])
    harness.user("carl", cid, uid2="c.miller")
    harness.run()
    assert harness.writes() == {}


@pytest.mark.parametrize(
    "bad",
    [{"uid2": ["e.one", "e.two"]}, {"uid2": []}, {"uid2": ""}, {"uid2": "   "}, {}],
    ids=["two", "none", "empty", "blank", "missing"],
)
def test_unusable_user_identifier_fails_the_run_naming_it(harness, bad):
    harness.extra_env["OX_USER_IDENTIFIER"] = "uid2"
    cid = ready(harness)
    harness.user("dora", cid, uid2="d.ok")
    path = harness.user("emil", cid, **bad)
    later = harness.user("fritz", cid, uid2="f.ok")
    with pytest.raises(RunFailed) as failed:
        harness.run()
    assert failed.value.path.name == path.name
    assert '"uid2"' in failed.value.reason and "OX user name" in failed.value.reason
    assert failed.value.dn == user_dn("emil")
    assert harness.pending() == [path.name, later.name]
    assert harness.ox_user_names(cid) == {"d.ok"}


def test_changed_identifier_value_renames_keeping_the_id(changeable):
    h = changeable
    h.extra_env["OX_USER_IDENTIFIER"] = "uid2"
    cid = ready(h)
    h.user("gina", cid, uid2="g.old", organisation="G AG")
    h.run()
    old_id = h.ox_user(cid, "g.old").id
    h.user("gina", cid, uid2="g.new", organisation="G SE")
    h.run()
    assert h.ox_user_names(cid) == {"g.new"}
    gina = h.ox_user(cid, "g.new")
    assert (gina.id, gina.company, gina.primaryEmail) == (old_id, "G SE", "gina@example.org")
    assert h.pending() == []


def test_renamed_username_keeps_the_ox_name_when_the_identifier_stays(harness):
    """A new UDM username (and DN) with the same identifier is no rename in OX: this works
    with an OX that forbids renames."""
    harness.extra_env["OX_USER_IDENTIFIER"] = "uid2"
    cid = ready(harness)
    harness.user("hank", cid, uid2="h.stable")
    harness.run()
    old_id = harness.ox_user(cid, "h.stable").id
    harness.write(
        "users/user",
        user_dn("henry"),
        udm_user("henry", cid, uid2="h.stable", mailPrimaryAddress="hank@example.org"),
        object_id=harness.ids[user_dn("hank").lower()],
    )
    harness.run()
    assert harness.pending() == []
    assert harness.ox_user_names(cid) == {"h.stable"}
    henry = harness.ox_user(cid, "h.stable")
    assert (henry.id, henry.given_name) == (old_id, "Henry")


# --- OX_GROUP_IDENTIFIER ----------------------------------------------------------------------


def test_group_identifier_is_the_ox_name_and_a_change_renames(harness):
    harness.extra_env["OX_GROUP_IDENTIFIER"] = "description"
    cid = ready(harness)
    harness.user("ida", cid)
    harness.user("jan", cid)
    harness.group("staff", ["ida", "jan"], description="staff-team")
    harness.run()
    members = sorted([harness.ox_user(cid, "ida").id, harness.ox_user(cid, "jan").id])
    assert harness.ox_groups(cid) == {"staff-team": members}
    group_id = ox_group_ids(harness, cid)["staff-team"]
    # the identifier changes: the same OX group under the new name
    harness.group("staff", ["ida", "jan"], description="crew")
    harness.run()
    assert harness.ox_groups(cid) == {"crew": members}
    assert ox_group_ids(harness, cid) == {"crew": group_id}
    # the UDM name changes (same entryUUID), the identifier does not: nothing to write
    harness.reset_calls()
    harness.write(
        "groups/group",
        group_dn("staff2"),
        udm_group("staff2", [user_dn("ida"), user_dn("jan")], description="crew"),
        object_id=harness.ids[group_dn("staff").lower()],
    )
    harness.run()
    assert harness.writes() == {}
    assert ox_group_ids(harness, cid) == {"crew": group_id}


@pytest.mark.parametrize(
    "bad",
    [{"description": ["a-team", "b-team"]}, {"description": ""}, {}],
    ids=["two", "empty", "missing"],
)
def test_unusable_group_identifier_fails_the_run_naming_it(harness, bad):
    harness.extra_env["OX_GROUP_IDENTIFIER"] = "description"
    cid = ready(harness)
    harness.user("kai", cid)
    path = harness.group("gamma", ["kai"], **bad)
    with pytest.raises(RunFailed) as failed:
        harness.run()
    assert failed.value.path.name == path.name
    assert '"description"' in failed.value.reason and "OX group name" in failed.value.reason
    assert harness.pending() == [path.name]
    assert harness.ox_groups(cid) == {}


# --- OX_IMAP_LOGIN ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting, expected",
    [
        (None, "lena@example.org"),
        ("{}", "lena@example.org"),
        ("{username}", "lena"),
        ("{}*dovecotadmin", "lena@example.org*dovecotadmin"),
        ("imap-{employeeNumber}", "imap-E42"),
        ("{entry_uuid}", "ENTRY_UUID"),
    ],
)
def test_imap_login_from_the_setting(harness, setting, expected):
    if setting is not None:
        harness.extra_env["OX_IMAP_LOGIN"] = setting
    cid = ready(harness)
    harness.user("lena", cid, employeeNumber="E42")
    harness.run()
    if expected == "ENTRY_UUID":
        expected = harness.ids[user_dn("lena").lower()]
    assert harness.ox_user(cid, "lena").imapLogin == expected


def test_changed_imap_login_setting_applies_on_the_next_change(harness):
    cid = ready(harness)
    harness.user("mia", cid)
    harness.run()
    assert harness.ox_user(cid, "mia").imapLogin == "mia@example.org"
    harness.extra_env["OX_IMAP_LOGIN"] = "{}*dovecotadmin"
    harness.user("mia", cid)
    harness.run()
    assert harness.ox_user(cid, "mia").imapLogin == "mia@example.org*dovecotadmin"
    harness.extra_env["OX_IMAP_LOGIN"] = "{username}"
    harness.user("mia", cid)
    harness.run()
    assert harness.ox_user(cid, "mia").imapLogin == "mia"


def test_empty_imap_login_setting_leaves_it_to_ox(harness):
    cid = ready(harness)
    harness.user("moni", cid)
    harness.run()
    assert harness.ox_user(cid, "moni").imapLogin == "moni@example.org"
    # set but empty: imapLogin is OX's; a value set in OX stays
    harness.extra_env["OX_IMAP_LOGIN"] = ""
    set_in_ox(harness, cid, "moni", imapLogin="set-in-ox")
    harness.user("moni", cid, organisation="Moni GmbH")
    harness.run()
    moni = harness.ox_user(cid, "moni")
    assert (moni.imapLogin, moni.company) == ("set-in-ox", "Moni GmbH")


def test_imap_login_placeholder_empty_fails_the_run_naming_it(harness):
    harness.extra_env["OX_IMAP_LOGIN"] = "{employeeNumber}@imap"
    cid = ready(harness)
    harness.user("nina", cid, employeeNumber="N1")
    path = harness.user("nils", cid, employeeNumber="")
    with pytest.raises(RunFailed) as failed:
        harness.run()
    assert failed.value.path.name == path.name
    assert '"employeeNumber"' in failed.value.reason
    assert "OX_IMAP_LOGIN" in failed.value.reason
    assert harness.pending() == [path.name]
    assert harness.ox_user(cid, "nina").imapLogin == "N1@imap"
    assert harness.ox_user_names(cid) == {"nina"}


def queue_everything(harness: Harness) -> None:
    """A context, the access profile and a user, none applied yet."""
    cid = harness.context()
    harness.profile()
    harness.user("olga", cid)


def test_bad_identity_settings_stop_the_command_before_anything(harness):
    queue_everything(harness)
    before = queue_snapshot(harness)
    harness.reset_calls()
    harness.extra_env.update(
        OX_USER_IDENTIFIER="user name",
        OX_GROUP_IDENTIFIER="1st",
        OX_IMAP_LOGIN="{nosuch}*dovecotadmin",
        OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE="{{fa_entry_uuid",
    )
    done = harness.run_cli()
    assert done.returncode == 2, done.stderr
    for named in (
        'OX_USER_IDENTIFIER: "user name"',
        'OX_GROUP_IDENTIFIER: "1st"',
        'OX_IMAP_LOGIN: unknown placeholder "nosuch"',
        "OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE: unbalanced",
    ):
        assert named in done.stderr, done.stderr
    assert queue_snapshot(harness) == before
    assert harness.writes() == {}


# --- the attribute mapping file ---------------------------------------------------------------


def test_mapping_set_changes_where_a_field_comes_from(harness):
    cid = ready(harness)
    done = mapping_cli(harness, "set", "company", "employeeType")
    assert done.returncode == 0, done.stderr
    assert json.loads(mapping_path(harness).read_text()) == {"company": {"udm": "employeeType"}}
    harness.user("paul", cid, organisation="Paul AG", employeeType="Contractor")
    harness.run()
    paul = harness.ox_user(cid, "paul")
    assert (paul.company, paul.employeeType) == ("Contractor", "Contractor")
    harness.user("paul", cid, organisation="Paul AG", employeeType="Staff")
    harness.run()
    assert harness.ox_user(cid, "paul").company == "Staff"


def test_mapping_unset_stops_writing_the_field(harness):
    cid = ready(harness)
    harness.user("rosa", cid, oxNote="from UDM")
    harness.run()
    assert harness.ox_user(cid, "rosa").note == "from UDM"
    done = mapping_cli(harness, "unset", "note")
    assert done.returncode == 0, done.stderr
    assert json.loads(mapping_path(harness).read_text()) == {"note": None}
    set_in_ox(harness, cid, "rosa", note="kept in OX")
    harness.user("rosa", cid, oxNote="changed in UDM", organisation="Rosa KG")
    harness.user("rudi", cid, oxNote="never sent")
    harness.run()
    rosa = harness.ox_user(cid, "rosa")
    assert (rosa.note, rosa.company) == ("kept in OX", "Rosa KG")
    assert harness.ox_user(cid, "rudi").note in (None, "")


def test_mapping_alternatives_when_the_property_is_empty(harness):
    cid = ready(harness)
    done = mapping_cli(
        harness,
        "set",
        "company",
        "organisation",
        "--alternative",
        "employeeType",
        "--alternative",
        "departmentNumber",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(mapping_path(harness).read_text()) == {
        "company": {"udm": "organisation", "alternatives": ["employeeType", "departmentNumber"]}
    }
    harness.user("sven", cid, organisation="Sven AG", employeeType="Staff")
    harness.user("sina", cid, organisation="", employeeType="Staff")
    harness.user("sepp", cid, departmentNumber=["Sales", "Ops"])
    harness.run()
    companies = {n: harness.ox_user(cid, n).company for n in ("sven", "sina", "sepp")}
    assert companies == {"sven": "Sven AG", "sina": "Staff", "sepp": "Sales"}
    # the first property filled later wins over the alternative
    harness.user("sina", cid, organisation="Sina SE", employeeType="Staff")
    harness.run()
    assert harness.ox_user(cid, "sina").company == "Sina SE"


def test_mapping_reset_restores_the_defaults(harness):
    MappingFile(mapping_path(harness)).save(
        {"company": FieldMap("company", "employeeType"), "note": None}
    )
    cid = ready(harness)
    harness.user("tom", cid, organisation="Tom AG", employeeType="Staff", oxNote="n1")
    harness.run()
    tom = harness.ox_user(cid, "tom")
    assert (tom.company, tom.note) == ("Staff", None)
    done = mapping_cli(harness, "reset")
    assert done.returncode == 0, done.stderr
    assert json.loads(mapping_path(harness).read_text()) == {}
    harness.user("tom", cid, organisation="Tom AG", employeeType="Staff", oxNote="n1")
    harness.run()
    tom = harness.ox_user(cid, "tom")
    assert (tom.company, tom.note) == ("Tom AG", "n1")


def test_mapping_reset_of_one_field(harness):
    MappingFile(mapping_path(harness)).save(
        {"company": FieldMap("company", "employeeType"), "note": None}
    )
    cid = ready(harness)
    done = mapping_cli(harness, "reset", "company")
    assert done.returncode == 0, done.stderr
    assert json.loads(mapping_path(harness).read_text()) == {"note": None}
    harness.user("uli", cid, organisation="Uli AG", employeeType="Staff", oxNote="n1")
    harness.run()
    uli = harness.ox_user(cid, "uli")
    assert (uli.company, uli.note) == ("Uli AG", None)


def test_mapping_show_json_lists_the_overrides(harness):
    MappingFile(mapping_path(harness)).save(
        {
            "company": FieldMap("company", "employeeType", 0, ("organisation",)),
            "note": None,
            "assistant_name": FieldMap("assistant_name", "secretary", 1),
        }
    )
    done = mapping_cli(harness, "show", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["file"] == str(mapping_path(harness))
    rows = {r["ox"]: r for r in shown["fields"]}
    assert rows["company"] == {
        "ox": "company",
        "source": "override",
        "udm": "employeeType",
        "alternatives": ["organisation"],
    }
    assert rows["note"] == {"ox": "note", "source": "unset", "udm": None}
    assert rows["assistant_name"] == {
        "ox": "assistant_name",
        "source": "override",
        "udm": "secretary",
        "index": 1,
    }
    assert rows["given_name"] == {"ox": "given_name", "source": "default", "udm": "firstname"}
    assert rows["telephone_business2"] == {
        "ox": "telephone_business2",
        "source": "default",
        "udm": "phone",
        "index": 1,
    }
    assert [r["ox"] for r in shown["fields"]] == sorted(rows)


def test_mapping_file_setting_and_file_option(harness, tmp_path):
    path = tmp_path / "elsewhere" / "mapping.json"
    done = mapping_cli(
        harness, "set", "--file", str(path), "telephone_primary", "phone", "--index", "1"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(path.read_text()) == {"telephone_primary": {"udm": "phone", "index": 1}}
    assert not mapping_path(harness).exists()
    harness.extra_env["OX_ATTRIBUTE_MAPPING_FILE"] = str(path)
    cid = ready(harness)
    harness.user("vera", cid, phone=["+49 1", "+49 2"])
    harness.run()
    vera = harness.ox_user(cid, "vera")
    assert (vera.telephone_primary, vera.telephone_business2) == ("+49 2", "+49 2")


def test_mapping_cli_refuses_a_reserved_field(harness):
    done = mapping_cli(harness, "set", "name", "uid")
    assert done.returncode == 1
    assert 'entry "name"' in done.stderr and "set by the connector itself" in done.stderr
    assert not mapping_path(harness).exists()


@pytest.mark.parametrize(
    "content, named",
    [
        (json.dumps({"company": {"udm": "employeeType"}, "name": {"udm": "uid"}}), 'entry "name"'),
        (json.dumps({"primaryEmail": None}), 'entry "primaryEmail"'),
        (json.dumps({"no_such_field": {"udm": "uid"}}), 'entry "no_such_field"'),
        (
            json.dumps({"telephone_business2": {"udm": "phone", "index": -1}}),
            'entry "telephone_business2"',
        ),
        ('{"company": {"udm": "employeeType"', "not valid JSON"),
    ],
    ids=["reserved", "reserved-unset", "unknown", "bad-index", "bad-json"],
)
def test_invalid_mapping_file_stops_the_run_untouched(harness, content, named):
    queue_everything(harness)
    mapping_path(harness).write_text(content)
    before = queue_snapshot(harness)
    harness.reset_calls()
    done = harness.run_cli()
    assert done.returncode == 2, done.stderr
    assert f"mapping file {mapping_path(harness)}" in done.stderr, done.stderr
    assert named in done.stderr, done.stderr
    assert queue_snapshot(harness) == before
    with pytest.raises(ConfigError) as exc_info:  # the same in process
        harness.run()
    assert f"mapping file {mapping_path(harness)}" in str(exc_info.value)
    assert named in str(exc_info.value)
    assert queue_snapshot(harness) == before
    assert harness.writes() == {}
