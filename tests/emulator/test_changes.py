"""GET /emulator/changes: per context, a count of the writes to it, so that a test can tell
whether a context changed since it last read it (the state machine reads only those)."""

from __future__ import annotations

import pytest
import requests
import zeep

from ..oxclient import new_context, raises_fault
from .test_groups import create_group
from .test_resources import create_resource
from .test_secondary_accounts import create as create_account


def changes(emulator) -> dict[int, int]:
    response = requests.get(f"{emulator.url}/emulator/changes", timeout=10)
    response.raise_for_status()
    return {int(cid): n for cid, n in response.json()["contexts"].items()}


def moved(before: dict[int, int], after: dict[int, int]) -> set[int]:
    return {cid for cid, n in after.items() if before.get(cid) != n}


def test_each_kind_of_write_moves_only_its_context(emulator, ox, ctx):
    other = new_context(ox)
    alice = ctx.create_user("alice")
    writes = [
        lambda: ctx.create_user("bob"),
        lambda: ox.user.change(
            ctx=ctx.ref, usrdata={"id": alice.id, "sur_name": "Changed"}, auth=ctx.admin
        ),
        lambda: create_group(ctx, "staff", members=[alice.id]),
        lambda: create_resource(ctx, "room1"),
        lambda: create_account(ctx, "info@example.org", users=[{"id": alice.id}]),
        lambda: ox.context.change(ctx={"id": ctx.id, "maxQuota": 2048}, auth=ox.master),
        lambda: ox.user.delete(ctx=ctx.ref, user={"id": alice.id}, auth=ctx.admin),
    ]
    for write in writes:
        before = changes(emulator)
        write()
        assert moved(before, changes(emulator)) == {ctx.id}
    assert other.id in changes(emulator)


def test_reads_move_nothing(emulator, ox, ctx):
    alice = ctx.create_user("alice")
    group = create_group(ctx, "staff", members=[alice.id])
    room = create_resource(ctx, "room1")
    before = changes(emulator)
    ox.context.getData(ctx=ctx.ref, auth=ox.master)
    ox.context.listAll(auth=ox.master)
    ids = ox.user.listAll(ctx=ctx.ref, auth=ctx.admin)
    ox.user.getMultipleData(ctx=ctx.ref, users=[{"id": u.id} for u in ids], auth=ctx.admin)
    ox.user.getModuleAccess(ctx=ctx.ref, user={"id": alice.id}, auth=ctx.admin)
    ox.group.getData(ctx=ctx.ref, grp={"id": group.id}, auth=ctx.admin)
    ox.group.listAll(ctx=ctx.ref, auth=ctx.admin)
    ox.resource.getData(ctx=ctx.ref, res={"id": room.id}, auth=ctx.admin)
    ox.secondary.list(context=ctx.ref, users=[{"id": alice.id}], groups=[], auth=ctx.admin)
    assert changes(emulator) == before


def test_a_refused_call_moves_nothing(emulator, ctx):
    ctx.create_user("alice")
    before = changes(emulator)
    with pytest.raises(zeep.exceptions.Fault):
        ctx.create_user("alice")  # taken: OX refuses, the transaction is rolled back
    assert changes(emulator) == before


def test_the_count_outlives_a_deleted_context(emulator, ox):
    gone = new_context(ox)
    gone.create_user("alice")
    before = changes(emulator)[gone.id]
    ox.context.delete(ctx=gone.ref, auth=ox.master)
    after = changes(emulator)[gone.id]
    assert after > before
    raises_fault(
        f"Context {gone.id} does not exist", ox.context.delete, ctx=gone.ref, auth=ox.master
    )
    assert changes(emulator)[gone.id] == after
