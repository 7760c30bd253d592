"""Groups (``groups/group`` with ``isOxGroup``): one OX group per context that has enabled
members, holding the members of that context; renames keep the OX id; the last member
leaving a context removes the group there; ``isOxGroup`` off or a removal removes it
everywhere; UDM's group ``users`` is OX's own and never synced; a member's rename
(refint) and context move carry its membership along.

As the Univention connector 2.1 handles groups, and as its group tests check, plus groups
named ``users``, which those tests leave out. Runs on both backends.
"""

from __future__ import annotations

import pytest

from udm_simulator import GROUPS


def members(backend, cid: int, group) -> list[str] | None:
    """The sorted member names of ``group`` in context ``cid``, None if OX has no such
    group there."""
    found = backend.ox.groups(cid).get(group["name"])
    return None if found is None else found["members"]


def names(*users) -> list[str]:
    return sorted(u["username"] for u in users)


@pytest.fixture
def second(backend) -> int:
    """A second context besides the default one."""
    cid = backend.context()["contextid"]
    return cid


def test_a_non_ox_group_is_not_created(backend):
    anna = backend.user()
    staff = backend.group(members=[anna], isOxGroup="Not")
    backend.sync()
    assert staff["name"] not in backend.ox.groups(backend.default_context)


def test_a_group_with_one_member(backend):
    anna = backend.user()
    staff = backend.group(members=[anna])
    backend.sync()
    group = backend.ox.groups(backend.default_context)[staff["name"]]
    assert group["members"] == [anna["username"]]
    assert group["displayname"] == staff["name"]  # the display name is the group name


def test_a_group_without_members_is_not_created(backend):
    empty = backend.group()
    backend.sync()
    assert empty["name"] not in backend.ox.groups(backend.default_context)


def test_a_group_spans_the_contexts_of_its_members(backend, second):
    home = backend.default_context
    a1, a2 = backend.user(), backend.user()
    b1 = backend.user(context=second)
    staff = backend.group(members=[a1, a2, b1])
    backend.sync()

    assert members(backend, home, staff) == names(a1, a2)
    assert members(backend, second, staff) == names(b1)


def test_disabled_members_are_not_members(backend, second):
    home = backend.default_context
    on, off = backend.user(), backend.user(isOxUser="Not")
    far_off = backend.user(context=second, isOxUser="Not")
    staff = backend.group(members=[on, off, far_off])
    backend.sync()
    assert members(backend, home, staff) == names(on)
    assert members(backend, second, staff) is None  # no enabled member there

    # enabling a member makes it one; disabling removes it again
    off = backend.modify(off.dn, {"isOxUser": "OK"})
    far_off = backend.modify(far_off.dn, {"isOxUser": "OK"})
    backend.sync()
    assert members(backend, home, staff) == names(on, off)
    assert members(backend, second, staff) == names(far_off)

    backend.modify(on.dn, {"isOxUser": "Not"})
    backend.modify(far_off.dn, {"isOxUser": "Not"})
    backend.sync()
    assert members(backend, home, staff) == names(off)
    assert members(backend, second, staff) is None


def test_removing_a_member_from_the_group(backend):
    home = backend.default_context
    a1, a2, a3 = backend.user(), backend.user(), backend.user()
    staff = backend.group(members=[a1, a2, a3])
    backend.sync()
    ox_id = backend.ox.groups(home)[staff["name"]]["id"]

    backend.modify(staff.dn, {"users": [a1.dn, a3.dn]})
    backend.sync()
    group = backend.ox.groups(home)[staff["name"]]
    assert group["members"] == names(a1, a3)
    assert group["id"] == ox_id
    assert a2["username"] in backend.ox.users(home)  # only the membership is gone

    # through the user's "groups" (UDM changes the group)
    backend.modify(a3.dn, {"groups": []})
    backend.sync()
    assert members(backend, home, staff) == names(a1)


def test_removing_a_member_user(backend):
    home = backend.default_context
    a1, a2 = backend.user(), backend.user()
    staff = backend.group(members=[a1, a2])
    backend.sync()

    backend.remove(a1.dn)
    backend.sync()
    assert members(backend, home, staff) == names(a2)
    backend.remove(a2.dn)
    backend.sync()
    assert members(backend, home, staff) is None  # the last member took the group along


def test_a_members_rename_keeps_the_member(backend, second):
    home = backend.default_context
    a1, a2 = backend.user(), backend.user()
    b1 = backend.user(context=second)
    staff = backend.group(members=[a1, a2, b1])
    backend.sync()
    ids = (
        backend.ox.groups(home)[staff["name"]]["id"],
        backend.ox.groups(second)[staff["name"]]["id"],
    )

    a1 = backend.modify(a1.dn, {"username": backend.unique("renamed")})
    b1 = backend.modify(b1.dn, {"username": backend.unique("renamed")})
    assert sorted(backend.get(staff.dn)["users"]) == sorted([a1.dn, a2.dn, b1.dn])  # refint
    backend.sync()

    assert members(backend, home, staff) == names(a1, a2)
    assert members(backend, second, staff) == names(b1)
    assert (
        backend.ox.groups(home)[staff["name"]]["id"],
        backend.ox.groups(second)[staff["name"]]["id"],
    ) == ids


def test_a_group_rename_keeps_the_ox_id_and_the_members(backend, second):
    home = backend.default_context
    a1, b1 = backend.user(), backend.user(context=second)
    staff = backend.group(members=[a1, b1])
    backend.sync()
    ids = {cid: backend.ox.groups(cid)[staff["name"]]["id"] for cid in (home, second)}

    renamed = backend.modify(staff.dn, {"name": backend.unique("renamed")})
    assert renamed.id == staff.id and renamed.dn != staff.dn
    backend.sync()

    for cid, member in ((home, a1), (second, b1)):
        groups = backend.ox.groups(cid)
        assert staff["name"] not in groups
        assert groups[renamed["name"]] == {
            "id": ids[cid],
            "displayname": renamed["name"],
            "members": names(member),
        }


def test_two_groups_swap_names(backend):
    """Two groups swap their names through a third one (UDM keeps names unique), all in
    one run: each OX group keeps its id and its members under the other's former name."""
    cid = backend.default_context
    a1, b1 = backend.user(), backend.user()
    staff, pupils = backend.group(members=[a1]), backend.group(members=[b1])
    backend.sync()
    ids = {g["name"]: backend.ox.groups(cid)[g["name"]]["id"] for g in (staff, pupils)}
    s_name, p_name = staff["name"], pupils["name"]
    backend.swap(staff, pupils, "name", backend.unique("tmp"))
    backend.sync()
    groups = backend.ox.groups(cid)
    assert groups[p_name] == {"id": ids[s_name], "displayname": p_name, "members": names(a1)}
    assert groups[s_name] == {"id": ids[p_name], "displayname": s_name, "members": names(b1)}


def test_the_last_member_leaving_a_context_removes_the_group_there(backend, second):
    home = backend.default_context
    a1, b1 = backend.user(), backend.user(context=second)
    staff = backend.group(members=[a1, b1])
    backend.sync()
    assert members(backend, second, staff) == names(b1)

    backend.modify(staff.dn, {"users": [a1.dn]})
    backend.sync()
    assert members(backend, second, staff) is None
    assert members(backend, home, staff) == names(a1)

    # and coming back creates it there again
    backend.modify(staff.dn, {"users": [a1.dn, b1.dn]})
    backend.sync()
    assert members(backend, second, staff) == names(b1)


def test_is_ox_group_off_removes_the_group_everywhere(backend, second):
    home = backend.default_context
    a1, b1 = backend.user(), backend.user(context=second)
    staff = backend.group(members=[a1, b1])
    backend.sync()
    assert members(backend, home, staff) and members(backend, second, staff)

    staff = backend.modify(staff.dn, {"isOxGroup": "Not"})
    backend.sync()
    assert members(backend, home, staff) is None
    assert members(backend, second, staff) is None
    assert set(backend.ox.users(home)) >= {a1["username"]}  # the users stay

    backend.modify(staff.dn, {"isOxGroup": "OK"})
    backend.sync()
    assert members(backend, home, staff) == names(a1)
    assert members(backend, second, staff) == names(b1)


def test_removing_the_group_removes_it_everywhere(backend, second):
    home = backend.default_context
    a1, b1 = backend.user(), backend.user(context=second)
    staff = backend.group(members=[a1, b1])
    other = backend.group(members=[a1])
    backend.sync()

    backend.remove(staff.dn)
    backend.sync()
    assert staff["name"] not in backend.ox.groups(home)
    assert staff["name"] not in backend.ox.groups(second)
    assert members(backend, home, other) == names(a1)  # other groups stay
    assert a1["username"] in backend.ox.users(home)
    assert b1["username"] in backend.ox.users(second)


def _ox_groups_named_users(backend, cid: int) -> list[tuple[int, str]]:
    """(id, name) of every OX group of the context named "users" in any case, OX's own
    default group (id 1) included, read through the inspector's services."""
    services, auth = backend.ox.services, backend.ox.credentials(cid)
    found = services.group.listAll(ctx={"id": cid}, auth=auth) or []
    return sorted((g.id, g.name) for g in found if g.name.lower() == "users")


@pytest.mark.parametrize("name", ["users", "Users"])
def test_the_udm_group_users_is_not_synced(backend, second, name):
    home = backend.default_context
    a1, b1 = backend.user(), backend.user(context=second)
    own = _ox_groups_named_users(backend, home)
    assert [n for _, n in own] == ["users"]  # OX's default group

    users = backend.create(GROUPS, {"name": name, "isOxGroup": "OK", "users": [a1.dn, b1.dn]})
    staff = backend.group(members=[a1, b1])  # an ordinary group beside it is synced
    backend.sync()
    for cid in (home, second):
        assert "users" not in {n.lower() for n in backend.ox.groups(cid)}
        assert len(_ox_groups_named_users(backend, cid)) == 1
    assert _ox_groups_named_users(backend, home) == own
    assert members(backend, home, staff) == names(a1)

    # neither changes nor the removal touch OX's own group
    backend.modify(users.dn, {"users": [a1.dn]})
    backend.sync()
    backend.remove(users.dn)
    backend.sync()
    assert _ox_groups_named_users(backend, home) == own
    assert len(_ox_groups_named_users(backend, second)) == 1
    assert set(backend.ox.users(home)) >= {a1["username"]}
    assert set(backend.ox.users(second)) == {b1["username"]}


def test_a_members_context_move_moves_its_membership(backend, second):
    home = backend.default_context
    a1, a2, a3 = backend.user(), backend.user(), backend.user()
    staff = backend.group(members=[a1, a2, a3])
    backend.sync()
    assert members(backend, second, staff) is None

    a3 = backend.modify(a3.dn, {"oxContext": second})  # no group change is queued by UDM
    backend.sync()
    assert members(backend, home, staff) == names(a1, a2)
    assert members(backend, second, staff) == names(a3)

    a1 = backend.modify(a1.dn, {"oxContext": second})
    backend.sync()
    assert members(backend, home, staff) == names(a2)
    assert members(backend, second, staff) == names(a1, a3)


def test_the_only_members_context_move_moves_the_group(backend, second):
    home = backend.default_context
    anna = backend.user()
    staff = backend.group(members=[anna])
    backend.sync()
    third = backend.context()["contextid"]

    anna = backend.modify(anna.dn, {"oxContext": second})
    backend.sync()
    assert members(backend, home, staff) is None
    assert members(backend, second, staff) == names(anna)

    anna = backend.modify(anna.dn, {"oxContext": third})
    backend.sync()
    assert members(backend, second, staff) is None
    assert members(backend, third, staff) == names(anna)


@pytest.mark.parametrize("name", ["users", "Users"])
def test_a_group_renamed_to_users_leaves_ox_and_comes_back_when_renamed_again(
    backend, second, name
):
    home = backend.default_context
    a1, b1 = backend.user(), backend.user(context=second)
    staff = backend.group(members=[a1, b1])
    backend.sync()
    own = {cid: _ox_groups_named_users(backend, cid) for cid in (home, second)}

    as_users = backend.modify(staff.dn, {"name": name})
    backend.sync()
    for cid in (home, second):
        assert staff["name"] not in backend.ox.groups(cid)
        assert "users" not in {n.lower() for n in backend.ox.groups(cid)}
        assert _ox_groups_named_users(backend, cid) == own[cid]

    again = backend.modify(as_users.dn, {"name": backend.unique("group")})
    backend.sync()
    assert members(backend, home, again) == names(a1)
    assert members(backend, second, again) == names(b1)
    assert _ox_groups_named_users(backend, home) == own[home]


def test_rename_membership_and_context_changes_in_one_batch(backend, second):
    home = backend.default_context
    a1, a2, a3 = backend.user(), backend.user(), backend.user()
    staff = backend.group(members=[a1, a2])
    backend.sync()
    ox_id = backend.ox.groups(home)[staff["name"]]["id"]

    renamed = backend.modify(
        staff.dn, {"name": backend.unique("renamed"), "users": [a1.dn, a2.dn, a3.dn]}
    )
    a2 = backend.modify(a2.dn, {"oxContext": second})
    a1 = backend.modify(a1.dn, {"username": backend.unique("renamed")})
    backend.sync()

    groups = backend.ox.groups(home)
    assert staff["name"] not in groups
    assert groups[renamed["name"]]["id"] == ox_id
    assert groups[renamed["name"]]["members"] == names(a1, a3)
    assert members(backend, second, renamed) == names(a2)


def test_unsynced_properties_change_nothing(backend):
    home = backend.default_context
    anna = backend.user()
    staff = backend.group(members=[anna], description="before")
    backend.sync()
    before = backend.ox.groups(home)[staff["name"]]

    backend.modify(
        staff.dn, {"description": "after", "mailAddress": backend.mail(backend.unique("list"))}
    )
    backend.sync()
    assert backend.ox.groups(home)[staff["name"]] == before


def test_a_member_removed_and_re_created_under_the_same_name_in_one_batch(backend):
    home = backend.default_context
    anna, bert = backend.user(firstname="Anna"), backend.user()
    staff = backend.group(members=[anna, bert])
    backend.sync()

    backend.remove(anna.dn)
    again = backend.user(anna["username"], firstname="Anna-Two")
    backend.modify(staff.dn, {"users": [bert.dn, again.dn]})
    backend.sync()
    assert backend.ox.user(home, anna["username"])["given_name"] == "Anna-Two"
    assert members(backend, home, staff) == names(again, bert)
