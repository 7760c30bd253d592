"""The directory simulator: UDM's DNs, defaults and refusals, refint, and the queue files
it writes (names, order, atomic appearance, what the connector reads from them)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from connector.queue import pending_files, read_change
from udm_simulator import (
    ACCESS_PROFILES,
    CONTEXTS,
    FUNCTIONAL_ACCOUNTS,
    GROUPS,
    RESOURCES,
    RIGHTS,
    USERS,
    Directory,
    InvalidValue,
    NoSuchObject,
    ObjectExists,
    ObjectInUse,
    SyncError,
    TriggerFailed,
    UDMError,
    ValueMayNotChange,
    ValueRequired,
    command_trigger,
    file_name,
    name_time,
    run_like_converter,
)
from udm_simulator import dn as dnlib
from udm_simulator.converter import _error_line

BASE = "dc=example,dc=org"
NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-\d{6}\.json$")


@pytest.fixture
def directory(tmp_path) -> Directory:
    return Directory(tmp_path / "queue", BASE, default_context=10)


def ox_user(directory: Directory, name: str, **props):
    return directory.create(
        USERS,
        {
            "username": name,
            "firstname": name.title(),
            "lastname": "Tester",
            "isOxUser": "OK",
            "mailPrimaryAddress": f"{name}@example.org",
            **props,
        },
    )


def docs(directory: Directory) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in directory.queued()]


def summary(directory: Directory) -> list[tuple[str, str, bool]]:
    """(object type, DN, deleted) of every queued file, in queue order."""
    return [(d["udm_object_type"], d["dn"], d["object"] is None) for d in docs(directory)]


def drain(directory: Directory) -> None:
    for path in directory.queued():
        path.unlink()


# -- DNs and ids ------------------------------------------------------------------------------


def test_dns_are_built_as_udm_builds_them(directory):
    ctx = directory.create(CONTEXTS, {"name": "context10", "contextid": 10})
    user = ox_user(directory, "anna")
    group = directory.create(GROUPS, {"name": "Staff Room"})
    resource = directory.create(
        RESOURCES,
        {
            "name": "beamer",
            "resourceadmin": user["uidNumber"],
            "resourceMailAddress": "beamer@example.org",
        },
    )
    profile = directory.create(ACCESS_PROFILES, {"name": "mail"})
    account = directory.create(
        FUNCTIONAL_ACCOUNTS, {"name": "help", "mailPrimaryAddress": "help@example.org"}
    )
    assert ctx.dn == f"cn=context10,cn=open-xchange,{BASE}"
    assert user.dn == f"uid=anna,cn=users,{BASE}"
    assert group.dn == f"cn=Staff Room,cn=groups,{BASE}"
    assert resource.dn == f"cn=beamer,cn=oxresources,cn=open-xchange,{BASE}"
    assert profile.dn == f"cn=mail,cn=accessprofiles,cn=open-xchange,{BASE}"
    assert account.dn == f"cn=help,cn=functional_accounts,cn=open-xchange,{BASE}"
    assert user.position == f"cn=users,{BASE}"
    ids = [o.id for o in (ctx, user, group, resource, profile, account)]
    assert len(set(ids)) == 6 and all(re.fullmatch(r"[0-9a-f-]{36}", i) for i in ids)


def test_special_characters_in_names_are_escaped_in_the_dn(directory):
    group = directory.create(GROUPS, {"name": "R&D, Berlin + Köln"})
    assert group.dn == f"cn=R&D\\, Berlin \\+ Köln,cn=groups,{BASE}"
    assert dnlib.split(group.dn)[0] == ("cn", "R&D, Berlin + Köln")
    assert directory.get(f"CN=r&d\\2c berlin \\+ KÖLN, cn=Groups,{BASE}").id == group.id


def test_an_explicit_position_must_lie_below_the_base(directory):
    user = directory.create(
        USERS, {"username": "otto", "lastname": "O"}, position=f"ou=school,{BASE}"
    )
    assert user.dn == f"uid=otto,ou=school,{BASE}"
    with pytest.raises(InvalidValue, match="not a container below"):
        directory.create(
            USERS, {"username": "olga", "lastname": "O"}, position="ou=school,dc=other"
        )


def test_get_by_id_objects_and_properties_are_copies(directory):
    anna = ox_user(directory, "anna")
    anna.properties["lastname"] = "changed by the caller"
    assert directory.get(anna.dn)["lastname"] == "Tester"
    assert directory.by_id(anna.id).dn == anna.dn
    assert [u.dn for u in directory.objects(USERS)] == [anna.dn]
    assert directory.find(f"uid=nobody,cn=users,{BASE}") is None
    with pytest.raises(NoSuchObject):
        directory.get(f"uid=nobody,cn=users,{BASE}")


# -- defaults -----------------------------------------------------------------------------------


def test_user_defaults_of_udm_and_the_ox_app(tmp_path):
    directory = Directory(
        tmp_path, BASE, default_context=42, language="en_US", timezone="America/New_York"
    )
    user = directory.create(USERS, {"username": "paul", "firstname": "Paul", "lastname": "Weber"})
    p = user.properties
    assert (p["isOxUser"], p["oxContext"], p["oxAccess"]) == ("Not", 42, "premium")
    assert (p["oxDisplayName"], p["displayName"]) == ("Paul Weber", "Paul Weber")
    assert (p["oxLanguage"], p["oxTimeZone"], p["oxUserQuota"]) == (
        "en_US",
        "America/New_York",
        "-1",
    )
    assert p["uidNumber"] >= 2000 and p["unixhome"] == "/home/paul"
    assert p["groups"] == [] and p["mailAlternativeAddress"] == [] and p["title"] is None
    assert user.options == ("default",)
    other = directory.create(USERS, {"username": "pia", "lastname": "P"})
    assert other["uidNumber"] != p["uidNumber"]


def test_given_values_win_over_defaults_and_are_normalised(directory):
    user = ox_user(
        directory,
        "anna",
        oxContext="11",
        isOxUser=True,
        phone="+49 1",
        oxDisplayName="Dr. Anna",
        title="",
    )
    assert (user["oxContext"], user["isOxUser"]) == (11, "OK")
    assert user["phone"] == ["+49 1"] and user["title"] is None
    assert user["oxDisplayName"] == "Dr. Anna"
    assert directory.modify(user.dn, {"isOxUser": False})["isOxUser"] == "Not"


def test_other_modules_defaults(directory):
    anna = ox_user(directory, "anna")
    resource = directory.create(
        RESOURCES,
        {
            "name": "room 1",
            "resourceadmin": anna["uidNumber"],
            "resourceMailAddress": "room1@example.org",
        },
    )
    assert (resource["oxContext"], resource["displayname"]) == (10, "room 1")
    assert resource["resourceadmin"] == str(anna["uidNumber"])
    assert directory.create(GROUPS, {"name": "staff"})["isOxGroup"] == "Not"
    profile = directory.create(ACCESS_PROFILES, {"name": "mail", "webmail": True})
    assert profile["webmail"] == "TRUE"
    assert {profile[r] for r in RIGHTS if r != "webmail"} == {"FALSE"}
    assert directory.create(CONTEXTS, {"name": "c", "contextid": "12"})["contextid"] == 12


def test_the_seven_default_access_profiles(directory):
    profiles = {p["name"]: p for p in directory.create_default_access_profiles()}
    assert list(profiles) == [
        "none",
        "webmail",
        "webmail_drive",
        "pim",
        "pim_drive",
        "groupware",
        "premium",
    ]
    assert {r for r in RIGHTS if profiles["none"][r] == "TRUE"} == set()
    assert {r for r in RIGHTS if profiles["webmail_drive"][r] == "TRUE"} == {
        "contacts",
        "webmail",
        "collectemailaddresses",
        "multiplemailaccounts",
        "subscription",
        "infostore",
    }
    assert len(directory.queued()) == 7


def test_display_name_follows_the_name_while_it_still_matches(directory):
    anna = ox_user(directory, "anna", firstname="Anna", lastname="Alt")
    assert anna["oxDisplayName"] == "Anna Alt"
    anna = directory.modify(anna.dn, {"lastname": "Neu"})
    assert (anna["oxDisplayName"], anna["displayName"]) == ("Anna Neu", "Anna Neu")
    anna = directory.modify(anna.dn, {"oxDisplayName": "Frau Dr. Neu"})
    anna = directory.modify(anna.dn, {"firstname": "Anne"})
    assert anna["oxDisplayName"] == "Frau Dr. Neu" and anna["displayName"] == "Anne Neu"


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "props, prop",
    [
        ({"lastname": "X"}, "username"),
        ({"username": "x"}, "lastname"),
        (
            {"username": "x", "lastname": "X", "isOxUser": "OK", "firstname": "X"},
            "mailPrimaryAddress",
        ),
        (
            {
                "username": "x",
                "lastname": "X",
                "isOxUser": "OK",
                "mailPrimaryAddress": "x@example.org",
            },
            "firstname",
        ),
    ],
)
def test_required_user_properties(directory, props, prop):
    with pytest.raises(ValueRequired) as exc:
        directory.create(USERS, props)
    assert exc.value.prop == prop and prop in str(exc.value)
    assert directory.queued() == [] and directory.objects(USERS) == []


@pytest.mark.parametrize(
    "module, props, prop",
    [
        (CONTEXTS, {"name": "c"}, "contextid"),
        (RESOURCES, {"name": "r", "resourceMailAddress": "r@example.org"}, "resourceadmin"),
        (FUNCTIONAL_ACCOUNTS, {"name": "f"}, "mailPrimaryAddress"),
        (GROUPS, {"description": "no name"}, "name"),
    ],
)
def test_required_properties_of_other_modules(directory, module, props, prop):
    with pytest.raises(ValueRequired, match=prop):
        directory.create(module, props)


def test_an_ox_user_cannot_lose_its_primary_mail(directory):
    anna = ox_user(directory, "anna")
    with pytest.raises(ValueRequired, match=r"mailPrimaryAddress.*OX user"):
        directory.modify(anna.dn, {"mailPrimaryAddress": None})
    directory.modify(anna.dn, {"isOxUser": "Not", "mailPrimaryAddress": None})


def test_usernames_and_group_names_are_unique_case_insensitively(directory):
    ox_user(directory, "anna")
    with pytest.raises(ObjectExists, match="already in use as username"):
        directory.create(USERS, {"username": "Anna", "lastname": "Other"})
    with pytest.raises(ObjectExists, match="already in use as username"):
        directory.create(GROUPS, {"name": "ANNA"})
    directory.create(GROUPS, {"name": "staff"})
    with pytest.raises(ObjectExists, match="already in use as group name"):
        directory.create(USERS, {"username": "staff", "lastname": "S"})
    bert = ox_user(directory, "bert")
    with pytest.raises(ObjectExists):
        directory.modify(bert.dn, {"username": "anna"})  # a rename onto a taken name
    assert len(directory.queued()) == 3


def test_mail_addresses_are_unique_across_users_resources_and_accounts(directory):
    anna = ox_user(directory, "anna", mailAlternativeAddress=["a.alt@example.org"])
    for module, props in (
        (USERS, {"username": "b", "lastname": "B", "mailPrimaryAddress": "ANNA@example.org"}),
        (
            USERS,
            {"username": "b", "lastname": "B", "mailAlternativeAddress": ["a.alt@example.org"]},
        ),
        (FUNCTIONAL_ACCOUNTS, {"name": "f", "mailPrimaryAddress": "a.alt@example.org"}),
        (
            RESOURCES,
            {
                "name": "r",
                "resourceadmin": anna["uidNumber"],
                "resourceMailAddress": "anna@example.org",
            },
        ),
    ):
        with pytest.raises(ObjectExists, match="already used by uid=anna"):
            directory.create(module, props)
    directory.create(FUNCTIONAL_ACCOUNTS, {"name": "f", "mailPrimaryAddress": "Help@Example.org"})
    with pytest.raises(ObjectExists, match=re.escape("help@example.org")):
        directory.modify(anna.dn, {"mailPrimaryAddress": "help@example.org"})
    # the user's own primary address may also be one of its alternatives
    directory.modify(anna.dn, {"mailAlternativeAddress": ["anna@example.org"]})


def test_context_ids_are_unique(directory):
    directory.create(CONTEXTS, {"name": "c10", "contextid": 10})
    with pytest.raises(ObjectExists, match="context id 10"):
        directory.create(CONTEXTS, {"name": "other", "contextid": 10})
    with pytest.raises(ObjectExists, match="already exists"):
        directory.create(CONTEXTS, {"name": "C10", "contextid": 11})  # the same DN


@pytest.mark.parametrize(
    "module, props, change",
    [
        (CONTEXTS, {"name": "c", "contextid": 10}, {"name": "d"}),
        (CONTEXTS, {"name": "c", "contextid": 10}, {"contextid": 11}),
        (ACCESS_PROFILES, {"name": "p"}, {"name": "q"}),
        (ACCESS_PROFILES, {"name": "p"}, {"webmail": "TRUE"}),
        (FUNCTIONAL_ACCOUNTS, {"name": "f", "mailPrimaryAddress": "f@example.org"}, {"name": "g"}),
        (
            FUNCTIONAL_ACCOUNTS,
            {"name": "f", "mailPrimaryAddress": "f@example.org"},
            {"mailPrimaryAddress": "g@example.org"},
        ),
    ],
)
def test_unchangeable_properties(directory, module, props, change):
    obj = directory.create(module, props)
    with pytest.raises(ValueMayNotChange, match=next(iter(change))):
        directory.modify(obj.dn, change)
    assert directory.modify(obj.dn, dict(props)).dn == obj.dn  # the same value is no change


def test_resource_names_cannot_change_and_need_an_ox_admin(directory):
    anna = ox_user(directory, "anna")
    plain = directory.create(USERS, {"username": "plain", "lastname": "P"})
    with pytest.raises(InvalidValue, match="uidNumber of an OX user"):
        directory.create(
            RESOURCES,
            {
                "name": "r",
                "resourceadmin": plain["uidNumber"],
                "resourceMailAddress": "r@example.org",
            },
        )
    room = directory.create(
        RESOURCES,
        {"name": "r", "resourceadmin": anna["uidNumber"], "resourceMailAddress": "r@example.org"},
    )
    with pytest.raises(ValueMayNotChange):
        directory.modify(room.dn, {"name": "s"})


@pytest.mark.parametrize(
    "change, match",
    [
        ({"shoeSize": "42"}, "unknown property"),
        ({"isOxUser": "yes"}, "isOxUser"),
        ({"birthday": "24.12.1990"}, "birthday"),
        ({"oxAnniversary": "31.02.2020"}, "oxAnniversary"),
        ({"oxTimeZone": "Mars/Olympus"}, "oxTimeZone"),
        ({"oxLanguage": "german"}, "oxLanguage"),
        ({"mailPrimaryAddress": "not an address"}, "mailPrimaryAddress"),
        ({"oxContext": "ten"}, "whole number"),
        ({"title": ["a", "b"]}, "one value"),
        ({"jpegPhoto": "%%%"}, "base64"),
        ({"username": ".anna"}, "valid user name"),
        ({"oxUserQuota": "-2"}, "quota"),
    ],
)
def test_syntax_is_checked(directory, change, match):
    anna = ox_user(directory, "anna")
    drain(directory)
    with pytest.raises(InvalidValue, match=match):
        directory.modify(anna.dn, change)
    assert directory.queued() == [] and directory.get(anna.dn) == anna


def test_both_udm_date_formats_for_the_ox_dates(directory):
    anna = ox_user(directory, "anna", birthday="1990-12-24", oxAnniversary="24.12.2015")
    assert (anna["birthday"], anna["oxAnniversary"]) == ("1990-12-24", "24.12.2015")


def test_unknown_module_and_object(directory):
    with pytest.raises(InvalidValue, match="unknown UDM module"):
        directory.create("shares/share", {"name": "x"})
    with pytest.raises(NoSuchObject):
        directory.modify(f"uid=ghost,cn=users,{BASE}", {"title": "x"})
    with pytest.raises(NoSuchObject):
        directory.remove(f"uid=ghost,cn=users,{BASE}")
    assert issubclass(NoSuchObject, UDMError)


def test_removals_udm_refuses(directory):
    c10 = directory.create(CONTEXTS, {"name": "c10", "contextid": 10})
    c20 = directory.create(CONTEXTS, {"name": "c20", "contextid": 20})
    directory.create(ACCESS_PROFILES, {"name": "premium"})
    anna = ox_user(directory, "anna", oxContext=20)
    room = directory.create(
        RESOURCES,
        {
            "name": "room",
            "resourceadmin": anna["uidNumber"],
            "resourceMailAddress": "room@example.org",
            "oxContext": 10,
        },
    )
    drain(directory)
    with pytest.raises(ObjectInUse, match="context 20 is still used by 1"):
        directory.remove(c20.dn)
    with pytest.raises(ObjectInUse, match="context 10 is still used"):
        directory.remove(c10.dn)  # by the resource
    with pytest.raises(ObjectInUse, match="still used by 1 user"):
        directory.remove(f"cn=premium,cn=accessprofiles,cn=open-xchange,{BASE}")
    with pytest.raises(ObjectInUse, match="administers the OX resource"):
        directory.remove(anna.dn)
    assert directory.queued() == []
    directory.remove(room.dn)
    directory.remove(c10.dn)
    directory.modify(anna.dn, {"oxContext": 30})
    with pytest.raises(ObjectInUse, match="last OX context"):
        directory.remove(c20.dn)


# -- refint -------------------------------------------------------------------------------------


def test_user_rename_keeps_the_id_and_follows_into_groups_and_accounts(directory):
    anna = ox_user(directory, "anna")
    staff = directory.create(GROUPS, {"name": "staff", "users": [anna.dn]})
    help_ = directory.create(
        FUNCTIONAL_ACCOUNTS,
        {"name": "help", "users": [anna.dn], "mailPrimaryAddress": "help@example.org"},
    )
    drain(directory)
    renamed = directory.modify(anna.dn, {"username": "anna2"})
    assert renamed.id == anna.id and renamed.dn == f"uid=anna2,cn=users,{BASE}"
    assert directory.find(anna.dn) is None
    assert directory.get(staff.dn)["users"] == [renamed.dn]
    assert directory.get(help_.dn)["users"] == [renamed.dn]
    assert renamed["groups"] == [staff.dn]
    assert summary(directory) == [
        (USERS, renamed.dn, False),
        (GROUPS, staff.dn, False),
        (FUNCTIONAL_ACCOUNTS, help_.dn, False),
    ]
    assert [d["id"] for d in docs(directory)] == [anna.id, staff.id, help_.id]
    assert docs(directory)[1]["object"]["users"] == [renamed.dn]


def test_user_move_is_a_new_dn_for_refint_too(directory):
    anna = ox_user(directory, "anna")
    staff = directory.create(GROUPS, {"name": "staff", "users": [anna.dn]})
    drain(directory)
    moved = directory.move(anna.dn, f"ou=school,{BASE}")
    assert moved.id == anna.id and moved.dn == f"uid=anna,ou=school,{BASE}"
    assert directory.get(staff.dn)["users"] == [moved.dn]
    assert summary(directory) == [(USERS, moved.dn, False), (GROUPS, staff.dn, False)]
    directory.move(moved.dn, f"ou=school,{BASE}")  # no move, no file
    assert len(directory.queued()) == 2


def test_user_removal_writes_null_then_updates_the_referrers(directory):
    anna, bert = ox_user(directory, "anna"), ox_user(directory, "bert")
    staff = directory.create(GROUPS, {"name": "staff", "users": [anna.dn, bert.dn]})
    help_ = directory.create(
        FUNCTIONAL_ACCOUNTS,
        {"name": "help", "users": [anna.dn], "mailPrimaryAddress": "help@example.org"},
    )
    drain(directory)
    directory.remove(anna.dn)
    removal = docs(directory)[0]
    assert removal == {
        "id": anna.id,
        "udm_object_type": USERS,
        "dn": anna.dn,
        "object": None,
        "options": ["default"],
    }
    assert summary(directory)[1:] == [
        (GROUPS, staff.dn, False),
        (FUNCTIONAL_ACCOUNTS, help_.dn, False),
    ]
    assert directory.get(staff.dn)["users"] == [bert.dn]
    assert directory.get(help_.dn)["users"] == []


def test_group_rename_and_removal_follow_into_functional_accounts(directory):
    anna = ox_user(directory, "anna")
    staff = directory.create(GROUPS, {"name": "staff", "users": [anna.dn]})
    help_ = directory.create(
        FUNCTIONAL_ACCOUNTS,
        {"name": "help", "groups": [staff.dn], "mailPrimaryAddress": "help@example.org"},
    )
    drain(directory)
    renamed = directory.modify(staff.dn, {"name": "teachers"})
    assert renamed.id == staff.id and renamed.dn == f"cn=teachers,cn=groups,{BASE}"
    assert directory.get(help_.dn)["groups"] == [renamed.dn]
    assert directory.get(anna.dn)["groups"] == [renamed.dn]
    directory.remove(renamed.dn)
    assert directory.get(help_.dn)["groups"] == []
    assert directory.get(anna.dn)["groups"] == []
    assert summary(directory) == [
        (GROUPS, renamed.dn, False),
        (FUNCTIONAL_ACCOUNTS, help_.dn, False),
        (GROUPS, renamed.dn, True),
        (FUNCTIONAL_ACCOUNTS, help_.dn, False),
    ]


def test_setting_a_users_groups_changes_and_queues_the_groups(directory):
    a, b = directory.create(GROUPS, {"name": "a"}), directory.create(GROUPS, {"name": "b"})
    anna = ox_user(directory, "anna", groups=[a.dn])
    assert anna["groups"] == [a.dn]
    assert summary(directory)[-2:] == [(USERS, anna.dn, False), (GROUPS, a.dn, False)]
    drain(directory)
    anna = directory.modify(anna.dn, {"groups": [b.dn]})
    assert anna["groups"] == [b.dn]
    assert directory.get(a.dn)["users"] == [] and directory.get(b.dn)["users"] == [anna.dn]
    # the user entry itself does not change: only the two groups are queued
    assert summary(directory) == [(GROUPS, a.dn, False), (GROUPS, b.dn, False)]


def test_members_must_exist_and_are_stored_once_with_their_dn(directory):
    anna = ox_user(directory, "anna")
    with pytest.raises(InvalidValue, match="not a users/user object"):
        directory.create(GROUPS, {"name": "g", "users": [f"uid=ghost,cn=users,{BASE}"]})
    group = directory.create(GROUPS, {"name": "g", "users": [anna.dn.upper(), anna.dn]})
    assert group["users"] == [anna.dn]
    with pytest.raises(InvalidValue, match="not a groups/group object"):
        directory.create(
            FUNCTIONAL_ACCOUNTS,
            {"name": "f", "groups": [anna.dn], "mailPrimaryAddress": "f@example.org"},
        )


# -- queue files --------------------------------------------------------------------------------


def test_files_have_converter_names_in_strictly_increasing_order(tmp_path):
    frozen = Directory(tmp_path, BASE, clock=lambda: 1_790_000_000.0)  # the same microsecond
    for i in range(5):
        frozen.create(GROUPS, {"name": f"g{i}"})
    names = [p.name for p in frozen.queued()]
    assert all(NAME.match(n) for n in names)
    assert names == sorted(names) and len(set(names)) == 5
    assert [name_time(n) for n in names] == [1_790_000_000_000_000 + i for i in range(5)]
    assert file_name(1_790_000_000_000_000) == "2026-09-21-14-13-20-000000.json"


def test_a_second_writer_continues_after_the_newest_queued_file(tmp_path):
    late = Directory(tmp_path, BASE, clock=lambda: 2_000_000_000.0)
    late.create(GROUPS, {"name": "late"})
    early = Directory(tmp_path, BASE, clock=lambda: 1_000_000_000.0)  # a clock behind
    early.create(GROUPS, {"name": "early"})
    assert [json.loads(p.read_text())["dn"].split(",")[0] for p in early.queued()] == [
        "cn=late",
        "cn=early",
    ]


def test_files_appear_whole_under_their_final_name(directory, monkeypatch):
    seen = []
    real_link = os.link

    def watching_link(src, dst):
        # at publication the content is complete, under a hidden name the connector skips
        src = Path(src)
        seen.append(
            (
                src.name,
                json.loads(src.read_text())["dn"],
                [p.name for p in pending_files(directory.queue_dir)],
            )
        )
        return real_link(src, dst)

    monkeypatch.setattr(os, "link", watching_link)
    ox_user(directory, "anna")
    ((tmp_name, dn, visible),) = seen
    assert tmp_name.startswith(".") and dn == f"uid=anna,cn=users,{BASE}" and visible == []
    assert [p.name for p in directory.queue_dir.iterdir()] == [directory.queued()[0].name]


def test_the_connector_reads_every_file_written(directory):
    anna = ox_user(directory, "anna", jpegPhoto="/9j/2Q==")
    staff = directory.create(GROUPS, {"name": "staff", "users": [anna.dn], "isOxGroup": True})
    directory.remove(staff.dn)
    changes = [read_change(p) for p in pending_files(directory.queue_dir)]
    assert [(c.udm_object_type, c.id, c.is_delete) for c in changes] == [
        (USERS, anna.id, False),
        (GROUPS, staff.id, False),
        (GROUPS, staff.id, True),
    ]
    assert changes[0].object["mailPrimaryAddress"] == "anna@example.org"
    assert changes[1].object["users"] == [anna.dn] and changes[1].options == ("posix", "samba")


def test_no_change_no_file_and_resync_queues_the_object_as_it_is(directory):
    anna = ox_user(directory, "anna")
    drain(directory)
    directory.modify(anna.dn, {"lastname": "Tester", "title": None})
    assert directory.queued() == []
    path = directory.resync(anna.dn)
    assert json.loads(path.read_text())["object"] == directory.get(anna.dn).properties


def test_passwords_are_accepted_but_never_queued(directory):
    anna = ox_user(directory, "anna", password="univention")
    assert "password" not in anna.properties
    assert "univention" not in directory.queued()[0].read_text()


# -- running the connector like the converter -------------------------------------------------


def test_run_like_converter_reruns_while_files_remain(directory):
    runs = []

    def trigger():
        runs.append(len(directory.queued()))
        queued = directory.queued()
        queued[0].unlink()  # a run that applies one file; meanwhile a new change arrives
        if len(runs) == 1:
            ox_user(directory, "late")

    ox_user(directory, "anna")
    ox_user(directory, "bert")
    assert directory.sync(trigger) == 3
    assert runs == [2, 2, 1] and directory.queued() == []
    assert directory.sync(trigger) == 0  # nothing queued: no run


def test_a_failed_run_is_a_sync_error_carrying_the_failure(directory):
    ox_user(directory, "anna")
    failure = RuntimeError("queue file x.json (users/user uid=anna,...): OX said no")

    def trigger():
        raise failure

    with pytest.raises(SyncError, match="OX said no") as exc:
        directory.sync(trigger)
    assert exc.value.failure is failure and exc.value.remaining == directory.queued()


def test_a_run_that_applies_nothing_or_never_ends_is_a_sync_error(directory):
    ox_user(directory, "anna")
    with pytest.raises(SyncError, match=r"applied nothing .*\(users/user uid=anna"):
        directory.sync(lambda: None)

    def endless():
        directory.queued()[0].unlink()
        directory.resync(f"uid=anna,cn=users,{BASE}")

    with pytest.raises(SyncError, match="still queued after 3 runs"):
        run_like_converter(directory.queue_dir, endless, max_runs=3)


def test_the_commands_failure_is_its_last_error_log_line():
    stderr = "\n".join(
        [
            json.dumps({"level": "info", "msg": "run started"}),
            json.dumps(
                {
                    "level": "error",
                    "msg": "change failed; the run stops here",
                    "file": "f.json",
                    "dn": "uid=a",
                    "error": "No such context 5",
                }
            ),
            "not json",
        ]
    )
    reason = _error_line(stderr)
    assert "change failed" in reason and "No such context 5" in reason and "f.json" in reason
    assert "exited 1" in str(TriggerFailed(1, reason, stderr))


# -- the real command against an emulator -------------------------------------------------------


def test_the_command_applies_what_the_directory_queued_and_reports_failures(emulator, ox, tmp_path):
    from tests.reference.backends import embedded_env

    cid = 31_000
    directory = Directory(tmp_path / "listener", BASE, default_context=cid)
    trigger = command_trigger(embedded_env(emulator.url, emulator.master_password, tmp_path, cid))
    directory.create(CONTEXTS, {"name": f"context{cid}", "contextid": cid})
    directory.create_default_access_profiles()
    anna = ox_user(directory, "anna")
    staff = directory.create(GROUPS, {"name": "staff", "users": [anna.dn], "isOxGroup": "OK"})
    directory.modify(anna.dn, {"username": "anna2"})  # and refint re-queues the group
    assert directory.sync(trigger) == 1 and directory.queued() == []

    secrets = json.loads((tmp_path / "data" / "secrets" / "contexts.json").read_text())
    auth = {"login": secrets[str(cid)]["adminuser"], "password": secrets[str(cid)]["adminpass"]}
    user = ox.user.getData(ctx={"id": cid}, user={"name": "anna2"}, auth=auth)
    group = ox.group.getData(ctx={"id": cid}, grp={"name": "staff"}, auth=auth)
    assert group.members == [user.id] and staff.id != anna.id

    ox_user(directory, "lost", oxContext=cid + 1)  # a context OX does not have
    with pytest.raises(SyncError, match="lost") as exc:
        directory.sync(trigger)
    assert isinstance(exc.value.failure, TriggerFailed)
    assert str(cid + 1) in exc.value.failure.reason and len(exc.value.remaining) == 1
