"""OXResourceService semantics over HTTP, among them OX's resource rules: a resource needs
a name, display name and mail address; name and mail address are unique, and the mail
address is no user's primary mail."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ..oxclient import new_context, raises_fault


def resource(name, **fields):
    return {
        "name": name,
        "displayname": f"{name} display",
        "email": f"{name}@example.org",
        **fields,
    }


def create_resource(ctx, name, **fields):
    return ctx.ox.resource.create(ctx=ctx.ref, res=resource(name, **fields), auth=ctx.admin)


def get_resource(ctx, **ref):
    return ctx.ox.resource.getData(ctx=ctx.ref, res=ref, auth=ctx.admin)


def change_resource(ctx, **fields):
    return ctx.ox.resource.change(ctx=ctx.ref, res=fields, auth=ctx.admin)


# create ------------------------------------------------------------------------------------
def test_create_and_get_data(ox, ctx):
    created = create_resource(ctx, "beamer", description="Projector", available=False)
    got = get_resource(ctx, id=created.id)
    assert (got.name, got.displayname, got.email, got.description, got.available) == (
        "beamer",
        "beamer display",
        "beamer@example.org",
        "Projector",
        False,
    )
    assert get_resource(ctx, name="beamer").id == created.id


def test_create_needs_name_displayname_and_email(ox, ctx):
    raises_fault(
        "Mandatory fields not set: [name, displayname, email]",
        ox.resource.create,
        ctx=ctx.ref,
        res={"description": "x"},
        auth=ctx.admin,
    )
    raises_fault(
        "Mandatory fields not set: [email]",
        ox.resource.create,
        ctx=ctx.ref,
        res={"name": "r", "displayname": "R"},
        auth=ctx.admin,
    )


def test_name_with_space_is_allowed(ox, ctx):
    created = create_resource(ctx, "room 101", email="room101@example.org")
    assert get_resource(ctx, id=created.id).name == "room 101"


def test_name_with_illegal_chars_is_refused(ox, ctx):
    raises_fault('Illegal chars: "!"', create_resource, ctx, "room!", email="room@example.org")


def test_duplicate_name_is_refused(ox, ctx):
    create_resource(ctx, "car")
    raises_fault(
        "Resource car already exists in this context",
        create_resource,
        ctx,
        "car",
        email="car2@example.org",
    )


def test_duplicate_email_is_refused(ox, ctx):
    create_resource(ctx, "car")
    raises_fault(
        "Resource with this email address already exists",
        create_resource,
        ctx,
        "truck",
        email="car@example.org",
    )


def test_email_of_a_users_primary_mail_is_refused(ox, ctx):
    uid = ctx.create_user("alice").id
    raises_fault(
        f'Primary mail address "alice@example.org" already exists in context '
        f"{ctx.id} (Already assigned to user {uid}).",
        create_resource,
        ctx,
        "desk",
        email="alice@example.org",
    )


def test_invalid_email_is_refused(ox, ctx):
    raises_fault("Invalid email address", create_resource, ctx, "desk", email="not a mail")


def test_available_defaults_to_true(ox, ctx):
    created = create_resource(ctx, "bike")
    assert created.available is True
    assert get_resource(ctx, id=created.id).available is True


def test_empty_description_reads_back_as_none(ox, ctx):
    created = create_resource(ctx, "desk", description="")
    assert get_resource(ctx, id=created.id).description is None


# change ------------------------------------------------------------------------------------
def test_change_is_partial(ox, ctx):
    created = create_resource(ctx, "van", description="Old", available=True)
    change_resource(ctx, id=created.id, description="New")
    got = get_resource(ctx, id=created.id)
    assert (got.name, got.displayname, got.email, got.description, got.available) == (
        "van",
        "van display",
        "van@example.org",
        "New",
        True,
    )


def test_change_description_to_empty(ox, ctx):
    created = create_resource(ctx, "van", description="Old")
    change_resource(ctx, id=created.id, description="")
    assert get_resource(ctx, id=created.id).description is None


def test_change_by_name(ox, ctx):
    create_resource(ctx, "van")
    change_resource(ctx, name="van", displayname="The Van", available=False)
    got = get_resource(ctx, name="van")
    assert (got.displayname, got.available) == ("The Van", False)


def test_change_keeps_own_email_and_name(ox, ctx):
    created = create_resource(ctx, "van")
    change_resource(ctx, id=created.id, name="van", email="van@example.org")
    assert get_resource(ctx, id=created.id).email == "van@example.org"


def test_change_to_taken_name_or_email_is_refused(ox, ctx):
    create_resource(ctx, "car")
    van = create_resource(ctx, "van")
    raises_fault(
        "Resource car already exists in this context", change_resource, ctx, id=van.id, name="car"
    )
    raises_fault(
        "Resource with this email address already exists",
        change_resource,
        ctx,
        id=van.id,
        email="car@example.org",
    )


def test_change_to_a_users_primary_mail_is_refused(ox, ctx):
    uid = ctx.create_user("alice").id
    van = create_resource(ctx, "van")
    raises_fault(
        f'Primary mail address "alice@example.org" already exists in context '
        f"{ctx.id} (Already assigned to user {uid}).",
        change_resource,
        ctx,
        id=van.id,
        email="alice@example.org",
    )


def test_change_to_blank_name_is_refused(ox, ctx):
    # the contract requires a name but gives no text for a blank one on change
    van = create_resource(ctx, "van")
    raises_fault(re.compile(".+"), change_resource, ctx, id=van.id, name="  ")
    assert get_resource(ctx, id=van.id).name == "van"


def test_change_of_missing_resource(ox, ctx):
    raises_fault(
        "Resource with this id does not exists", change_resource, ctx, id=4242, description="x"
    )


# delete ------------------------------------------------------------------------------------
def test_delete(ox, ctx):
    created = create_resource(ctx, "old")
    ox.resource.delete(ctx=ctx.ref, res={"id": created.id, "name": "old"}, auth=ctx.admin)
    raises_fault(f"No such resource {created.id}", get_resource, ctx, id=created.id)
    # name and email are free again
    create_resource(ctx, "old")


def test_delete_missing_resource(ox, ctx):
    raises_fault(
        "resource with with this id does not exist",
        ox.resource.delete,
        ctx=ctx.ref,
        res={"id": 4242},
        auth=ctx.admin,
    )


# reading -----------------------------------------------------------------------------------
def test_get_data_of_missing_resource(ox, ctx):
    raises_fault("No such resource 4242", get_resource, ctx, id=4242)
    raises_fault("No such resource nope", get_resource, ctx, name="nope")


def test_list_matches_name_like_or_displayname_equal(ox, ctx):
    room_a = create_resource(ctx, "room-a", displayname="Meeting A")
    room_b = create_resource(ctx, "room-b", displayname="Meeting B")
    beamer = create_resource(ctx, "beamer", displayname="room-x")

    def listed(pattern):
        return sorted(r.id for r in ox.resource.list(ctx=ctx.ref, pattern=pattern, auth=ctx.admin))

    assert listed("room*") == [room_a.id, room_b.id]
    assert listed("Meeting A") == [room_a.id]
    assert listed("Meeting*") == []  # the display name is compared, not matched
    assert listed("room-x") == [beamer.id]
    assert listed("*") == sorted([room_a.id, room_b.id, beamer.id])


def test_list_returns_full_resources(ox, ctx):
    create_resource(ctx, "printer", description="Laser")
    (got,) = ox.resource.list(ctx=ctx.ref, pattern="printer", auth=ctx.admin)
    assert (got.displayname, got.email, got.description) == (
        "printer display",
        "printer@example.org",
        "Laser",
    )


def test_list_all(ox, ctx):
    ids = [create_resource(ctx, n).id for n in ("r1", "r2", "r3")]
    assert [r.id for r in ox.resource.listAll(ctx=ctx.ref, auth=ctx.admin)] == ids


def test_get_multiple_data_keeps_order(ox, ctx):
    a, b = create_resource(ctx, "ra"), create_resource(ctx, "rb")
    got = ox.resource.getMultipleData(
        ctx=ctx.ref, resources=[{"id": b.id}, {"name": "ra"}], auth=ctx.admin
    )
    assert [(r.id, r.name) for r in got] == [(b.id, "rb"), (a.id, "ra")]


def test_needs_context_admin(ox, ctx):
    raises_fault("Authentication failed", ox.resource.listAll, ctx=ctx.ref, auth=ox.master)
    other = new_context(ox)
    raises_fault("Authentication failed", ox.resource.listAll, ctx=ctx.ref, auth=other.admin)


# property ----------------------------------------------------------------------------------
_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=30,
)
_NAME = st.text(st.sampled_from("abcXYZ019 $@%.+_-"), min_size=1, max_size=20).filter(
    lambda s: s.strip()
)
_SHARED = {}


@settings(max_examples=25, deadline=None)
@given(name=_NAME, displayname=_TEXT, description=_TEXT)
def test_unicode_round_trip(ox, name, displayname, description):
    if "ctx" not in _SHARED:
        _SHARED["ctx"] = new_context(ox)
    c = _SHARED["ctx"]
    created = c.ox.resource.create(
        ctx=c.ref,
        res={
            "name": name,
            "displayname": displayname,
            "email": "unicode@example.org",
            "description": description,
        },
        auth=c.admin,
    )
    try:
        got = get_resource(c, id=created.id)
        assert (got.name, got.displayname, got.description) == (name, displayname, description)
    finally:
        c.ox.resource.delete(ctx=c.ref, res={"id": created.id}, auth=c.admin)
