"""Functional accounts (``oxmail/functional_account``): OX holds one secondary account
per member user, in that user's context, with the account's name, address and
``personal``, and the login of ``OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE`` (default
``{{fa_entry_uuid}}{{username}}``). Members are the account's ``users`` plus the users of
its ``groups``; the entries follow membership changes, a member's context move, enabling
and disabling, renames (refint) and removals, without a resync.

As the Univention connector 2.1 handles and maps functional accounts, and as its
functional-account tests check, plus the cases those tests leave out: group members, changes
of ``personal`` and of the address, a member's context change. Runs on both backends.
"""

from __future__ import annotations

import pytest

from udm_simulator import UDMError


def entries(backend, cid: int, fa) -> dict | None:
    """The account of ``fa`` in context ``cid`` ({"name", "personal", "users", "logins"}),
    None if no user there has it."""
    return backend.ox.functional_accounts(cid).get(fa["mailPrimaryAddress"])


def users_of(backend, cid: int, fa) -> list[str]:
    found = entries(backend, cid, fa)
    return [] if found is None else found["users"]


def expected(fa, *users, personal: str | None = None) -> dict:
    """What the inspector shows for ``fa`` with these member users (default template)."""
    return {
        "name": fa["name"],
        "personal": personal if personal is not None else fa["personal"],
        "users": sorted(u["username"] for u in users),
        "logins": sorted(f"{fa.id}{u['username']}" for u in users),
    }


def assert_account(backend, cid: int, fa, *users, personal: str | None = None) -> None:
    found = entries(backend, cid, fa)
    if not users:
        assert found is None, f"{fa['mailPrimaryAddress']} in context {cid}: {found}"
        return
    assert found is not None, f"no {fa['mailPrimaryAddress']} in context {cid}"
    want = expected(fa, *users, personal=personal)
    assert {**found, "personal": found["personal"] or ""} == {
        **want,
        "personal": want["personal"] or "",
    }


@pytest.fixture
def second(backend) -> int:
    return backend.context()["contextid"]


def test_one_account_per_member_user_per_context(backend, second):
    home = backend.default_context
    a1, a2, a3 = backend.user(), backend.user(), backend.user()
    b1, b2 = backend.user(context=second), backend.user(context=second)
    fa = backend.functional_account(users=[a1, a2, b1], personal="Sales Team")
    assert fa["mailPrimaryAddress"] == backend.mail(fa["name"])
    backend.sync()

    assert_account(backend, home, fa, a1, a2)
    assert_account(backend, second, fa, b1)
    assert entries(backend, home, fa)["personal"] == "Sales Team"
    assert a3["username"] not in users_of(backend, home, fa)
    assert b2["username"] not in users_of(backend, second, fa)


def test_two_of_five_users(backend):
    home = backend.default_context
    people = [backend.user() for _ in range(5)]
    fa = backend.functional_account(users=people[1:3])
    backend.sync()
    assert_account(backend, home, fa, *people[1:3])


def test_several_accounts_share_a_user_and_users_have_separate_ones(backend):
    home = backend.default_context
    anna, bert = backend.user(), backend.user()
    shared1 = backend.functional_account(users=[anna, bert])
    shared2 = backend.functional_account(users=[anna])
    own = backend.functional_account(users=[bert], personal="Bert's desk")
    backend.sync()
    assert_account(backend, home, shared1, anna, bert)
    assert_account(backend, home, shared2, anna)
    assert_account(backend, home, own, bert)


def test_an_account_without_members_has_no_ox_entries(backend, second):
    fa = backend.functional_account()
    anna = backend.user()
    backend.sync()
    assert entries(backend, backend.default_context, fa) is None
    assert entries(backend, second, fa) is None

    fa = backend.modify(fa.dn, {"users": [anna.dn]})
    backend.sync()
    assert_account(backend, backend.default_context, fa, anna)

    fa = backend.modify(fa.dn, {"users": []})
    backend.sync()
    assert_account(backend, backend.default_context, fa)


def test_members_via_groups(backend, second):
    home = backend.default_context
    a1, a2, a3 = backend.user(), backend.user(), backend.user()
    b1 = backend.user(context=second)
    team = backend.group(members=[a1, b1])
    fa = backend.functional_account(users=[a2], groups=[team])
    backend.sync()
    assert_account(backend, home, fa, a1, a2)
    assert_account(backend, second, fa, b1)
    assert a3["username"] not in users_of(backend, home, fa)

    # a user both direct member and group member has one entry
    fa = backend.modify(fa.dn, {"users": [a1.dn, a2.dn]})
    backend.sync()
    assert_account(backend, home, fa, a1, a2)
    assert_account(backend, second, fa, b1)

    # leaving the group, a direct member keeps its entry
    backend.modify(team.dn, {"users": [b1.dn]})
    backend.sync()
    assert_account(backend, home, fa, a1, a2)
    backend.modify(fa.dn, {"users": [a2.dn]})
    backend.sync()
    assert_account(backend, home, fa, a2)
    assert_account(backend, second, fa, b1)


def test_adding_and_removing_a_member(backend, second):
    home = backend.default_context
    a1, a2 = backend.user(), backend.user()
    b1 = backend.user(context=second)
    fa = backend.functional_account(users=[a1])
    backend.sync()
    assert_account(backend, home, fa, a1)
    assert_account(backend, second, fa)

    fa = backend.modify(fa.dn, {"users": [a1.dn, a2.dn, b1.dn]})
    backend.sync()
    assert_account(backend, home, fa, a1, a2)
    assert_account(backend, second, fa, b1)

    fa = backend.modify(fa.dn, {"users": [a2.dn, b1.dn]})
    backend.sync()
    assert_account(backend, home, fa, a2)
    assert_account(backend, second, fa, b1)

    # swapping the only member (as the Univention connector's tests do)
    fa = backend.modify(fa.dn, {"users": [a1.dn]})
    backend.sync()
    assert_account(backend, home, fa, a1)
    assert_account(backend, second, fa)


def test_a_member_moving_context_takes_its_entry_along(backend, second):
    """UDM queues only the user (the account does not change): the entry follows anyway."""
    home = backend.default_context
    a1, a2 = backend.user(), backend.user()
    fa = backend.functional_account(users=[a1, a2], personal="Help desk")
    backend.sync()
    assert_account(backend, home, fa, a1, a2)

    a2 = backend.modify(a2.dn, {"oxContext": second})
    backend.sync()
    assert_account(backend, home, fa, a1)
    assert_account(backend, second, fa, a2)

    a1 = backend.modify(a1.dn, {"oxContext": second})
    backend.sync()
    assert_account(backend, home, fa)
    assert_account(backend, second, fa, a1, a2)


def test_a_group_members_membership_change(backend, second):
    """UDM queues only the group: the account's entries follow."""
    home = backend.default_context
    a1, a2 = backend.user(), backend.user()
    b1 = backend.user(context=second)
    team = backend.group(members=[a1])
    fa = backend.functional_account(groups=[team])
    backend.sync()
    assert_account(backend, home, fa, a1)

    team = backend.modify(team.dn, {"users": [a1.dn, a2.dn, b1.dn]})
    backend.sync()
    assert_account(backend, home, fa, a1, a2)
    assert_account(backend, second, fa, b1)

    team = backend.modify(team.dn, {"users": [a2.dn]})
    backend.sync()
    assert_account(backend, home, fa, a2)
    assert_account(backend, second, fa)

    # through the user's "groups" (UDM changes the group)
    backend.modify(a1.dn, {"groups": [team.dn]})
    backend.sync()
    assert_account(backend, home, fa, a1, a2)

    # a group member moving context
    a2 = backend.modify(a2.dn, {"oxContext": second})
    backend.sync()
    assert_account(backend, home, fa, a1)
    assert_account(backend, second, fa, a2)


def test_a_member_disabled_and_enabled_again(backend):
    home = backend.default_context
    a1, a2 = backend.user(), backend.user()
    fa = backend.functional_account(users=[a1, a2])
    backend.sync()

    a2 = backend.modify(a2.dn, {"isOxUser": "Not"})
    backend.sync()
    assert_account(backend, home, fa, a1)

    a2 = backend.modify(a2.dn, {"isOxUser": "OK"})
    backend.sync()
    assert_account(backend, home, fa, a1, a2)


def test_personal_changes_and_the_address_may_not(backend):
    home = backend.default_context
    anna, bert = backend.user(), backend.user()
    fa = backend.functional_account(users=[anna, bert], personal="Before")
    backend.sync()
    assert_account(backend, home, fa, anna, bert)

    after = "After \u2013 Grüße"  # an EN DASH on purpose: non-ASCII punctuation, not a typo
    fa = backend.modify(fa.dn, {"personal": after})
    backend.sync()
    assert_account(backend, home, fa, anna, bert, personal=after)

    fa = backend.modify(fa.dn, {"personal": None})
    backend.sync()
    assert_account(backend, home, fa, anna, bert, personal="")

    with pytest.raises(UDMError):
        backend.modify(fa.dn, {"mailPrimaryAddress": backend.mail(backend.unique("other"))})
    with pytest.raises(UDMError):
        backend.modify(fa.dn, {"name": backend.unique("other")})
    backend.sync()
    assert_account(backend, home, fa, anna, bert, personal="")


def test_udm_refuses_an_address_another_object_has(backend):
    anna = backend.user()
    fa = backend.functional_account(users=[anna])
    with pytest.raises(UDMError):
        backend.functional_account(users=[anna], mailPrimaryAddress=anna["mailPrimaryAddress"])
    with pytest.raises(UDMError):
        backend.functional_account(users=[anna], mailPrimaryAddress=fa["mailPrimaryAddress"])
    backend.sync()
    assert list(backend.ox.functional_accounts(backend.default_context)) == [
        fa["mailPrimaryAddress"]
    ]


def test_removal(backend, second):
    home = backend.default_context
    a1, b1 = backend.user(), backend.user(context=second)
    fa = backend.functional_account(users=[a1, b1])
    other = backend.functional_account(users=[a1])
    backend.sync()

    backend.remove(fa.dn)
    backend.sync()
    assert_account(backend, home, fa)
    assert_account(backend, second, fa)
    assert_account(backend, home, other, a1)  # the other account stays


def test_removing_a_member_user(backend):
    home = backend.default_context
    a1, a2 = backend.user(), backend.user()
    fa = backend.functional_account(users=[a1, a2])
    backend.sync()

    backend.remove(a1.dn)
    assert backend.get(fa.dn)["users"] == [a2.dn]  # refint
    backend.sync()
    assert_account(backend, home, fa, a2)

    backend.remove(a2.dn)
    backend.sync()
    assert_account(backend, home, fa)


def test_a_members_rename_updates_the_login(backend, second):
    home = backend.default_context
    a1, a2 = backend.user(), backend.user()
    b1 = backend.user(context=second)
    team = backend.group(members=[b1])
    fa = backend.functional_account(users=[a1, a2], groups=[team])
    backend.sync()
    assert entries(backend, home, fa)["logins"] == sorted(
        [f"{fa.id}{a1['username']}", f"{fa.id}{a2['username']}"]
    )

    a1 = backend.modify(a1.dn, {"username": backend.unique("renamed")})
    b1 = backend.modify(b1.dn, {"username": backend.unique("renamed")})
    assert sorted(backend.get(fa.dn)["users"]) == sorted([a1.dn, a2.dn])  # refint
    assert backend.get(team.dn)["users"] == [b1.dn]
    backend.sync()

    assert_account(backend, home, fa, a1, a2)
    assert_account(backend, second, fa, b1)
    assert f"{fa.id}{a1['username']}" in entries(backend, home, fa)["logins"]


def test_a_member_group_removed_or_its_member_disabled(backend, second):
    home = backend.default_context
    a1, a2 = backend.user(), backend.user()
    b1 = backend.user(context=second)
    team = backend.group(members=[a1, b1])
    fa = backend.functional_account(users=[a2], groups=[team])
    backend.sync()
    assert_account(backend, home, fa, a1, a2)
    assert_account(backend, second, fa, b1)

    b1 = backend.modify(b1.dn, {"isOxUser": "Not"})
    backend.sync()
    assert_account(backend, second, fa)
    assert_account(backend, home, fa, a1, a2)

    backend.remove(team.dn)
    assert backend.get(fa.dn)["groups"] == []  # refint
    backend.sync()
    assert_account(backend, home, fa, a2)


def test_a_member_renamed_and_moved_in_one_batch(backend, second):
    home = backend.default_context
    a1, a2 = backend.user(), backend.user()
    fa = backend.functional_account(users=[a1, a2])
    backend.sync()

    a1 = backend.modify(a1.dn, {"username": backend.unique("renamed"), "oxContext": second})
    backend.sync()
    assert_account(backend, home, fa, a2)
    assert_account(backend, second, fa, a1)
