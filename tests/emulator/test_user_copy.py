"""OXUserCopyService.copyUser (master admin only), over HTTP."""

from __future__ import annotations

import pytest

from ..oxclient import new_context, raises_fault


@pytest.fixture
def dest(ox):
    return new_context(ox)


def copy(ox, ctx, dest, user, auth=None):
    return ox.copy.copyUser(user=user, src=ctx.ref, dest=dest.ref, auth=auth or ox.master)


def test_copy_keeps_login_and_takes_id_from_destination(ox, ctx, dest):
    ctx.create_user("filler")
    bob = ctx.create_user("bob", display_name="Bob B", mail="bob@school.example")
    filler = dest.create_user("dest-filler")
    copied = copy(ox, ctx, dest, {"id": bob.id})
    assert copied.name == "bob"
    assert copied.id == filler.id + 1
    got = dest.get_user(name="bob")
    assert (got.id, got.display_name, got.primaryEmail) == (
        copied.id,
        "Bob B",
        "bob@school.example",
    )
    assert got.contextadmin is False


def test_copy_joins_the_destinations_default_group(ox, ctx, dest):
    bob = ctx.create_user("bob")
    copied = copy(ox, ctx, dest, {"id": bob.id})
    users = ox.group.getData(ctx=dest.ref, grp={"id": 1}, auth=dest.admin)
    assert copied.id in users.members


def test_source_user_stays_until_deleted(ox, ctx, dest):
    bob = ctx.create_user("bob")
    copy(ox, ctx, dest, {"id": bob.id})
    assert ctx.get_user(id=bob.id).name == "bob"
    ox.user.delete(ctx=ctx.ref, user={"id": bob.id}, auth=ctx.admin)
    assert ox.user.exists(ctx=ctx.ref, user={"name": "bob"}, auth=ctx.admin) is False
    assert dest.get_user(name="bob").name == "bob"


def test_login_existing_in_destination_is_refused(ox, ctx, dest):
    bob = ctx.create_user("bob")
    dest.create_user("bob", mail="other-bob@example.org", display_name="Other Bob")
    raises_fault(
        f"User bob already exists in context {dest.id}", copy, ox, ctx, dest, {"id": bob.id}
    )


def test_unknown_user_is_refused(ox, ctx, dest):
    raises_fault(f"No such user 4242 in context {ctx.id}", copy, ox, ctx, dest, {"id": 4242})


def test_missing_context_is_refused(ox, ctx, dest):
    bob = ctx.create_user("bob")
    raises_fault(
        "Context 999999 does not exist",
        ox.copy.copyUser,
        user={"id": bob.id},
        src=ctx.ref,
        dest={"id": 999999},
        auth=ox.master,
    )
    raises_fault(
        "Context 999999 does not exist",
        ox.copy.copyUser,
        user={"id": bob.id},
        src={"id": 999999},
        dest=dest.ref,
        auth=ox.master,
    )


def test_needs_master_credentials(ox, ctx, dest):
    bob = ctx.create_user("bob")
    raises_fault("Authentication failed", copy, ox, ctx, dest, {"id": bob.id}, auth=ctx.admin)
    raises_fault(
        "Authentication failed",
        copy,
        ox,
        ctx,
        dest,
        {"id": bob.id},
        auth={"login": "oxadminmaster", "password": "wrong"},
    )
    assert ox.user.exists(ctx=dest.ref, user={"name": "bob"}, auth=dest.admin) is False
