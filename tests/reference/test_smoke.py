"""The frame works: objects created through the backend reach OX, renames follow refint,
removals remove. Runs on both backends."""

from __future__ import annotations

import pytest

from connector.simulator import USERS, UDMError


def test_context_user_group_reach_ox(backend):
    cid = backend.context()["contextid"]
    backend.sync()
    anna = backend.user(context=cid, firstname="Anna")
    bert = backend.user(context=cid)
    staff = backend.group(members=[anna, bert])
    backend.sync()

    assert backend.ox.context(cid)["name"] == f"context{cid}"
    users = backend.ox.users(cid)
    assert set(users) == {anna["username"], bert["username"]}
    assert users[anna["username"]]["given_name"] == "Anna"
    assert users[anna["username"]]["primaryEmail"] == anna["mailPrimaryAddress"]
    groups = backend.ox.groups(cid)
    assert groups[staff["name"]]["members"] == sorted([anna["username"], bert["username"]])


def test_user_rename_reaches_groups_through_refint(backend):
    anna = backend.user()
    staff = backend.group(members=[anna])
    backend.sync()
    ox_id = backend.ox.user(backend.default_context, anna["username"])["id"]

    renamed = backend.modify(anna.dn, {"username": backend.unique("anna")})
    assert renamed.id == anna.id and renamed.dn != anna.dn
    assert backend.get(staff.dn)["users"] == [renamed.dn]  # refint
    backend.sync()

    user = backend.ox.user(backend.default_context, renamed["username"])
    assert user["id"] == ox_id  # a rename keeps the OX user
    assert backend.ox.user(backend.default_context, anna["username"]) is None
    assert backend.ox.groups(backend.default_context)[staff["name"]]["members"] == [
        renamed["username"]]


def test_removal(backend):
    anna, bert = backend.user(), backend.user()
    staff = backend.group(members=[anna, bert])
    backend.sync()

    backend.remove(anna.dn)
    backend.sync()
    cid = backend.default_context
    assert set(backend.ox.users(cid)) == {bert["username"]}
    assert backend.ox.groups(cid)[staff["name"]]["members"] == [bert["username"]]

    backend.remove(staff.dn)
    backend.sync()
    assert staff["name"] not in backend.ox.groups(cid)


def test_udm_refuses_a_second_user_with_the_same_name(backend):
    anna = backend.user()
    with pytest.raises(UDMError):
        backend.create(USERS, {"username": anna["username"], "lastname": "Other"})
