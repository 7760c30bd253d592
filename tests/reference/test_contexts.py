"""Contexts (``oxmail/oxcontext``): creation with name, quota and login mappings, quota
changes, an empty or zero quota meaning unlimited, removal (refused by UDM while users or
resources use the context), and users spread over several contexts.

As the Univention connector 2.1 handles contexts, and as its context tests check, plus the
cases those tests leave out: quota 0, a context rename (UDM refuses it), a context delete
while users exist (UDM refuses it) and the batch order "context deletions last". Runs on
both backends.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from udm_simulator import CONTEXTS, UDMError

UNLIMITED = (None, -1)  # OX reports an unlimited context quota as no maxQuota (or -1)


def _mappings(cid: int) -> list[str]:
    return sorted([f"context{cid}", str(cid)])


def test_a_context_is_created_with_name_quota_and_login_mappings(backend):
    cid = backend.new_context_id()
    assert backend.ox.context(cid) is None
    created = backend.context(cid, oxQuota=1000)
    assert created["contextid"] == cid
    backend.sync()

    context = backend.ox.context(cid)
    assert context is not None
    assert context["name"] == f"context{cid}"
    assert context["maxQuota"] == 1000
    assert context["enabled"] is True
    assert context["loginMappings"] == _mappings(cid)
    assert cid in backend.ox.context_ids()
    assert backend.ox.users(cid) == {}  # only the context admin, which users() leaves out
    assert backend.ox.resources(cid) == {}


def test_a_context_keeps_a_name_of_its_own(backend):
    cid = backend.new_context_id()
    name = backend.unique("school")
    backend.context(cid, name=name, oxQuota=250)
    backend.sync()

    context = backend.ox.context(cid)
    assert context["name"] == name
    assert context["maxQuota"] == 250
    # upstream's mappings at creation; OX itself may add the context name
    assert set(_mappings(cid)) <= set(context["loginMappings"])


@pytest.mark.parametrize("quota", [None, 0], ids=["unset", "zero"])
def test_a_context_without_quota_is_unlimited(backend, quota):
    cid = backend.new_context_id()
    props = {} if quota is None else {"oxQuota": quota}
    backend.context(cid, **props)
    backend.sync()

    context = backend.ox.context(cid)
    assert context is not None
    assert context["maxQuota"] in UNLIMITED


def test_a_quota_change_reaches_ox_and_emptying_it_means_unlimited(backend):
    cid = backend.new_context_id()
    ctx = backend.context(cid, oxQuota=1000)
    backend.sync()
    assert backend.ox.context(cid)["maxQuota"] == 1000

    ctx = backend.modify(ctx.dn, {"oxQuota": 2000})
    backend.sync()
    context = backend.ox.context(cid)
    assert context["maxQuota"] == 2000
    assert context["name"] == f"context{cid}"  # unchanged by a quota change
    assert context["loginMappings"] == _mappings(cid)

    ctx = backend.modify(ctx.dn, {"oxQuota": None})
    assert ctx["oxQuota"] is None
    backend.sync()
    assert backend.ox.context(cid)["maxQuota"] in UNLIMITED

    ctx = backend.modify(ctx.dn, {"oxQuota": 300})
    backend.sync()
    assert backend.ox.context(cid)["maxQuota"] == 300

    backend.modify(ctx.dn, {"oxQuota": 0})
    backend.sync()
    assert backend.ox.context(cid)["maxQuota"] in UNLIMITED


def test_udm_refuses_to_rename_a_context_or_change_its_id(backend):
    cid = backend.new_context_id()
    ctx = backend.context(cid, oxQuota=100)
    backend.sync()
    with pytest.raises(UDMError):
        backend.modify(ctx.dn, {"name": backend.unique("renamed")})
    with pytest.raises(UDMError):
        backend.modify(ctx.dn, {"contextid": backend.new_context_id()})
    assert backend.get(ctx.dn)["name"] == f"context{cid}"
    backend.sync()
    assert backend.ox.context(cid)["name"] == f"context{cid}"


def test_udm_refuses_a_second_context_with_the_same_id(backend):
    cid = backend.new_context_id()
    backend.context(cid)
    with pytest.raises(UDMError):
        backend.create(CONTEXTS, {"name": backend.unique("context"), "contextid": cid})
    backend.sync()
    assert backend.ox.context(cid)["name"] == f"context{cid}"


def test_removing_an_unused_context_removes_it_from_ox(backend):
    cid = backend.new_context_id()
    ctx = backend.context(cid)
    backend.sync()
    assert backend.ox.context(cid) is not None

    backend.remove(ctx.dn)
    backend.sync()
    assert backend.ox.context(cid) is None
    assert cid not in backend.ox.context_ids()
    assert backend.ox.context(backend.default_context) is not None  # the others stay


def test_udm_refuses_to_remove_a_context_that_users_use(backend):
    cid = backend.new_context_id()
    ctx = backend.context(cid)
    anna = backend.user(context=cid)
    backend.sync()

    with pytest.raises(UDMError):
        backend.remove(ctx.dn)
    backend.sync()
    assert backend.ox.context(cid) is not None
    assert set(backend.ox.users(cid)) == {anna["username"]}

    # once the user is gone (in the same batch: context deletions are applied last)
    backend.remove(anna.dn)
    backend.remove(ctx.dn)
    backend.sync()
    assert backend.ox.context(cid) is None


def test_udm_refuses_to_remove_a_context_that_a_resource_uses(backend):
    cid = backend.new_context_id()
    ctx = backend.context(cid)
    admin = backend.user()
    room = backend.resource(admin, context=cid)
    backend.sync()
    assert room["name"] in backend.ox.resources(cid)

    with pytest.raises(UDMError):
        backend.remove(ctx.dn)
    backend.sync()
    assert room["name"] in backend.ox.resources(cid)

    backend.remove(room.dn)
    backend.sync()
    backend.remove(ctx.dn)
    backend.sync()
    assert backend.ox.context(cid) is None


def test_a_context_moved_away_from_can_be_removed(backend):
    old, new = backend.new_context_id(), backend.new_context_id()
    old_ctx = backend.context(old)
    backend.context(new)
    anna = backend.user(context=old)
    backend.sync()

    anna = backend.modify(anna.dn, {"oxContext": new})
    backend.remove(old_ctx.dn)
    backend.sync()
    assert backend.ox.context(old) is None
    assert set(backend.ox.users(new)) == {anna["username"]}


def test_users_of_two_new_contexts_land_each_in_their_own(backend):
    first, second = backend.new_context_id(), backend.new_context_id()
    backend.context(first, oxQuota=500)
    backend.context(second)
    # created before the contexts reach OX: contexts are applied first in a batch
    a1, a2 = backend.user(context=first), backend.user(context=first)
    b1 = backend.user(context=second, firstname="Bea")
    home = backend.user()  # the default context
    backend.sync()

    assert set(backend.ox.users(first)) == {a1["username"], a2["username"]}
    assert set(backend.ox.users(second)) == {b1["username"]}
    assert backend.ox.users(second)[b1["username"]]["given_name"] == "Bea"
    default_users = set(backend.ox.users(backend.default_context))
    assert home["username"] in default_users
    assert not default_users & {a1["username"], a2["username"], b1["username"]}
    assert backend.ox.context(first)["maxQuota"] == 500
    assert backend.ox.context(second)["maxQuota"] in UNLIMITED

    # a user moved from one new context to the other
    a2 = backend.modify(a2.dn, {"oxContext": second})
    backend.sync()
    assert set(backend.ox.users(first)) == {a1["username"]}
    assert set(backend.ox.users(second)) == {b1["username"], a2["username"]}


@given(first=st.integers(1, 10**9), second=st.integers(1, 10**9))
@example(first=1, second=2**31 - 1)
def test_any_positive_quota_arrives(backend, first, second):
    cid = backend.new_context_id()
    ctx = backend.context(cid, oxQuota=first)
    backend.sync()
    assert backend.ox.context(cid)["maxQuota"] == first
    backend.modify(ctx.dn, {"oxQuota": second})
    backend.sync()
    assert backend.ox.context(cid)["maxQuota"] == second
    backend.remove(ctx.dn)
    backend.sync()
    assert backend.ox.context(cid) is None


def test_later_changes_after_a_context_was_emptied_and_removed(backend):
    """Groups and functional accounts that had entries in a removed context go on
    working: the connector must not touch the context that is gone."""
    home, old = backend.default_context, backend.new_context_id()
    old_ctx = backend.context(old)
    a1, b1 = backend.user(), backend.user(context=old)
    staff = backend.group(members=[a1, b1])
    fa = backend.functional_account(users=[a1, b1])
    backend.sync()
    assert staff["name"] in backend.ox.groups(old)
    assert fa["mailPrimaryAddress"] in backend.ox.functional_accounts(old)

    b1 = backend.modify(b1.dn, {"oxContext": home})
    backend.remove(old_ctx.dn)
    backend.sync()
    assert backend.ox.context(old) is None

    a2 = backend.user()
    backend.modify(staff.dn, {"users": [a1.dn, b1.dn, a2.dn]})
    backend.modify(fa.dn, {"users": [a1.dn, b1.dn, a2.dn]})
    backend.sync()
    names = sorted(u["username"] for u in (a1, b1, a2))
    assert backend.ox.groups(home)[staff["name"]]["members"] == names
    assert backend.ox.functional_accounts(home)[fa["mailPrimaryAddress"]]["users"] == names

    backend.remove(staff.dn)
    backend.remove(fa.dn)
    backend.sync()
    assert staff["name"] not in backend.ox.groups(home)
    assert fa["mailPrimaryAddress"] not in backend.ox.functional_accounts(home)
