"""Per-user quota and user filestores in OXUserService, over HTTP: a user owns a filestore
when it is created with one (or with a quota: OX then picks the context's), or moved into
one; only then does OX keep a quota for it (MB). change neither gives nor takes a
filestore; the move operations do, and answer with the id of OX's background job."""

from __future__ import annotations

import pytest
import zeep
from lxml import etree

from ..oxclient import raises_fault

CONTEXT_FILESTORE = 1  # the emulator's registered filestores: 1 (every context's) and 2
OTHER_FILESTORE = 2


def no_file_storage(uid: int, cid: int) -> str:
    return (
        f"Quota cannot be changed for user {uid} in context {cid} since that user has no "
        'file storage set. See "ALLOW_CHANGING_QUOTA_IF_NO_FILESTORE_SET".'
    )


def filestore_of(ctx, uid: int) -> tuple[int | None, str | None, int]:
    user = ctx.get_user(id=uid)
    return user.filestoreId, user.filestore_name, user.maxQuota


def change(ox, ctx, **usrdata):
    return ox.user.change(ctx=ctx.ref, usrdata=usrdata, auth=ctx.admin)


def to_user_store(ox, ctx, uid: int, filestore: int = OTHER_FILESTORE, quota: int = 100) -> int:
    return ox.user.moveFromContextToUserFilestore(
        ctx=ctx.ref,
        user={"id": uid},
        dst_filestore_id={"id": filestore},
        max_quota=quota,
        auth=ctx.admin,
    )


def to_context_store(ox, ctx, uid: int) -> int:
    return ox.user.moveFromUserToContextFilestore(ctx=ctx.ref, user={"id": uid}, auth=ctx.admin)


def fault_kind(call, *args, **kwargs) -> str:
    with pytest.raises(zeep.exceptions.Fault) as exc_info:
        call(*args, **kwargs)
    return etree.QName(exc_info.value.detail[0]).localname


# without an own filestore ---------------------------------------------------------------------
def test_a_plain_user_has_no_filestore_and_no_quota(ctx):
    anna = ctx.create_user("anna")
    assert filestore_of(ctx, anna.id) == (None, None, -1)


def test_change_refuses_a_quota_for_a_user_without_own_filestore(ox, ctx):
    anna = ctx.create_user("anna")
    raises_fault(no_file_storage(anna.id, ctx.id), change, ox, ctx, id=anna.id, maxQuota=500)
    assert fault_kind(change, ox, ctx, id=anna.id, maxQuota=0) == "StorageException"
    # nothing of the change is applied, and -1 (none) is no quota to refuse
    raises_fault(
        no_file_storage(anna.id, ctx.id), change, ox, ctx, id=anna.id, maxQuota=5, company="X"
    )
    assert ctx.get_user(id=anna.id).company is None
    change(ox, ctx, id=anna.id, maxQuota=-1, company="Y")
    assert ctx.get_user(id=anna.id).company == "Y"
    assert filestore_of(ctx, anna.id) == (None, None, -1)


def test_change_never_gives_a_filestore(ox, ctx):
    anna = ctx.create_user("anna")
    refused = (
        f"Not allowed to change the filestore for user {anna.id} in context {ctx.id}. "
        "Please use appropriate method instead."
    )
    raises_fault(refused, change, ox, ctx, id=anna.id, filestoreId=CONTEXT_FILESTORE)
    assert fault_kind(change, ox, ctx, id=anna.id, filestoreId=1) == "InvalidDataException"
    # an unknown id (0 included: upstream clears it before a change) is named first
    raises_fault("No such filestore with id 0", change, ox, ctx, id=anna.id, filestoreId=0)
    raises_fault("No such filestore with id 7", change, ox, ctx, id=anna.id, filestoreId=7)
    assert filestore_of(ctx, anna.id) == (None, None, -1)


# created with an own filestore ------------------------------------------------------------------
def test_created_with_a_filestore_the_user_owns_it_and_takes_a_quota(ox, ctx):
    anna = ctx.create_user("anna", filestoreId=OTHER_FILESTORE)
    name = f"{ctx.id}_ctx_{anna.id}_user_store"
    assert filestore_of(ctx, anna.id) == (OTHER_FILESTORE, name, -1)
    change(ox, ctx, id=anna.id, maxQuota=2048)
    assert filestore_of(ctx, anna.id) == (OTHER_FILESTORE, name, 2048)
    # its own filestore id may be sent unchanged, another is refused
    change(ox, ctx, id=anna.id, filestoreId=OTHER_FILESTORE, maxQuota=1024)
    assert ctx.get_user(id=anna.id).maxQuota == 1024
    raises_fault(
        f"Not allowed to change the filestore for user {anna.id} in context {ctx.id}. "
        "Please use appropriate method instead.",
        change,
        ox,
        ctx,
        id=anna.id,
        filestoreId=CONTEXT_FILESTORE,
    )
    change(ox, ctx, id=anna.id, maxQuota=-1)  # unlimited, still in its own filestore
    assert filestore_of(ctx, anna.id) == (OTHER_FILESTORE, name, -1)


def test_created_with_a_quota_the_user_gets_the_contexts_filestore_of_its_own(ctx):
    anna = ctx.create_user("anna", maxQuota=300)
    assert filestore_of(ctx, anna.id) == (
        CONTEXT_FILESTORE,
        f"{ctx.id}_ctx_{anna.id}_user_store",
        300,
    )
    both = ctx.create_user("bert", filestoreId=OTHER_FILESTORE, maxQuota=10)
    assert filestore_of(ctx, both.id)[::2] == (OTHER_FILESTORE, 10)
    unlimited = ctx.create_user("cleo", maxQuota=-1)
    assert filestore_of(ctx, unlimited.id) == (None, None, -1)


def test_create_refuses_an_unknown_filestore(ox, ctx):
    raises_fault(
        "Filestore with identifier 9 does not exist.", ctx.create_user, "anna", filestoreId=9
    )
    assert [u.id for u in ox.user.listAll(ctx=ctx.ref, auth=ctx.admin)] == [2]


# moves ------------------------------------------------------------------------------------------
def test_moving_into_an_own_filestore_and_back(ox, ctx):
    anna = ctx.create_user("anna")
    first = to_user_store(ox, ctx, anna.id, quota=750)
    assert isinstance(first, int) and first > 0
    name = f"{ctx.id}_ctx_{anna.id}_user_store"
    assert filestore_of(ctx, anna.id) == (OTHER_FILESTORE, name, 750)
    change(ox, ctx, id=anna.id, maxQuota=900)  # now OX keeps a quota for it
    assert ctx.get_user(id=anna.id).maxQuota == 900

    second = to_context_store(ox, ctx, anna.id)
    assert second == first + 1  # one job counter for the server
    assert filestore_of(ctx, anna.id) == (None, None, -1)
    raises_fault(no_file_storage(anna.id, ctx.id), change, ox, ctx, id=anna.id, maxQuota=900)

    # into the context's own filestore too, as a filestore of the user's own
    to_user_store(ox, ctx, anna.id, filestore=CONTEXT_FILESTORE, quota=5)
    assert filestore_of(ctx, anna.id) == (CONTEXT_FILESTORE, name, 5)


def test_moves_refuse_what_is_already_so(ox, ctx):
    anna = ctx.create_user("anna")
    raises_fault(f"User {anna.id} has no file storage set.", to_context_store, ox, ctx, anna.id)
    to_user_store(ox, ctx, anna.id)
    raises_fault(
        f"User {anna.id} already has a dedicate file storage set.",
        to_user_store,
        ox,
        ctx,
        anna.id,
    )
    assert fault_kind(to_user_store, ox, ctx, anna.id) == "StorageException"


def test_a_move_needs_a_known_filestore_and_user(ox, ctx):
    anna = ctx.create_user("anna")
    assert fault_kind(to_user_store, ox, ctx, anna.id, filestore=5) == "NoSuchFilestoreException"
    raises_fault(
        "Missing filestore parameter",
        ox.user.moveFromContextToUserFilestore,
        ctx=ctx.ref,
        user={"id": anna.id},
        dst_filestore_id=None,
        max_quota=1,
        auth=ctx.admin,
    )
    assert fault_kind(to_user_store, ox, ctx, 99) == "NoSuchUserException"
    assert filestore_of(ctx, anna.id) == (None, None, -1)
    # the context admin's call: a plain user may not move itself
    assert (
        fault_kind(
            ox.user.moveFromUserToContextFilestore,
            ctx=ctx.ref,
            user={"id": anna.id},
            auth={"login": "anna", "password": "secret"},
        )
        == "InvalidCredentialsException"
    )


def test_move_user_filestore_switches_an_owned_filestore(ox, ctx):
    anna = ctx.create_user("anna", maxQuota=40)  # owns the context's filestore
    job = ox.user.moveUserFilestore(
        ctx=ctx.ref, user={"id": anna.id}, dst_filestore_id={"id": OTHER_FILESTORE}, auth=ctx.admin
    )
    assert isinstance(job, int)
    assert filestore_of(ctx, anna.id)[::2] == (OTHER_FILESTORE, 40)
    raises_fault(
        f"The identifiers for the source and destination storage are equal: {OTHER_FILESTORE}",
        ox.user.moveUserFilestore,
        ctx=ctx.ref,
        user={"id": anna.id},
        dst_filestore_id={"id": OTHER_FILESTORE},
        auth=ctx.admin,
    )
    bert = ctx.create_user("bert")
    raises_fault(
        "Unable to get filestore 0",
        ox.user.moveUserFilestore,
        ctx=ctx.ref,
        user={"id": bert.id},
        dst_filestore_id={"id": OTHER_FILESTORE},
        auth=ctx.admin,
    )


def test_a_deleted_owner_leaves_no_filestore_behind_for_a_new_user_of_its_name(ox, ctx):
    anna = ctx.create_user("anna", filestoreId=OTHER_FILESTORE)
    ox.user.delete(ctx=ctx.ref, user={"id": anna.id}, auth=ctx.admin)
    again = ctx.create_user("anna")
    assert filestore_of(ctx, again.id) == (None, None, -1)
