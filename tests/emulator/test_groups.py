"""OXGroupService semantics (every change replaces Group.members), over HTTP."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ..oxclient import new_context, raises_fault

DEFAULT_GROUP = 1


def create_group(ctx, name, displayname=None, members=None):
    grp = {"name": name, "displayname": displayname or f"{name} display", "members": members or []}
    return ctx.ox.group.create(ctx=ctx.ref, grp=grp, auth=ctx.admin)


def get_group(ctx, **ref):
    return ctx.ox.group.getData(ctx=ctx.ref, grp=ref, auth=ctx.admin)


def members_of(ctx, **ref):
    return sorted(get_group(ctx, **ref).members or [])


def user_ids(ctx, *names):
    return [ctx.create_user(n).id for n in names]


# create ------------------------------------------------------------------------------------
def test_create_returns_group_with_id_and_members(ox, ctx):
    alice, bob = user_ids(ctx, "alice", "bob")
    group = create_group(ctx, "staff", "Staff", [bob, alice])
    assert group.id > DEFAULT_GROUP
    data = get_group(ctx, id=group.id)
    assert (data.name, data.displayname, sorted(data.members)) == (
        "staff",
        "Staff",
        sorted([alice, bob]),
    )


def test_create_needs_name_and_displayname(ox, ctx):
    raises_fault(
        "Mandatory fields not set: [displayname, name]",
        ox.group.create,
        ctx=ctx.ref,
        grp={"members": []},
        auth=ctx.admin,
    )
    raises_fault(
        "Mandatory fields not set: [displayname]",
        ox.group.create,
        ctx=ctx.ref,
        grp={"name": "g1"},
        auth=ctx.admin,
    )
    raises_fault(
        "Mandatory fields not set: [name]",
        ox.group.create,
        ctx=ctx.ref,
        grp={"displayname": "G1"},
        auth=ctx.admin,
    )


def test_duplicate_name_is_refused(ox, ctx):
    create_group(ctx, "team")
    raises_fault("Group already exists!", create_group, ctx, "team", "Other display")


def test_name_with_spaces_is_allowed(ox, ctx):
    group = create_group(ctx, "my team 1")
    assert get_group(ctx, id=group.id).name == "my team 1"


def test_name_with_illegal_chars_is_refused(ox, ctx):
    raises_fault('Illegal chars: "#/"', create_group, ctx, "a#b/c")


def test_blank_name_is_refused(ox, ctx):
    # OX wants a non-blank name but documents no message text for the refusal
    raises_fault(re.compile(".+"), create_group, ctx, "   ", "Blank")
    assert [g.name for g in ox.group.listAll(ctx=ctx.ref, auth=ctx.admin)] == ["users"]


def test_members_must_exist(ox, ctx):
    raises_fault("No such user", create_group, ctx, "ghosts", members=[4242])
    assert [g.name for g in ox.group.listAll(ctx=ctx.ref, auth=ctx.admin)] == ["users"]


def test_display_names_are_not_unique_checked(ox, ctx):
    a = create_group(ctx, "g-a", "Same display")
    b = create_group(ctx, "g-b", "Same display")
    assert a.id != b.id
    assert get_group(ctx, id=b.id).displayname == "Same display"


def test_principal_ids_are_shared_with_users_and_resources(ox, ctx):
    uid = ctx.create_user("seq").id
    gid = create_group(ctx, "seq-group").id
    rid = ox.resource.create(
        ctx=ctx.ref,
        res={"name": "seq-room", "displayname": "Room", "email": "seq-room@example.org"},
        auth=ctx.admin,
    ).id
    uid2 = ctx.create_user("seq2").id
    assert [gid, rid, uid2] == [uid + 1, uid + 2, uid + 3]


# change ------------------------------------------------------------------------------------
def test_change_replaces_members(ox, ctx):
    alice, bob, carol = user_ids(ctx, "alice", "bob", "carol")
    group = create_group(ctx, "g", members=[alice, bob])
    ox.group.change(ctx=ctx.ref, grp={"id": group.id, "members": [carol]}, auth=ctx.admin)
    assert members_of(ctx, id=group.id) == [carol]


def test_change_without_members_removes_all_members(ox, ctx):
    alice, bob = user_ids(ctx, "alice", "bob")
    group = create_group(ctx, "g", "Before", [alice, bob])
    ox.group.change(ctx=ctx.ref, grp={"id": group.id, "displayname": "After"}, auth=ctx.admin)
    data = get_group(ctx, id=group.id)
    assert data.displayname == "After"
    assert not data.members


def test_change_to_unknown_member_is_refused_and_keeps_members(ox, ctx):
    (alice,) = user_ids(ctx, "alice")
    group = create_group(ctx, "g", members=[alice])
    raises_fault(
        "No such user",
        ox.group.change,
        ctx=ctx.ref,
        grp={"id": group.id, "members": [alice, 4242]},
        auth=ctx.admin,
    )
    assert members_of(ctx, id=group.id) == [alice]


def test_rename(ox, ctx):
    group = create_group(ctx, "old-name")
    ox.group.change(ctx=ctx.ref, grp={"id": group.id, "name": "new name"}, auth=ctx.admin)
    assert get_group(ctx, id=group.id).name == "new name"
    raises_fault("No such group old-name", get_group, ctx, name="old-name")


def test_rename_to_taken_name_is_refused(ox, ctx):
    create_group(ctx, "taken")
    group = create_group(ctx, "mine")
    raises_fault(
        "Group taken already exists in this context",
        ox.group.change,
        ctx=ctx.ref,
        grp={"id": group.id, "name": "taken"},
        auth=ctx.admin,
    )


def test_change_by_name(ox, ctx):
    (alice,) = user_ids(ctx, "alice")
    create_group(ctx, "byname")
    ox.group.change(ctx=ctx.ref, grp={"name": "byname", "members": [alice]}, auth=ctx.admin)
    assert members_of(ctx, name="byname") == [alice]


def test_change_of_unknown_group_by_name_is_wrapped(ox, ctx):
    raises_fault(
        "com.openexchange.admin.rmi.exceptions.NoSuchObjectException: "
        "com.openexchange.admin.rmi.exceptions.NoSuchGroupException: "
        f"No such group nope in context {ctx.id}",
        ox.group.change,
        ctx=ctx.ref,
        grp={"name": "nope"},
        auth=ctx.admin,
    )


# delete ------------------------------------------------------------------------------------
def test_delete(ox, ctx):
    group = create_group(ctx, "doomed")
    ox.group.delete(ctx=ctx.ref, grp={"id": group.id, "name": "doomed"}, auth=ctx.admin)
    raises_fault(f"No such group {group.id}", get_group, ctx, id=group.id)


def test_default_group_cannot_be_deleted(ox, ctx):
    raises_fault(
        "Group with id 1 cannot be deleted",
        ox.group.delete,
        ctx=ctx.ref,
        grp={"id": DEFAULT_GROUP},
        auth=ctx.admin,
    )
    raises_fault(
        "Group with id 1 cannot be deleted",
        ox.group.delete,
        ctx=ctx.ref,
        grp={"name": "users"},
        auth=ctx.admin,
    )
    assert get_group(ctx, id=DEFAULT_GROUP).name == "users"


def test_delete_multiple(ox, ctx):
    a, b = create_group(ctx, "m-a"), create_group(ctx, "m-b")
    ox.group.deleteMultiple(ctx=ctx.ref, grps=[{"id": a.id}, {"id": b.id}], auth=ctx.admin)
    assert [g.id for g in ox.group.listAll(ctx=ctx.ref, auth=ctx.admin)] == [DEFAULT_GROUP]


# reading -----------------------------------------------------------------------------------
def test_get_data_of_unknown_group(ox, ctx):
    raises_fault("No such group 4242", get_group, ctx, id=4242)
    raises_fault("No such group nope", get_group, ctx, name="nope")


def test_list_matches_name_or_displayname_and_includes_users(ox, ctx):
    alice, bob = user_ids(ctx, "alice", "bob")
    by_name = create_group(ctx, "sales-team", "Verkauf")
    by_display = create_group(ctx, "g42", "sales people")
    create_group(ctx, "other", "Other")
    found = ox.group.list(ctx=ctx.ref, pattern="sales*", auth=ctx.admin)
    assert sorted(g.id for g in found) == sorted([by_name.id, by_display.id])
    every = ox.group.list(ctx=ctx.ref, pattern="*", auth=ctx.admin)
    users = next(g for g in every if g.id == DEFAULT_GROUP)
    assert users.name == "users"
    admin_id = ox.user.getContextAdmin(ctx=ctx.ref, auth=ctx.admin).id
    assert sorted(users.members) == sorted([admin_id, alice, bob])


def test_list_returns_full_groups(ox, ctx):
    (alice,) = user_ids(ctx, "alice")
    create_group(ctx, "full", "Full Group", [alice])
    (found,) = ox.group.list(ctx=ctx.ref, pattern="full", auth=ctx.admin)
    assert (found.name, found.displayname, found.members) == ("full", "Full Group", [alice])


def test_list_all(ox, ctx):
    a, b = create_group(ctx, "la-a"), create_group(ctx, "la-b")
    assert [g.id for g in ox.group.listAll(ctx=ctx.ref, auth=ctx.admin)] == [
        DEFAULT_GROUP,
        a.id,
        b.id,
    ]


def test_get_multiple_data_keeps_order(ox, ctx):
    a, b = create_group(ctx, "gm-a"), create_group(ctx, "gm-b")
    got = ox.group.getMultipleData(
        ctx=ctx.ref, grps=[{"id": b.id}, {"name": "gm-a"}], auth=ctx.admin
    )
    assert [(g.id, g.name) for g in got] == [(b.id, "gm-b"), (a.id, "gm-a")]
    raises_fault(
        "No such group 4242",
        ox.group.getMultipleData,
        ctx=ctx.ref,
        grps=[{"id": a.id}, {"id": 4242}],
        auth=ctx.admin,
    )


def test_list_groups_for_user_includes_default_group(ox, ctx):
    alice, bob = user_ids(ctx, "alice", "bob")
    mine = create_group(ctx, "mine", members=[alice])
    create_group(ctx, "theirs", members=[bob])
    got = ox.group.listGroupsForUser(ctx=ctx.ref, usr={"id": alice}, auth=ctx.admin)
    assert sorted(g.id for g in got) == [DEFAULT_GROUP, mine.id]
    assert {g.name for g in got} == {"users", "mine"}


def test_get_members(ox, ctx):
    alice, bob = user_ids(ctx, "alice", "bob")
    group = create_group(ctx, "gm", members=[alice, bob])
    got = ox.group.getMembers(ctx=ctx.ref, grp={"id": group.id}, auth=ctx.admin)
    assert sorted(u.id for u in got) == sorted([alice, bob])


def test_get_default_group(ox, ctx):
    group = ox.group.getDefaultGroup(ctx=ctx.ref, auth=ctx.admin)
    assert (group.id, group.name) == (DEFAULT_GROUP, "users")


# members -----------------------------------------------------------------------------------
def test_add_and_remove_member(ox, ctx):
    alice, bob = user_ids(ctx, "alice", "bob")
    group = create_group(ctx, "g", members=[alice])
    ox.group.addMember(ctx=ctx.ref, grp={"id": group.id}, members=[{"id": bob}], auth=ctx.admin)
    assert members_of(ctx, id=group.id) == sorted([alice, bob])
    ox.group.removeMember(
        ctx=ctx.ref, grp={"id": group.id}, members=[{"id": alice}], auth=ctx.admin
    )
    assert members_of(ctx, id=group.id) == [bob]


def test_add_existing_member_is_refused(ox, ctx):
    (alice,) = user_ids(ctx, "alice")
    group = create_group(ctx, "g", members=[alice])
    raises_fault(
        "Member already exists in group",
        ox.group.addMember,
        ctx=ctx.ref,
        grp={"id": group.id},
        members=[{"id": alice}],
        auth=ctx.admin,
    )


def test_add_unknown_member_is_refused(ox, ctx):
    group = create_group(ctx, "g")
    # OX: NoSuchUserException("No such user") for unknown member ids
    raises_fault(
        "No such user",
        ox.group.addMember,
        ctx=ctx.ref,
        grp={"id": group.id},
        members=[{"id": 4242}],
        auth=ctx.admin,
    )


def test_add_member_to_unknown_group(ox, ctx):
    (alice,) = user_ids(ctx, "alice")
    raises_fault(
        "No such group",
        ox.group.addMember,
        ctx=ctx.ref,
        grp={"id": 4242},
        members=[{"id": alice}],
        auth=ctx.admin,
    )


def test_deleting_a_user_removes_it_from_groups_but_keeps_the_group(ox, ctx):
    alice, bob = user_ids(ctx, "alice", "bob")
    group = create_group(ctx, "g", members=[alice])
    ox.user.delete(ctx=ctx.ref, user={"id": alice}, auth=ctx.admin)
    assert not get_group(ctx, id=group.id).members
    assert alice not in get_group(ctx, id=DEFAULT_GROUP).members
    assert bob in get_group(ctx, id=DEFAULT_GROUP).members


# auth --------------------------------------------------------------------------------------
def test_needs_context_admin(ox, ctx):
    ctx.create_user("plain")
    plain = {"login": "plain", "password": "secret"}
    raises_fault("Authentication failed", ox.group.listAll, ctx=ctx.ref, auth=plain)
    raises_fault("Authentication failed", ox.group.listAll, ctx=ctx.ref, auth=ox.master)
    other = new_context(ox)
    raises_fault("Authentication failed", ox.group.listAll, ctx=ctx.ref, auth=other.admin)


# property ----------------------------------------------------------------------------------
_PROPERTY_CTX = {}


def _shared_ctx(ox):
    """One context with five users for all Hypothesis examples (contexts are costly)."""
    if "ctx" not in _PROPERTY_CTX:
        c = new_context(ox)
        ids = [c.create_user(f"p{i}").id for i in range(5)]
        group = c.ox.group.create(
            ctx=c.ref, grp={"name": "prop", "displayname": "Prop"}, auth=c.admin
        )
        _PROPERTY_CTX.update(ctx=c, ids=ids, gid=group.id)
    return _PROPERTY_CTX["ctx"], _PROPERTY_CTX["ids"], _PROPERTY_CTX["gid"]


@settings(max_examples=25, deadline=None)
@given(picks=st.lists(st.integers(min_value=0, max_value=4), unique=True))
def test_change_members_then_get_data_returns_exactly_them(ox, picks):
    c, ids, gid = _shared_ctx(ox)
    wanted = [ids[i] for i in picks]
    ox.group.change(ctx=c.ref, grp={"id": gid, "members": wanted}, auth=c.admin)
    assert sorted(get_group(c, id=gid).members or []) == sorted(wanted)
