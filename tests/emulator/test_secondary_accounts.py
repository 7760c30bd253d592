"""OXSecondaryAccountService (functional accounts; OX 7.10.6 and later), over HTTP.

Note: this service's context parameter is ``context``, and its User/Group carry only ``id``.
"""

from __future__ import annotations

import re

from ..oxclient import raises_fault

ALL_USERS = [{"id": 0}]  # GROUP_ZERO


def account(address, **fields):
    """What the Univention connector sends: name, primaryAddress, personal, source primary,
    login."""
    return {
        "name": f"Box {address}",
        "primaryAddress": address,
        "personal": "Functional",
        "mailEndpointSource": "primary",
        "login": f"login-{address}",
        **fields,
    }


def create(ctx, address, users=None, groups=None, **fields):
    ctx.ox.secondary.create(
        accountDataOnCreate=account(address, **fields),
        context=ctx.ref,
        users=users,
        groups=groups,
        auth=ctx.admin,
    )


def listed(ctx, users=None, groups=None):
    return ctx.ox.secondary.list(context=ctx.ref, users=users, groups=groups, auth=ctx.admin) or []


def delete(ctx, address, users=None, groups=None):
    return ctx.ox.secondary.delete(
        primaryAddress=address, context=ctx.ref, users=users, groups=groups, auth=ctx.admin
    )


def by_user(accounts):
    return sorted((a.userId, a.primaryAddress) for a in accounts)


def admin_id(ctx):
    return ctx.ox.user.getContextAdmin(ctx=ctx.ref, auth=ctx.admin).id


# create ------------------------------------------------------------------------------------
def test_create_for_users_gives_one_account_per_user(ox, ctx):
    alice, bob = ctx.create_user("alice").id, ctx.create_user("bob").id
    create(ctx, "info@example.org", users=[{"id": alice}, {"id": bob}])
    got = listed(ctx)
    assert by_user(got) == [(alice, "info@example.org"), (bob, "info@example.org")]
    first = got[0]
    assert (first.contextId, first.name, first.personal, first.login) == (
        ctx.id,
        "Box info@example.org",
        "Functional",
        "login-info@example.org",
    )


def test_create_for_a_groups_members(ox, ctx):
    alice, bob = ctx.create_user("alice").id, ctx.create_user("bob").id
    ctx.create_user("carol")
    gid = ox.group.create(
        ctx=ctx.ref, grp={"name": "g", "displayname": "G", "members": [alice, bob]}, auth=ctx.admin
    ).id
    create(ctx, "team@example.org", groups=[{"id": gid}])
    assert by_user(listed(ctx)) == [(alice, "team@example.org"), (bob, "team@example.org")]


def test_group_zero_means_all_users(ox, ctx):
    alice, bob = ctx.create_user("alice").id, ctx.create_user("bob").id
    create(ctx, "all@example.org", groups=ALL_USERS)
    assert sorted(a.userId for a in listed(ctx)) == sorted([admin_id(ctx), alice, bob])


def test_group_zero_does_not_depend_on_the_default_groups_members(ox, ctx):
    alice = ctx.create_user("alice").id
    # emptying group "users" (a change without members) must not shrink GROUP_ZERO
    ox.group.change(ctx=ctx.ref, grp={"id": 1}, auth=ctx.admin)
    create(ctx, "all@example.org", groups=ALL_USERS)
    assert sorted(a.userId for a in listed(ctx)) == sorted([admin_id(ctx), alice])


def test_primary_endpoint_source_copies_the_users_imap_server(ox, ctx):
    uid = ctx.create_user(
        "alice",
        imapServer="imap.example.net",
        imapPort=143,
        smtpServer="smtp.example.net",
        smtpPort=587,
    ).id
    create(ctx, "info@example.org", users=[{"id": uid}])
    (got,) = listed(ctx)
    assert (got.mailServer, got.mailPort, got.mailProtocol) == ("imap.example.net", 143, "imap")
    assert got.mailSecure is False


def test_primary_mail_source_also_gives_primary_transport(ox, ctx):
    # OX takes the transport end-point from mailEndpointSource too (univention sends only
    # that one), so no transport fields are needed.
    uid = ctx.create_user("alice", smtpServer="smtp.example.net", smtpPort=587).id
    create(ctx, "info@example.org", users=[{"id": uid}])
    (got,) = listed(ctx)
    assert (got.transportServer, got.transportPort) == ("smtp.example.net", 587)


def test_localhost_endpoint_source(ox, ctx):
    uid = ctx.create_user("alice", imapServer="imap.example.net").id
    create(ctx, "info@example.org", users=[{"id": uid}], mailEndpointSource="localhost")
    (got,) = listed(ctx)
    assert (got.mailServer, got.mailPort) == ("localhost", 143)


def test_explicit_endpoint_without_transport_is_mail_only(ox, ctx):
    uid = ctx.create_user("alice").id
    create(
        ctx,
        "info@example.org",
        users=[{"id": uid}],
        mailEndpointSource="none",
        mailServer="imap.other.org",
        mailPort=993,
        mailProtocol="imap",
        mailSecure=True,
    )
    (got,) = listed(ctx)
    assert (got.mailServer, got.mailPort, got.mailSecure) == ("imap.other.org", 993, True)
    assert got.transportServer is None


def test_no_endpoint_at_all_is_refused(ox, ctx):
    uid = ctx.create_user("alice").id
    raises_fault(
        'Missing mail end-point data. Set end-point source to either "primary" or '
        '"localhost"; or specify appropriate fields in account data',
        create,
        ctx,
        "info@example.org",
        users=[{"id": uid}],
        mailEndpointSource="none",
    )


def test_account_ids_start_at_1_per_user(ox, ctx):
    alice = ctx.create_user("alice").id
    create(ctx, "a@example.org", users=[{"id": alice}])
    create(ctx, "b@example.org", users=[{"id": alice}])
    ids = sorted(a.id for a in listed(ctx, users=[{"id": alice}]))
    assert ids[0] == 1 and len(set(ids)) == 2  # 0 is the primary account


def test_duplicate_create_for_the_same_user_fails_atomically(ox, ctx):
    alice, bob = ctx.create_user("alice").id, ctx.create_user("bob").id
    create(ctx, "info@example.org", users=[{"id": bob}])
    raises_fault(
        re.compile(rf".*Duplicate mail account for user {bob} in context {ctx.id}\..*"),
        create,
        ctx,
        "info@example.org",
        users=[{"id": alice}, {"id": bob}],
    )
    assert by_user(listed(ctx)) == [(bob, "info@example.org")]


def test_create_without_account_data(ox, ctx):
    uid = ctx.create_user("alice").id
    raises_fault(
        "Account data is missing.",
        ox.secondary.create,
        context=ctx.ref,
        users=[{"id": uid}],
        auth=ctx.admin,
    )


# targets -----------------------------------------------------------------------------------
def test_create_update_delete_need_users_or_groups(ox, ctx):
    raises_fault("Missing users/groups in account data", create, ctx, "info@example.org")
    raises_fault("Missing users/groups in account data", delete, ctx, "info@example.org")
    raises_fault(
        "Missing users/groups in account data",
        ox.secondary.update,
        primaryAddress="info@example.org",
        accountDataUpdate={"name": "x"},
        context=ctx.ref,
        auth=ctx.admin,
    )


def test_unknown_user_id(ox, ctx):
    raises_fault(
        f"No such user 4242 in context {ctx.id}",
        create,
        ctx,
        "info@example.org",
        users=[{"id": 4242}],
    )
    raises_fault(f"No such user 4242 in context {ctx.id}", listed, ctx, users=[{"id": 4242}])


def test_unknown_group_id(ox, ctx):
    raises_fault(
        f"No such group 4242 in context {ctx.id}",
        create,
        ctx,
        "info@example.org",
        groups=[{"id": 4242}],
    )


def test_list_without_targets_returns_all_and_filters_by_user(ox, ctx):
    alice, bob = ctx.create_user("alice").id, ctx.create_user("bob").id
    create(ctx, "a@example.org", users=[{"id": alice}])
    create(ctx, "b@example.org", users=[{"id": bob}])
    assert by_user(listed(ctx)) == [(alice, "a@example.org"), (bob, "b@example.org")]
    assert by_user(listed(ctx, users=[{"id": bob}])) == [(bob, "b@example.org")]


# update / delete ---------------------------------------------------------------------------
def test_update_changes_the_name(ox, ctx):
    alice = ctx.create_user("alice").id
    create(ctx, "info@example.org", users=[{"id": alice}])
    assert (
        ox.secondary.update(
            primaryAddress="info@example.org",
            accountDataUpdate={"name": "Renamed"},
            context=ctx.ref,
            users=[{"id": alice}],
            auth=ctx.admin,
        )
        is True
    )
    (got,) = listed(ctx)
    assert (got.name, got.personal) == ("Renamed", "Functional")


def test_update_of_unknown_address_returns_false(ox, ctx):
    alice = ctx.create_user("alice").id
    assert (
        ox.secondary.update(
            primaryAddress="none@example.org",
            accountDataUpdate={"name": "x"},
            context=ctx.ref,
            groups=ALL_USERS,
            auth=ctx.admin,
        )
        is False
    )
    assert listed(ctx, users=[{"id": alice}]) == []


def test_delete_for_everybody_then_nothing_left(ox, ctx):
    alice, bob = ctx.create_user("alice").id, ctx.create_user("bob").id
    create(ctx, "info@example.org", users=[{"id": alice}, {"id": bob}])
    create(ctx, "keep@example.org", users=[{"id": alice}])
    assert delete(ctx, "info@example.org", groups=ALL_USERS) is True
    assert by_user(listed(ctx)) == [(alice, "keep@example.org")]
    assert delete(ctx, "info@example.org", groups=ALL_USERS) is False


def test_delete_needs_a_primary_address(ox, ctx):
    raises_fault("Primary address is empty.", delete, ctx, "", groups=ALL_USERS)


def test_deleting_a_user_deletes_its_accounts(ox, ctx):
    alice, bob = ctx.create_user("alice").id, ctx.create_user("bob").id
    create(ctx, "info@example.org", users=[{"id": alice}, {"id": bob}])
    ox.user.delete(ctx=ctx.ref, user={"id": alice}, auth=ctx.admin)
    assert by_user(listed(ctx)) == [(bob, "info@example.org")]


def test_needs_context_admin(ox, ctx):
    raises_fault("Authentication failed", ox.secondary.list, context=ctx.ref, auth=ox.master)
    raises_fault(
        "Client sent invalid context data object", ox.secondary.list, context={}, auth=ctx.admin
    )
