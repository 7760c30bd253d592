"""Functional accounts end to end: ``oxmail/functional_account`` queue files -> OX
secondary accounts in the emulator, over HTTP (no mocks).

One secondary account per member user (the FA's users plus the users of its groups), in
that user's context; logins from OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE. Member changes
(context moves, group membership, enabling/disabling, login inputs) must reach the
accounts without the FA's own file being queued, which upstream does not do.

What the Univention connector does with functional accounts (2.1, and the login template of
its later versions), and OX's secondary-account semantics, as the emulator implements them.
"""

from __future__ import annotations

import pytest

from connector.run import RunFailed

from .harness import BASE, Harness, group_dn, user_dn

FA_TYPE = "oxmail/functional_account"
SERVICE = "OXSecondaryAccountService"
TEMPLATE = "OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE"


@pytest.fixture
def h(harness):
    """The harness with the premium profile queued."""
    harness.profile()
    return harness


def fa_dn(name: str) -> str:
    return f"cn={name},cn=functional_accounts,cn=open-xchange,{BASE}"


def fa(
    h: Harness,
    name: str,
    users=(),
    groups=(),
    *,
    address: str | None = None,
    personal: str = "",
    display: str | None = None,
    object_id: str | None = None,
) -> str:
    """Queue a functional account; returns its entryUUID (the queue file's id)."""
    h.write(
        FA_TYPE,
        fa_dn(name),
        {
            "name": display or name,
            "mailPrimaryAddress": address or f"{name}@example.org",
            "personal": personal,
            "users": [user_dn(u) for u in users],
            "groups": [group_dn(g) for g in groups],
        },
        object_id=object_id,
    )
    return h.ids[fa_dn(name).lower()]


def fa_delete(h: Harness, name: str):
    return h.delete(FA_TYPE, fa_dn(name))


def names_by_id(h: Harness, cid: int) -> dict[int, str]:
    auth = h.admin(cid)
    ids = h.ox.user.listAll(ctx={"id": cid}, auth=auth) or []
    if not ids:
        return {}
    users = h.ox.user.getMultipleData(ctx={"id": cid}, users=[{"id": u.id} for u in ids], auth=auth)
    return {u.id: u.name for u in users}


def entries(h: Harness, cid: int, address: str | None = None) -> dict[tuple[str, str], object]:
    """(user name, primaryAddress) -> secondary account of every user of the context."""
    found = h.ox.secondary.list(context={"id": cid}, users=[], groups=[], auth=h.admin(cid)) or []
    names = names_by_id(h, cid)
    out = {}
    for account in found:
        key = (names.get(account.userId, f"#{account.userId}"), account.primaryAddress)
        assert key not in out, f"two entries for {key} in context {cid}"
        out[key] = account
    if address is not None:
        out = {k: v for k, v in out.items() if k[1] == address}
    return out


def holders(h: Harness, cid: int, address: str) -> set[str]:
    """The users of the context that have the address as a secondary account."""
    return {user for user, addr in entries(h, cid, address)}


def fa_writes(h: Harness) -> dict[str, int]:
    return {op: n for op, n in h.writes().items() if op.startswith(SERVICE + ".")}


def ran(h: Harness) -> None:
    h.run()
    assert h.pending() == []


# -- the accounts ------------------------------------------------------------------------------
def test_one_account_per_member_with_name_address_personal_login_and_primary_endpoint(h):
    h.extra_env["OX_IMAP_SERVER"] = "imaps://imap.corp.example:993"
    h.extra_env["OX_SMTP_SERVER"] = "smtp://relay.corp.example:25"
    cid = h.context()
    h.user("anna", cid)
    h.user("bob", cid)
    h.user("carl", cid)  # not a member
    fa_id = fa(
        h,
        "helpdesk",
        ["anna", "bob"],
        display="Help Desk",
        personal="The Helpdesk",
        object_id="fa-0001-helpdesk",
    )
    h.reset_calls()  # the counters are the emulator's, shared by the tests
    ran(h)
    found = entries(h, cid)
    assert set(found) == {("anna", "helpdesk@example.org"), ("bob", "helpdesk@example.org")}
    for user in ("anna", "bob"):
        account = found[(user, "helpdesk@example.org")]
        assert account.userId == h.ox_user(cid, user).id
        assert account.name == "Help Desk"
        assert account.personal == "The Helpdesk"
        assert account.login == f"{fa_id}{user}" == f"fa-0001-helpdesk{user}"
        # mailEndpointSource=primary: the user's own (primary account's) servers
        assert (account.mailServer, account.mailPort, account.mailSecure) == (
            "imap.corp.example",
            993,
            True,
        )
        assert (account.transportServer, account.transportPort) == ("relay.corp.example", 25)
    assert h.calls()[f"{SERVICE}.create"] == 2


def test_accounts_fan_out_to_every_context_of_the_members(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c1)
    h.user("carl", c2)
    fa(h, "helpdesk", ["anna", "bob", "carl"])
    ran(h)
    assert holders(h, c1, "helpdesk@example.org") == {"anna", "bob"}
    assert holders(h, c2, "helpdesk@example.org") == {"carl"}
    assert set(entries(h, c2)) == {("carl", "helpdesk@example.org")}
    # the last member of a context leaves: that context's entry goes, nothing else
    h.reset_calls()
    fa(h, "helpdesk", ["anna", "bob"])
    ran(h)
    assert entries(h, c2) == {}
    assert holders(h, c1, "helpdesk@example.org") == {"anna", "bob"}
    assert f"{SERVICE}.create" not in h.writes()


def test_members_through_groups_get_accounts(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c2)
    h.user("carl", c1)  # not in the group
    h.group("staff", ["anna", "bob"])
    fa(h, "helpdesk", groups=["staff"])
    ran(h)
    assert holders(h, c1, "helpdesk@example.org") == {"anna"}
    assert holders(h, c2, "helpdesk@example.org") == {"bob"}


def test_unknown_and_unprovisioned_members_are_ignored(h):
    cid = h.context()
    h.user("anna", cid)
    h.user("dora", cid, isOxUser="Not")
    h.write(
        FA_TYPE,
        fa_dn("helpdesk"),
        {
            "name": "helpdesk",
            "mailPrimaryAddress": "helpdesk@example.org",
            "personal": "",
            "users": [user_dn("anna"), user_dn("dora"), user_dn("nobody")],
            "groups": [group_dn("nogroup")],
        },
    )
    ran(h)
    assert set(entries(h, cid)) == {("anna", "helpdesk@example.org")}


# -- incremental changes -----------------------------------------------------------------------
def test_adding_a_member_creates_only_its_account(h):
    cid = h.context()
    for name in ("anna", "bob", "carl"):
        h.user(name, cid)
    fa(h, "helpdesk", ["anna", "bob"])
    ran(h)
    before = {k: v.id for k, v in entries(h, cid).items()}
    h.reset_calls()
    fa(h, "helpdesk", ["anna", "bob", "carl"])
    ran(h)
    assert h.writes() == {f"{SERVICE}.create": 1}
    after = entries(h, cid)
    assert holders(h, cid, "helpdesk@example.org") == {"anna", "bob", "carl"}
    assert {k: after[k].id for k in before} == before  # the others untouched


def test_removing_a_member_deletes_only_its_account(h):
    cid = h.context()
    for name in ("anna", "bob", "carl"):
        h.user(name, cid)
    fa(h, "helpdesk", ["anna", "bob", "carl"])
    fa(h, "sales", ["bob"])
    ran(h)
    before = {k: v.id for k, v in entries(h, cid).items()}
    h.reset_calls()
    fa(h, "helpdesk", ["anna", "carl"])
    ran(h)
    assert h.writes() == {f"{SERVICE}.delete": 1}
    after = entries(h, cid)
    assert set(after) == set(before) - {("bob", "helpdesk@example.org")}
    assert {k: v.id for k, v in after.items()} == {k: v for k, v in before.items() if k in after}
    assert ("bob", "sales@example.org") in after  # bob's other account stays


def test_reapplying_the_same_file_makes_no_writes(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c2)
    h.group("staff", ["bob"])
    fa(h, "helpdesk", ["anna"], ["staff"], personal="Help")
    ran(h)
    h.reset_calls()
    fa(h, "helpdesk", ["anna"], ["staff"], personal="Help")
    ran(h)
    assert h.writes() == {}
    assert holders(h, c1, "helpdesk@example.org") == {"anna"}
    assert holders(h, c2, "helpdesk@example.org") == {"bob"}


def test_changing_name_and_personal_updates_the_entries_in_place(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c1)
    h.user("carl", c2)
    fa_id = fa(h, "helpdesk", ["anna", "bob", "carl"], personal="Old")
    ran(h)
    ids_before = {(cid, k): v.id for cid in (c1, c2) for k, v in entries(h, cid).items()}
    h.reset_calls()
    fa(h, "helpdesk", ["anna", "bob", "carl"], display="Help Desk", personal="New")
    ran(h)
    writes = fa_writes(h)
    assert writes.get(f"{SERVICE}.create", 0) == 0 and writes.get(f"{SERVICE}.delete", 0) == 0
    assert writes.get(f"{SERVICE}.update", 0) >= 2  # at least once per context
    after = {(cid, k): v for cid in (c1, c2) for k, v in entries(h, cid).items()}
    assert {k: v.id for k, v in after.items()} == ids_before
    for (_, (user, _addr)), account in after.items():
        assert (account.name, account.personal, account.login) == (
            "Help Desk",
            "New",
            f"{fa_id}{user}",
        )


def test_deleting_the_account_removes_it_from_every_context(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c1)
    h.user("carl", c2)
    fa(h, "helpdesk", ["anna", "bob", "carl"])
    fa(h, "sales", ["anna", "carl"])
    ran(h)
    fa_delete(h, "helpdesk")
    ran(h)
    assert entries(h, c1, "helpdesk@example.org") == {}
    assert entries(h, c2, "helpdesk@example.org") == {}
    # another account of the same users is not touched
    assert holders(h, c1, "sales@example.org") == {"anna"}
    assert holders(h, c2, "sales@example.org") == {"carl"}
    # and the deletion is final: re-running the queue (empty) changes nothing
    h.reset_calls()
    ran(h)
    assert h.writes() == {}


def test_an_account_without_provisioned_members_has_no_entries(h):
    cid = h.context()
    h.user("anna", cid)
    h.user("dora", cid, isOxUser="Not")
    fa(h, "empty", [])
    fa(h, "ghost", ["dora"])
    h.reset_calls()
    ran(h)
    assert entries(h, cid) == {}
    assert fa_writes(h) == {}
    # removing the last member removes the last entry
    fa(h, "helpdesk", ["anna"])
    ran(h)
    assert holders(h, cid, "helpdesk@example.org") == {"anna"}
    fa(h, "helpdesk", [])
    ran(h)
    assert entries(h, cid) == {}


# -- member changes without the account's file (upstream does not re-sync these) ---------------
def test_member_moving_context_moves_its_account(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c1)
    fa_id = fa(h, "helpdesk", ["anna", "bob"])
    fa(h, "solo", ["anna"])
    ran(h)
    h.user("anna", c2)  # only the user's file
    ran(h)
    assert "anna" in h.ox_user_names(c2) and "anna" not in h.ox_user_names(c1)
    new = entries(h, c2)
    assert set(new) == {("anna", "helpdesk@example.org"), ("anna", "solo@example.org")}
    assert new[("anna", "helpdesk@example.org")].login == f"{fa_id}anna"
    assert new[("anna", "helpdesk@example.org")].userId == h.ox_user(c2, "anna").id
    assert set(entries(h, c1)) == {("bob", "helpdesk@example.org")}
    # the account now lives in c2: deleting it clears both contexts
    fa_delete(h, "helpdesk")
    fa_delete(h, "solo")
    ran(h)
    assert entries(h, c1) == {} and entries(h, c2) == {}


def test_group_member_moving_context_moves_its_account(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c1)
    h.group("staff", ["anna", "bob"])
    fa(h, "helpdesk", groups=["staff"])
    ran(h)
    h.user("bob", c2)  # only the user's file
    ran(h)
    assert holders(h, c1, "helpdesk@example.org") == {"anna"}
    assert holders(h, c2, "helpdesk@example.org") == {"bob"}
    fa_delete(h, "helpdesk")  # the account knows it is in c2 now
    ran(h)
    assert entries(h, c1) == {} and entries(h, c2) == {}


def test_group_membership_change_updates_the_accounts(h):
    cid = h.context()
    for name in ("anna", "bob", "carl"):
        h.user(name, cid)
    h.group("staff", ["anna", "bob"])
    fa(h, "helpdesk", groups=["staff"])
    ran(h)
    assert holders(h, cid, "helpdesk@example.org") == {"anna", "bob"}
    bob_account = entries(h, cid)[("bob", "helpdesk@example.org")].id
    h.reset_calls()
    h.group("staff", ["bob", "carl"])  # only the group's file
    ran(h)
    assert holders(h, cid, "helpdesk@example.org") == {"bob", "carl"}
    assert entries(h, cid)[("bob", "helpdesk@example.org")].id == bob_account
    writes = fa_writes(h)
    assert (writes.get(f"{SERVICE}.create"), writes.get(f"{SERVICE}.delete")) == (1, 1)


def test_deleting_a_members_group_removes_its_accounts(h):
    cid = h.context()
    h.user("anna", cid)
    h.user("bob", cid)
    h.group("staff", ["anna", "bob"])
    fa(h, "helpdesk", ["anna"], ["staff"])
    ran(h)
    h.delete("groups/group", group_dn("staff"))
    ran(h)
    assert holders(h, cid, "helpdesk@example.org") == {"anna"}


def test_disabling_a_member_removes_its_account_and_enabling_recreates_it(h):
    cid = h.context()
    h.user("anna", cid)
    h.user("bob", cid)
    fa_id = fa(h, "helpdesk", ["anna", "bob"])
    ran(h)
    h.user("anna", cid, isOxUser="Not")  # no FA file
    ran(h)
    assert holders(h, cid, "helpdesk@example.org") == {"bob"}
    h.user("anna", cid)  # enabled again, no FA file
    ran(h)
    assert holders(h, cid, "helpdesk@example.org") == {"anna", "bob"}
    anna = entries(h, cid)[("anna", "helpdesk@example.org")]
    assert anna.userId == h.ox_user(cid, "anna").id
    assert anna.login == f"{fa_id}anna"


def test_disabling_the_only_member_then_enabling_it(h):
    cid = h.context()
    h.user("anna", cid)
    fa(h, "helpdesk", ["anna"])
    ran(h)
    h.user("anna", cid, isOxUser="Not")
    ran(h)
    assert entries(h, cid) == {}
    h.user("anna", cid)
    ran(h)
    assert holders(h, cid, "helpdesk@example.org") == {"anna"}


def test_disabling_and_enabling_a_group_member(h):
    cid = h.context()
    h.user("anna", cid)
    h.user("bob", cid)
    h.group("staff", ["anna", "bob"])
    fa_id = fa(h, "helpdesk", groups=["staff"])
    ran(h)
    h.user("bob", cid, isOxUser="Not")  # neither the group's nor the account's file
    ran(h)
    assert holders(h, cid, "helpdesk@example.org") == {"anna"}
    h.user("bob", cid)
    ran(h)
    assert logins(h, cid) == {"anna": f"{fa_id}anna", "bob": f"{fa_id}bob"}


def test_a_deleted_member_loses_its_entry_and_a_recreated_one_gets_it_back(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c2)
    fa(h, "helpdesk", ["anna", "bob"])
    ran(h)
    h.delete("users/user", user_dn("bob"))
    ran(h)
    assert "bob" not in h.ox_user_names(c2)
    assert holders(h, c1, "helpdesk@example.org") == {"anna"}
    h.user("bob", c1)  # back, in the other context
    ran(h)
    assert holders(h, c1, "helpdesk@example.org") == {"anna", "bob"}
    assert entries(h, c2) == {}


def test_a_member_provisioned_after_the_account_gets_its_entry(h):
    cid = h.context()
    h.user("anna", cid)
    fa(h, "helpdesk", ["anna", "bob"])  # bob does not exist yet
    ran(h)
    assert holders(h, cid, "helpdesk@example.org") == {"anna"}
    h.user("bob", cid)  # no FA file
    ran(h)
    assert holders(h, cid, "helpdesk@example.org") == {"anna", "bob"}


def test_an_unrelated_user_change_does_not_touch_the_accounts(h):
    cid = h.context()
    h.user("anna", cid)
    fa(h, "helpdesk", ["anna"])
    ran(h)
    h.reset_calls()
    h.user("anna", cid, firstname="Annabel")
    ran(h)
    assert fa_writes(h) == {}
    assert holders(h, cid, "helpdesk@example.org") == {"anna"}


# -- sharing ------------------------------------------------------------------------------------
def test_two_accounts_share_one_user(h):
    cid = h.context()
    h.user("anna", cid)
    h.user("bob", cid)
    a = fa(h, "helpdesk", ["anna", "bob"])
    b = fa(h, "sales", ["anna"])
    ran(h)
    found = entries(h, cid)
    assert set(found) == {
        ("anna", "helpdesk@example.org"),
        ("bob", "helpdesk@example.org"),
        ("anna", "sales@example.org"),
    }
    assert found[("anna", "helpdesk@example.org")].login == f"{a}anna"
    assert found[("anna", "sales@example.org")].login == f"{b}anna"
    fa(h, "sales", [])
    ran(h)
    assert set(entries(h, cid)) == {
        ("anna", "helpdesk@example.org"),
        ("bob", "helpdesk@example.org"),
    }


def test_a_user_listed_directly_and_through_a_group_has_one_entry(h):
    cid = h.context()
    h.user("anna", cid)
    h.user("bob", cid)
    h.group("staff", ["anna", "bob"])
    fa(h, "helpdesk", ["anna"], ["staff"])
    h.reset_calls()
    ran(h)
    assert h.calls()[f"{SERVICE}.create"] == 2
    assert set(entries(h, cid)) == {
        ("anna", "helpdesk@example.org"),
        ("bob", "helpdesk@example.org"),
    }
    # leaving the group keeps the direct membership
    h.group("staff", ["bob"])
    ran(h)
    assert holders(h, cid, "helpdesk@example.org") == {"anna", "bob"}


# -- the login template ---------------------------------------------------------------------------
def logins(h: Harness, cid: int, address: str = "helpdesk@example.org") -> dict[str, str]:
    return {user: account.login for (user, _), account in entries(h, cid, address).items()}


def test_default_login_is_fa_entry_uuid_and_username(h):
    cid = h.context()
    h.user("anna", cid)
    h.user("bob", cid)
    fa(h, "helpdesk", ["anna", "bob"], object_id="2f0c1b6e-fa00-4d2a-9d1e-000000000001")
    ran(h)
    assert logins(h, cid) == {
        "anna": "2f0c1b6e-fa00-4d2a-9d1e-000000000001anna",
        "bob": "2f0c1b6e-fa00-4d2a-9d1e-000000000001bob",
    }


@pytest.mark.parametrize(
    "template, expected",
    [
        ("{{fa_email_address}}*dovecotadmin", "helpdesk@example.org*dovecotadmin"),
        ("{{fa_entry_uuid}}", "FA-UUID"),
        ("{{entry_uuid}}", "USER-UUID"),
        ("{{dn}}", "USER-DN"),
        (
            "mbx:{{mailPrimaryAddress}}/{{ username }}@{{fa_email_address}}",
            "mbx:MAIL/NAME@helpdesk@example.org",
        ),
    ],
)
def test_login_template(h, template, expected):
    h.extra_env[TEMPLATE] = template
    cid = h.context()
    h.user("anna", cid, mailPrimaryAddress="anna.a@example.org")
    h.user("bob", cid)
    fa_id = fa(h, "helpdesk", ["anna", "bob"])
    ran(h)
    want = {}
    for name, mail in (("anna", "anna.a@example.org"), ("bob", "bob@example.org")):
        want[name] = (
            expected.replace("FA-UUID", fa_id)
            .replace("USER-UUID", h.ids[user_dn(name).lower()])
            .replace("USER-DN", user_dn(name))
            .replace("MAIL", mail)
            .replace("NAME", name)
        )
    assert logins(h, cid) == want


def test_unknown_placeholder_is_a_settings_error(h):
    h.extra_env[TEMPLATE] = "{{fa_entry_uuid}}{{no_such_property}}"
    h.context()
    queued = h.pending()
    result = h.run_cli(timeout=60)
    assert result.returncode == 2, result.stderr
    assert "no_such_property" in result.stderr
    assert TEMPLATE in result.stderr
    assert "Traceback" not in result.stderr
    assert h.pending() == queued  # nothing applied


def test_empty_template_property_fails_the_run_naming_the_field(h):
    h.extra_env[TEMPLATE] = "{{oxUserfield01}}-{{fa_entry_uuid}}"
    cid = h.context()
    h.user("anna", cid, oxUserfield01="a1")
    h.user("bob", cid)  # no oxUserfield01
    fa(h, "helpdesk", ["anna", "bob"])
    path = h.pending()[-1]  # the account's file, queued last
    with pytest.raises(RunFailed) as failed:
        h.run()
    assert '"oxUserfield01"' in str(failed.value), str(failed.value)
    assert failed.value.path.name == path
    assert h.pending() == [path]
    assert entries(h, cid) == {}  # not half-applied


def test_empty_template_property_on_a_member_change_fails_the_run(h):
    h.extra_env[TEMPLATE] = "{{oxUserfield01}}"
    cid = h.context()
    h.user("anna", cid, oxUserfield01="a1")
    fa(h, "helpdesk", ["anna"])
    ran(h)
    assert logins(h, cid) == {"anna": "a1"}
    path = h.user("anna", cid, oxUserfield01="")
    with pytest.raises(RunFailed) as failed:
        h.run()
    assert '"oxUserfield01"' in str(failed.value), str(failed.value)
    assert failed.value.path.name == path.name
    assert h.pending() == [path.name]


def test_changing_a_template_input_updates_the_login(h):
    h.extra_env[TEMPLATE] = "{{mailPrimaryAddress}}*admin"
    cid = h.context()
    h.user("anna", cid)
    h.user("bob", cid)
    fa(h, "helpdesk", ["anna", "bob"])
    ran(h)
    assert logins(h, cid) == {"anna": "anna@example.org*admin", "bob": "bob@example.org*admin"}
    ids = {k: v.id for k, v in entries(h, cid).items()}
    h.reset_calls()
    h.user("anna", cid, mailPrimaryAddress="anna.new@example.org")  # only the user's file
    ran(h)
    # updated in place; the other member untouched
    assert logins(h, cid) == {"anna": "anna.new@example.org*admin", "bob": "bob@example.org*admin"}
    assert {k: v.id for k, v in entries(h, cid).items()} == ids
    assert fa_writes(h) == {f"{SERVICE}.update": 1}


def test_changing_a_group_members_template_input_updates_its_login(h):
    h.extra_env[TEMPLATE] = "{{mailPrimaryAddress}}*admin"
    cid = h.context()
    h.user("anna", cid)
    h.user("bob", cid)
    h.group("staff", ["anna", "bob"])
    fa(h, "helpdesk", groups=["staff"])
    ran(h)
    h.reset_calls()
    h.user("bob", cid, mailPrimaryAddress="bob.new@example.org")  # only the user's file
    ran(h)
    assert logins(h, cid) == {"anna": "anna@example.org*admin", "bob": "bob.new@example.org*admin"}
    assert fa_writes(h) == {f"{SERVICE}.update": 1}
