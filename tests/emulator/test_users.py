"""OXUserService semantics over HTTP (who may call it, partial changes, faults, create and
change, OX's validation rules, principal ids), with a client built from the reference
WSDLs. Each test creates its own context, so ids are predictable."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import zeep
from hypothesis import given, settings
from hypothesis import strategies as st

from ..oxclient import new_context, raises_fault

ADMIN_ID = 2  # OX numbers principals: default group 1, context admin 2, then new principals
ALIASES_FAULT = "primaryMail, Email1 and defaultSenderAddress must be present in set of aliases."
_unique = itertools.count(1)


# helpers ------------------------------------------------------------------------------------
def mail(name: str) -> str:
    return f"{name}@example.org"


def own_auth(name: str, password: str = "secret") -> dict:
    """Credentials of a plain user made by ctx.create_user (its password is "secret")."""
    return {"login": name, "password": password}


def user_data(name: str, **fields) -> dict:
    """A complete usrdata for create, as ctx.create_user builds it."""
    address = fields.pop("mail", mail(name))
    return {
        "name": name,
        "display_name": f"{name} display",
        "password": "secret",
        "given_name": name.capitalize(),
        "sur_name": "Tester",
        "primaryEmail": address,
        "email1": address,
        **fields,
    }


def create(ox, ctx, **usrdata):
    return ox.user.create(ctx=ctx.ref, usrdata=usrdata, auth=ctx.admin)


def change(ox, ctx, **usrdata):
    return ox.user.change(ctx=ctx.ref, usrdata=usrdata, auth=ctx.admin)


def ids(users) -> list[int]:
    return [u.id for u in users]


def access_of(ox, ctx, uid: int) -> dict[str, bool]:
    access = ox.user.getModuleAccess(ctx=ctx.ref, user={"id": uid}, auth=ctx.admin)
    return dict(zeep.helpers.serialize_object(access))


def primary_mail_taken(address: str, cid: int, uid: int) -> str:
    return (
        f'Primary mail address "{address}" already exists in context {cid} '
        f"(Already assigned to user {uid})."
    )


# authentication and authorisation: who may call what -----------------------------------------
def test_context_admin_may_call_user_service(ox, ctx):
    assert ids(ox.user.listAll(ctx=ctx.ref, auth=ctx.admin)) == [ADMIN_ID]


def test_master_admin_is_refused_without_master_account_override(ox, ctx):
    raises_fault("Authentication failed", ox.user.listAll, ctx=ctx.ref, auth=ox.master)
    raises_fault(
        "Authentication failed",
        ox.user.create,
        ctx=ctx.ref,
        usrdata=user_data("viamaster"),
        auth=ox.master,
    )


def test_wrong_password_and_admin_of_other_context_are_refused(ox, ctx):
    raises_fault(
        "Authentication failed",
        ox.user.listAll,
        ctx=ctx.ref,
        auth={"login": ctx.admin["login"], "password": "wrong"},
    )
    other = new_context(ox)
    raises_fault("Authentication failed", ox.user.listAll, ctx=ctx.ref, auth=other.admin)


def test_plain_user_may_read_and_change_only_own_record(ox, ctx):
    alice = ctx.create_user("alice")
    bob = ctx.create_user("bob")
    own = ox.user.getData(ctx=ctx.ref, user={"id": alice.id}, auth=own_auth("alice"))
    assert own.name == "alice"
    ox.user.change(ctx=ctx.ref, usrdata={"id": alice.id, "company": "ACME"}, auth=own_auth("alice"))
    assert ctx.get_user(id=alice.id).company == "ACME"
    raises_fault(
        "Permission denied",
        ox.user.getData,
        ctx=ctx.ref,
        user={"id": bob.id},
        auth=own_auth("alice"),
    )
    raises_fault(
        "Permission denied",
        ox.user.change,
        ctx=ctx.ref,
        usrdata={"id": bob.id, "company": "EvilCorp"},
        auth=own_auth("alice"),
    )
    assert ctx.get_user(id=bob.id).company is None


def test_plain_user_may_not_list_create_exist_or_delete(ox, ctx):
    alice = ctx.create_user("alice")
    auth = own_auth("alice")
    raises_fault("Authentication failed", ox.user.list, ctx=ctx.ref, search_pattern="*", auth=auth)
    raises_fault(
        "Authentication failed", ox.user.exists, ctx=ctx.ref, user={"id": alice.id}, auth=auth
    )
    raises_fault(
        "Authentication failed", ox.user.create, ctx=ctx.ref, usrdata=user_data("carol"), auth=auth
    )
    raises_fault(
        "Authentication failed", ox.user.delete, ctx=ctx.ref, user={"id": alice.id}, auth=auth
    )


# create validation (OX's mandatory fields and checks) ----------------------------------------
def test_create_names_missing_mandatory_fields_in_java_names(ox, ctx):
    raises_fault(
        "Mandatory fields not set: [display_name, given_name, sur_name, primaryEmail, email1]",
        create,
        ox,
        ctx,
        name="lonely",
        password="secret",
    )


def test_empty_string_counts_as_missing_mandatory_field(ox, ctx):
    raises_fault(
        "Mandatory fields not set: [sur_name]", create, ox, ctx, **user_data("blank", sur_name="")
    )


def test_empty_or_absent_password_is_refused(ox, ctx):
    raises_fault(
        "Empty password is not allowed.", create, ox, ctx, **user_data("nopw", password="")
    )
    data = user_data("nopw")
    del data["password"]
    raises_fault("Empty password is not allowed.", create, ox, ctx, **data)


def test_blank_password_is_refused_on_create_and_change(ox, ctx):
    # OX trims the password before its emptiness check
    raises_fault(
        "Empty password is not allowed.", create, ox, ctx, **user_data("blankpw", password="   ")
    )
    user = ctx.create_user("blankpw")
    raises_fault("Empty password is not allowed.", change, ox, ctx, id=user.id, password=" ")


def test_create_primary_mail_must_equal_email1_exactly(ox, ctx):
    raises_fault(
        "primarymail must have the same value as email1",
        create,
        ox,
        ctx,
        **user_data("case", primaryEmail="Case@example.org", email1="case@example.org"),
    )


def test_user_name_with_space_has_illegal_chars(ox, ctx):
    raises_fault('Illegal chars: " "', create, ox, ctx, **user_data("john doe", mail=mail("jd")))


def test_invalid_email_address_is_refused(ox, ctx):
    raises_fault(
        "Invalid email address: not-a-mail",
        create,
        ox,
        ctx,
        **user_data("badmail", email2="not-a-mail"),
    )


def test_existing_login_is_refused(ox, ctx):
    ctx.create_user("taken")
    raises_fault(
        "User taken already exists in this context",
        create,
        ox,
        ctx,
        **user_data("taken", display_name="another", mail=mail("other")),
    )


def test_display_name_must_be_unique_on_create(ox, ctx):
    ctx.create_user("first", display_name="Same Name")
    raises_fault(
        "The displayname is already used", ctx.create_user, "second", display_name="Same Name"
    )


def test_display_name_must_be_unique_on_change(ox, ctx):
    ctx.create_user("first", display_name="Same Name")
    second = ctx.create_user("second")
    raises_fault(
        "The displayname is already used", change, ox, ctx, id=second.id, display_name="Same Name"
    )
    change(ox, ctx, id=second.id, display_name="second display")  # its own name is fine


def test_primary_mail_is_unique_among_users(ox, ctx):
    first = ctx.create_user("first", mail="shared@example.org")
    raises_fault(
        primary_mail_taken("shared@example.org", ctx.id, first.id),
        ctx.create_user,
        "second",
        mail="shared@example.org",
    )


def test_changed_primary_mail_must_be_free(ox, ctx):
    first = ctx.create_user("first")
    second = ctx.create_user("second")
    raises_fault(
        primary_mail_taken(mail("first"), ctx.id, first.id),
        change,
        ox,
        ctx,
        id=second.id,
        primaryEmail=mail("first"),
        email1=mail("first"),
        aliases=[mail("first")],
        defaultSenderAddress=mail("first"),
    )


def test_primary_mail_is_unique_against_resource_mails(ox, ctx):
    res = ox.resource.create(
        ctx=ctx.ref,
        res={"name": "beamer", "displayname": "Beamer", "email": "beamer@example.org"},
        auth=ctx.admin,
    )
    # The contract gives the user wording only; OX's parenthesis names the owner (a resource).
    raises_fault(
        re.compile(
            rf'Primary mail address "beamer@example\.org" already exists in '
            rf"context {ctx.id} \(Already assigned to \w+ {res.id}\)\."
        ),
        ctx.create_user,
        "beamer",
        mail="beamer@example.org",
    )


def test_create_language_needs_underscore(ox, ctx):
    raises_fault(
        "language must contain an underscore, e.g. en_US",
        create,
        ox,
        ctx,
        **user_data("lang", language="english"),
    )
    # create wants xx_YY: a second underscore is refused with the same text
    raises_fault(
        "language must contain an underscore, e.g. en_US",
        create,
        ox,
        ctx,
        **user_data("lang", language="de_DE_x"),
    )


def test_change_language_needs_underscore(ox, ctx):
    user = ctx.create_user("lang")
    raises_fault(
        "Language must contain an underscore, e.g. en_US.",
        change,
        ox,
        ctx,
        id=user.id,
        language="de",
    )
    change(ox, ctx, id=user.id, language="de_DE")
    assert ctx.get_user(id=user.id).language == "de_DE"


def test_timezone_must_be_valid(ox, ctx):
    raises_fault(
        "The given timezone is invalid",
        create,
        ox,
        ctx,
        **user_data("tz", timezone="Mars/Olympus_Mons"),
    )
    user = ctx.create_user("tz", timezone="America/New_York")
    raises_fault(
        "The given timezone is invalid", change, ox, ctx, id=user.id, timezone="Mars/Olympus_Mons"
    )
    assert ctx.get_user(id=user.id).timezone == "America/New_York"


def test_unknown_password_mech_is_refused(ox, ctx):
    raises_fault(
        re.compile(r"Invalid PasswordMech: ROT13\. Use one of the following: .*"),
        create,
        ox,
        ctx,
        **user_data("mech", passwordMech="ROT13"),
    )


# create results and defaults ------------------------------------------------------------------
def test_create_defaults(ox, ctx):
    created = ctx.create_user("plain")
    user = ctx.get_user(id=created.id)
    assert (user.language, user.timezone) == ("en_US", "Europe/Berlin")
    assert user.mailenabled is True and user.contextadmin is False
    assert user.passwordMech == "{SHA-256}"
    assert created.password is None and user.password is None
    assert user.defaultSenderAddress == user.primaryEmail == user.email1 == mail("plain")


def test_create_returns_the_enriched_user(ox, ctx):
    created = ctx.create_user("fresh", aliases=["alt@example.org"])
    assert created.id == 3
    assert created.name == "fresh" and created.language == "en_US"
    assert created.timezone == "Europe/Berlin"
    assert created.defaultSenderAddress == mail("fresh")
    assert set(created.aliases) == {"alt@example.org", mail("fresh")}


def test_create_adds_primary_mail_and_default_sender_to_aliases(ox, ctx):
    user = ctx.create_user(
        "alias", aliases=["alt@example.org"], defaultSenderAddress="sender@example.org"
    )
    stored = ctx.get_user(id=user.id)
    assert set(stored.aliases) == {"alt@example.org", "sender@example.org", mail("alias")}
    assert stored.defaultSenderAddress == "sender@example.org"


def test_new_user_joins_the_default_group(ox, ctx):
    user = ctx.create_user("member")
    group = ox.group.getDefaultGroup(ctx=ctx.ref, auth=ctx.admin)
    assert group.members == [ADMIN_ID, user.id]
    assert ctx.get_user(id=user.id).default_group.id == 1


def test_principal_ids_are_shared_by_users_groups_and_resources(ox, ctx):
    user = ctx.create_user("first")
    group = ox.group.create(
        ctx=ctx.ref, grp={"name": "team", "displayname": "Team"}, auth=ctx.admin
    )
    res = ox.resource.create(
        ctx=ctx.ref,
        res={"name": "room", "displayname": "Room", "email": "room@example.org"},
        auth=ctx.admin,
    )
    second = ctx.create_user("second")
    assert (user.id, group.id, res.id, second.id) == (3, 4, 5, 6)


# change (partial: absent and nil keep a value) -----------------------------------------------
def test_change_is_partial_absent_and_nil_keep_values(ox, ctx):
    user = ctx.create_user("partial", company="ACME", city_home="Bremen")
    change(ox, ctx, id=user.id, company="Initech", city_home=zeep.xsd.Nil)
    stored = ctx.get_user(id=user.id)
    assert (stored.company, stored.city_home) == ("Initech", "Bremen")
    assert (stored.given_name, stored.sur_name) == ("Partial", "Tester")
    assert stored.display_name == "partial display"


def test_change_with_empty_string_clears_the_value(ox, ctx):
    user = ctx.create_user("clear", company="ACME", note="remember")
    change(ox, ctx, id=user.id, company="", note="")
    stored = ctx.get_user(id=user.id)
    assert stored.company is None and stored.note is None  # '' reads back as None in zeep


def test_change_by_name_identifies_the_user(ox, ctx):
    ctx.create_user("byname")
    change(ox, ctx, name="byname", company="Named Inc")
    assert ctx.get_user(name="byname").company == "Named Inc"


def test_rename_is_disabled_but_current_name_is_fine(ox, ctx):
    user = ctx.create_user("fixed")
    raises_fault("Changing username is disabled!", change, ox, ctx, id=user.id, name="renamed")
    change(ox, ctx, id=user.id, name="fixed", company="Same")
    stored = ctx.get_user(id=user.id)
    assert (stored.name, stored.company) == ("fixed", "Same")


def test_primary_mail_change_needs_email1(ox, ctx):
    user = ctx.create_user("mover")
    raises_fault(
        "email1 not sent but required!",
        change,
        ox,
        ctx,
        id=user.id,
        primaryEmail="moved@example.org",
        aliases=["moved@example.org", mail("mover")],
    )
    assert ctx.get_user(id=user.id).primaryEmail == mail("mover")


def test_missing_email1_is_checked_after_the_aliases(ox, ctx):
    # OX checks "email1 not sent" last; the stored email1 is missing from these aliases
    user = ctx.create_user("mover")
    raises_fault(
        ALIASES_FAULT,
        change,
        ox,
        ctx,
        id=user.id,
        primaryEmail="moved@example.org",
        aliases=["moved@example.org"],
        defaultSenderAddress="moved@example.org",
    )


def test_primary_mail_change_needs_equal_email1(ox, ctx):
    user = ctx.create_user("mover")
    raises_fault(
        "email1 not equal with primarymail!",
        change,
        ox,
        ctx,
        id=user.id,
        primaryEmail="moved@example.org",
        email1="other@example.org",
        aliases=["moved@example.org", "other@example.org"],
        defaultSenderAddress="moved@example.org",
    )


def test_email1_alone_is_only_checked_against_the_aliases(ox, ctx):
    # "if both primaryEmail and email1 are sent they must be equal": not so with email1 alone
    user = ctx.create_user("mover", aliases=["alt@example.org"])
    raises_fault(ALIASES_FAULT, change, ox, ctx, id=user.id, email1="elsewhere@example.org")
    change(ox, ctx, id=user.id, email1="alt@example.org")
    stored = ctx.get_user(id=user.id)
    assert (stored.primaryEmail, stored.email1) == (mail("mover"), "alt@example.org")


def test_context_admin_skips_mail_checks_on_change(ox, ctx):
    change(ox, ctx, id=ADMIN_ID, aliases=["elsewhere@example.org"])
    admin = ox.user.getContextAdmin(ctx=ctx.ref, auth=ctx.admin)
    assert admin.aliases == ["elsewhere@example.org"]


def test_change_compares_primary_mail_and_email1_case_insensitively(ox, ctx):
    user = ctx.create_user("mover")
    change(
        ox,
        ctx,
        id=user.id,
        primaryEmail="Moved@example.org",
        email1="moved@example.org",
        aliases=["moved@example.org"],
        defaultSenderAddress="moved@example.org",
    )
    assert ctx.get_user(id=user.id).primaryEmail == "Moved@example.org"


def test_change_adds_nothing_to_aliases(ox, ctx):
    user = ctx.create_user("mover")
    # new primary mail without aliases: the stored aliases lack it
    raises_fault(
        ALIASES_FAULT,
        change,
        ox,
        ctx,
        id=user.id,
        primaryEmail="moved@example.org",
        email1="moved@example.org",
    )
    # aliases with the new primary, but the stored defaultSenderAddress is not among them
    raises_fault(
        ALIASES_FAULT,
        change,
        ox,
        ctx,
        id=user.id,
        primaryEmail="moved@example.org",
        email1="moved@example.org",
        aliases=["moved@example.org"],
    )
    # aliases alone that drop the stored primary mail
    raises_fault(ALIASES_FAULT, change, ox, ctx, id=user.id, aliases=["alt@example.org"])
    assert ctx.get_user(id=user.id).primaryEmail == mail("mover")


def test_primary_mail_change_with_complete_aliases(ox, ctx):
    user = ctx.create_user("mover")
    change(
        ox,
        ctx,
        id=user.id,
        primaryEmail="moved@example.org",
        email1="moved@example.org",
        aliases=["moved@example.org", "alt@example.org"],
        defaultSenderAddress="moved@example.org",
    )
    stored = ctx.get_user(id=user.id)
    assert (stored.primaryEmail, stored.email1) == ("moved@example.org", "moved@example.org")
    assert set(stored.aliases) == {"moved@example.org", "alt@example.org"}  # nothing added
    # the old primary mail is free again
    ctx.create_user("newcomer", mail=mail("mover"))


def test_aliases_are_replaced_when_sent_and_kept_when_absent(ox, ctx):
    user = ctx.create_user("alias", aliases=["one@example.org", "two@example.org"])
    change(ox, ctx, id=user.id, company="no aliases sent")
    assert set(ctx.get_user(id=user.id).aliases) == {
        mail("alias"),
        "one@example.org",
        "two@example.org",
    }
    change(ox, ctx, id=user.id, aliases=[mail("alias"), " three@example.org ", ""])
    assert set(ctx.get_user(id=user.id).aliases) == {mail("alias"), "three@example.org"}


def test_change_password_rehashes_and_keeps_mech(ox, ctx):
    user = ctx.create_user("pw")
    change(ox, ctx, id=user.id, password="new-secret")
    assert (
        ox.user.getData(
            ctx=ctx.ref, user={"id": user.id}, auth=own_auth("pw", "new-secret")
        ).passwordMech
        == "{SHA-256}"
    )
    raises_fault(
        "Authentication failed",
        ox.user.getData,
        ctx=ctx.ref,
        user={"id": user.id},
        auth=own_auth("pw", "secret"),
    )


def test_password_mech_change_needs_password(ox, ctx):
    user = ctx.create_user("mech")
    raises_fault(
        "When changing password mechanism, the password string must also be supplied",
        change,
        ox,
        ctx,
        id=user.id,
        passwordMech="{SSHA}",
    )


# lookups: getData, getMultipleData, list, exists ---------------------------------------------
def test_get_data_of_unknown_user(ox, ctx):
    raises_fault(f"No such user 999 in context {ctx.id}", ctx.get_user, id=999)
    raises_fault(f"No such user ghost in context {ctx.id}", ctx.get_user, name="ghost")


def test_get_data_without_id_or_name_is_invalid(ox, ctx):
    raises_fault(
        "Username and userid missing.",
        ox.user.getData,
        ctx=ctx.ref,
        user={"company": "x"},
        auth=ctx.admin,
    )


def test_list_returns_ids_only(ox, ctx):
    ctx.create_user("listed", company="ACME")
    users = ox.user.list(ctx=ctx.ref, search_pattern="listed", auth=ctx.admin)
    assert ids(users) == [3]
    only = users[0]
    assert (only.name, only.display_name, only.primaryEmail, only.company) == (None,) * 4
    assert only.aliases in (None, []) and only.password is None
    assert only.contextadmin is False  # primitives carry their defaults


def test_list_matches_login_or_display_name(ox, ctx):
    alice = ctx.create_user("alice", display_name="Wonderland Queen")
    bob = ctx.create_user("bob", display_name="Builder Bob")

    def found(pattern):
        return ids(ox.user.list(ctx=ctx.ref, search_pattern=pattern, auth=ctx.admin))

    assert found("alice") == [alice.id]
    assert found("Wonder*") == [alice.id]
    assert found("*Bob") == [bob.id]
    assert found("*") == [ADMIN_ID, alice.id, bob.id]
    assert found("") == [ADMIN_ID, alice.id, bob.id]
    assert found("nobody*") == []


def test_get_multiple_data_keeps_request_order(ox, ctx):
    alice = ctx.create_user("alice")
    bob = ctx.create_user("bob")
    users = ox.user.getMultipleData(
        ctx=ctx.ref, users=[{"id": bob.id}, {"name": "alice"}, {"id": ADMIN_ID}], auth=ctx.admin
    )
    assert [(u.id, u.name) for u in users] == [
        (bob.id, "bob"),
        (alice.id, "alice"),
        (ADMIN_ID, "oxadmin"),
    ]
    assert users[0].primaryEmail == mail("bob")


def test_get_multiple_data_fails_as_a_whole(ox, ctx):
    alice = ctx.create_user("alice")
    raises_fault(
        f"No such user 999 in context {ctx.id}",
        ox.user.getMultipleData,
        ctx=ctx.ref,
        users=[{"id": alice.id}, {"id": 999}],
        auth=ctx.admin,
    )


def test_exists_by_id_name_and_display_name(ox, ctx):
    user = ctx.create_user("here", display_name="Here I Am")

    def exists(**ref):
        return ox.user.exists(ctx=ctx.ref, user=ref, auth=ctx.admin)

    assert exists(id=user.id) is True
    assert exists(name="here") is True
    assert exists(display_name="Here I Am") is True
    assert exists(id=999) is False
    assert exists(name="gone") is False
    assert exists(display_name="Nobody") is False
    raises_fault(
        "Neither identifier, name nor display name set in given user object", exists, company="x"
    )


def test_get_context_admin(ox, ctx):
    admin = ox.user.getContextAdmin(ctx=ctx.ref, auth=ctx.admin)
    assert (admin.id, admin.name, admin.contextadmin) == (ADMIN_ID, "oxadmin", True)
    assert admin.primaryEmail == f"oxadmin@context{ctx.id}.example.org"
    assert admin.password is None


# delete ---------------------------------------------------------------------------------------
def test_delete_by_id_and_name(ox, ctx):
    first = ctx.create_user("first")
    ctx.create_user("second")
    ox.user.delete(ctx=ctx.ref, user={"id": first.id}, auth=ctx.admin)
    ox.user.delete(ctx=ctx.ref, user={"name": "second"}, auth=ctx.admin)
    assert ids(ox.user.listAll(ctx=ctx.ref, auth=ctx.admin)) == [ADMIN_ID]


def test_unknown_user_by_name_in_delete_and_change_is_wrapped(ox, ctx):
    wrapped = (
        "com.openexchange.admin.rmi.exceptions.NoSuchObjectException: "
        "com.openexchange.admin.rmi.exceptions.NoSuchUserException: "
        f"No such user ghost in context {ctx.id}"
    )
    raises_fault(wrapped, ox.user.delete, ctx=ctx.ref, user={"name": "ghost"}, auth=ctx.admin)
    raises_fault(wrapped, change, ox, ctx, name="ghost", company="x")


def test_unknown_user_by_id_in_delete(ox, ctx):
    raises_fault(
        f"No such user 999 in context {ctx.id}",
        ox.user.delete,
        ctx=ctx.ref,
        user={"id": 999},
        auth=ctx.admin,
    )


def test_context_admin_cannot_be_deleted(ox, ctx):
    raises_fault(
        "Admin delete not supported",
        ox.user.delete,
        ctx=ctx.ref,
        user={"id": ADMIN_ID},
        auth=ctx.admin,
    )
    assert ox.user.exists(ctx=ctx.ref, user={"id": ADMIN_ID}, auth=ctx.admin) is True


def test_delete_removes_user_from_groups_but_keeps_them(ox, ctx):
    user = ctx.create_user("leaver")
    group = ox.group.create(
        ctx=ctx.ref,
        grp={"name": "team", "displayname": "Team", "members": [user.id]},
        auth=ctx.admin,
    )
    ox.user.delete(ctx=ctx.ref, user={"id": user.id}, auth=ctx.admin)
    left = ox.group.getData(ctx=ctx.ref, grp={"id": group.id}, auth=ctx.admin)
    assert left.members in (None, [])
    assert ox.group.getDefaultGroup(ctx=ctx.ref, auth=ctx.admin).members == [ADMIN_ID]


# imap / smtp ------------------------------------------------------------------------------------
def test_imap_server_host_becomes_url_with_default_port(ox, ctx):
    user = ctx.create_user("mailer", imapServer="mail.example.org", smtpServer="smtp.example.org")
    stored = ctx.get_user(id=user.id)
    assert stored.imapServerString == "imap://mail.example.org:143"
    assert (stored.imapServer, stored.imapPort, stored.imapSchema) == (
        "mail.example.org",
        143,
        "imap://",
    )
    assert stored.smtpServerString == "smtp://smtp.example.org:25"


def test_imap_ssl_port_switches_to_imaps(ox, ctx):
    user = ctx.create_user("mailer", imapServer="mail.example.org")
    change(ox, ctx, id=user.id, imapPort=993)
    stored = ctx.get_user(id=user.id)
    assert stored.imapServerString == "imaps://mail.example.org:993"
    assert (stored.imapSchema, stored.imapPort) == ("imaps://", 993)


def test_imap_server_as_host_port_and_url(ox, ctx):
    first = ctx.create_user("first", imapServer="mail.example.org:10143")
    second = ctx.create_user("second", imapServer="imaps://secure.example.org")
    assert ctx.get_user(id=first.id).imapServerString == "imap://mail.example.org:10143"
    assert ctx.get_user(id=second.id).imapServerString == "imaps://secure.example.org:993"


# module access ----------------------------------------------------------------------------------
def test_create_by_module_access_absent_booleans_take_defaults(ox, ctx):
    user = ox.user.createByModuleAccess(
        ctx=ctx.ref,
        usrdata=user_data("limited"),
        access={"calendar": False, "deniedPortal": True},
        auth=ctx.admin,
    )
    access = access_of(ox, ctx, user.id)
    assert access["calendar"] is False and access["deniedPortal"] is True
    assert access["webmail"] is True and access["contacts"] is True  # default true
    assert access["globalAddressBookDisabled"] is False  # default false
    assert access["publicFolderEditable"] is False


def test_change_by_module_access_absent_booleans_take_defaults(ox, ctx):
    user = ox.user.createByModuleAccessName(
        ctx=ctx.ref, usrdata=user_data("mod"), access_combination_name="webmail", auth=ctx.admin
    )
    assert access_of(ox, ctx, user.id)["calendar"] is False
    ox.user.changeByModuleAccess(
        ctx=ctx.ref, user={"id": user.id}, moduleAccess={"tasks": False}, auth=ctx.admin
    )
    access = access_of(ox, ctx, user.id)
    assert access["tasks"] is False
    assert access["calendar"] is True and access["infostore"] is True  # not kept: defaults
    assert access["globalAddressBookDisabled"] is False and access["deniedPortal"] is False


def test_new_user_gets_admin_access_without_public_folder_editable(ox, ctx):
    full = {k: True for k in access_of(ox, ctx, ADMIN_ID)}
    full.update(globalAddressBookDisabled=False, deniedPortal=False)
    ox.user.changeByModuleAccess(
        ctx=ctx.ref, user={"id": ADMIN_ID}, moduleAccess=full, auth=ctx.admin
    )
    user = ctx.create_user("inherit")
    assert access_of(ox, ctx, user.id) == full | {"publicFolderEditable": False}


def test_access_combination_names(ox, ctx):
    user = ctx.create_user("combo")
    ox.user.changeByModuleAccessName(
        ctx=ctx.ref, user={"id": user.id}, access_combination_name="webmail", auth=ctx.admin
    )
    assert (
        ox.user.getAccessCombinationName(ctx=ctx.ref, user={"id": user.id}, auth=ctx.admin)
        == "webmail"
    )
    access = access_of(ox, ctx, user.id)
    assert access["webmail"] is True and access["calendar"] is False
    ox.user.changeByModuleAccess(
        ctx=ctx.ref,
        user={"id": user.id},
        moduleAccess={"webmail": False, "calendar": True},
        auth=ctx.admin,
    )
    assert (
        ox.user.getAccessCombinationName(ctx=ctx.ref, user={"id": user.id}, auth=ctx.admin) is None
    )


def test_unknown_access_combination_name(ox, ctx):
    user = ctx.create_user("combo")
    raises_fault(
        'No such access combination name "gold"',
        ox.user.changeByModuleAccessName,
        ctx=ctx.ref,
        user={"id": user.id},
        access_combination_name="gold",
        auth=ctx.admin,
    )
    raises_fault(
        'No such access combination name "gold"',
        ox.user.createByModuleAccessName,
        ctx=ctx.ref,
        usrdata=user_data("golden"),
        access_combination_name="gold",
        auth=ctx.admin,
    )
    assert ox.user.exists(ctx=ctx.ref, user={"name": "golden"}, auth=ctx.admin) is False


# field round trips --------------------------------------------------------------------------------
def test_birthday_and_anniversary_dates(ox, ctx):
    user = ctx.create_user("dates", birthday=dt.date(1990, 5, 17), anniversary=dt.date(2015, 8, 1))
    stored = ctx.get_user(id=user.id)
    assert (stored.birthday, stored.anniversary) == (dt.date(1990, 5, 17), dt.date(2015, 8, 1))
    change(ox, ctx, id=user.id, birthday=dt.date(1991, 1, 2))
    assert ctx.get_user(id=user.id).birthday == dt.date(1991, 1, 2)


def test_image1_bytes_round_trip(ox, ctx):
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    user = ctx.create_user("pic", image1=image, image1ContentType="image/png")
    stored = ctx.get_user(id=user.id)
    assert (stored.image1, stored.image1ContentType) == (image, "image/png")


def test_userfields_and_contact_fields_round_trip(ox, ctx):
    fields = {f"userfield{i:02d}": f"value {i}" for i in range(1, 21)}
    fields |= {
        "company": "ACME",
        "department": "R&D <lab>",
        "street_home": "Main St 1",
        "postal_code_home": "28359",
        "city_home": "Bremen",
        "telephone_business1": "+49 421 1234",
        "cellular_telephone1": "+49 170 5678",
        "position": "Engineer",
        "url": "https://example.org/~me",
        "email2": "private@example.net",
    }
    user = ctx.create_user("contact", **fields)
    stored = ctx.get_user(id=user.id)
    assert {k: getattr(stored, k) for k in fields} == fields


def test_unicode_values_round_trip(ox, ctx):
    fields = {
        "display_name": "Jürgen Größe-Übermaß",
        "given_name": "Jürgen",
        "sur_name": "山田太郎",
        "city_home": "Köln",
        "note": "日本語のメモ ✓ ß ẞ",
    }
    user = ctx.create_user("unicode", **fields)
    stored = ctx.get_user(id=user.id)
    assert {k: getattr(stored, k) for k in fields} == fields
    found = ox.user.list(ctx=ctx.ref, search_pattern="Jürgen*", auth=ctx.admin)
    assert ids(found) == [user.id]


# XML 1.0 cannot carry control characters; U+FFFE/U+FFFF are not XML Chars either.
xml_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=40,
)


@settings(max_examples=25, deadline=None)
@given(given_name=xml_text, company=xml_text, note=xml_text, city=xml_text)
def test_property_printable_unicode_round_trips(ox, given_name, company, note, city):
    ctx = new_context(ox)
    name = f"prop{next(_unique)}"
    fields = {"given_name": given_name, "company": company, "note": note, "city_home": city}
    created = ctx.create_user(name, **fields)
    stored = ctx.get_user(id=created.id)
    assert {k: getattr(stored, k) for k in fields} == fields


def test_gui_spam_filter_enabled_is_stored_and_returned(ox, ctx):
    """A plain boolean of User: false unless set, kept on create and change."""
    plain = ctx.create_user("nospam")
    assert ctx.get_user(id=plain.id).gui_spam_filter_enabled is False
    spam = ctx.create_user("withspam", gui_spam_filter_enabled=True)
    assert ctx.get_user(id=spam.id).gui_spam_filter_enabled is True
    ox.user.change(
        ctx=ctx.ref, usrdata={"id": spam.id, "gui_spam_filter_enabled": False}, auth=ctx.admin
    )
    assert ctx.get_user(id=spam.id).gui_spam_filter_enabled is False
    ox.user.change(ctx=ctx.ref, usrdata={"id": spam.id, "company": "X"}, auth=ctx.admin)
    assert ctx.get_user(id=spam.id).gui_spam_filter_enabled is False  # unset: unchanged
    (listed,) = ox.user.getMultipleData(ctx=ctx.ref, users=[{"id": plain.id}], auth=ctx.admin)
    assert listed.gui_spam_filter_enabled is False
