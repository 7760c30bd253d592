"""Read back every field the connector writes (``readback.py`` lists them per SOAP write
operation): per kind, create a directory object with every field set, read each field
back from OX and compare it with the value derived from the directory object (in OX's
unit), change every field, compare again (users: and empty every property UDM lets go
of, compare once more). Hypothesis draws the values (strategies.py).

The expectations are written here from the upstream mapping and OX's contract, never
from the connector's code; each test checks that it compares exactly the fields
``readback.py`` marks as read back, and the guard (embedded backend) that the connector
sends no field the tables leave out.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from udm_simulator import UDMObject

from .backends import EMBEDDED, selected_backend
from .readback import (
    CLASSES,
    DEPRECATED_RIGHTS,
    ELSEWHERE,
    READ,
    UNREADABLE,
    WRITTEN,
    fields,
    reset_stats,
    unlisted,
    written,
)
from .strategies import (
    DATE_FIELDS,
    LANGUAGES,
    LIST_FIELDS,
    MAPPED_PROPERTIES,
    OX_RIGHTS,
    PHONE_PROPERTIES,
    TEXT_FIELDS,
    TIMEZONES,
    jpeg,
    mail_local_parts,
    texts,
    user_attributes,
)
from .test_users import (
    UNSETTABLE,
    iso_date,
    mail_home_server,
    normal,
    photo_bytes,
    server_of,
    setting,
)

# Each example syncs twice and reads ~100 fields: a few per run (CI 3, thorough 50).
FEW = max(3, settings.default.max_examples // 4)
# The rights drawn for profiles; upstream ignores publicfoldereditable (a context-admin
# right), so a profile never grants it here and OX must read it back false.
DRAWN_RIGHTS = tuple(r for r in OX_RIGHTS if r != "publicfoldereditable")
USER_CREATE = "OXUserService.createByModuleAccess"
# per-user quota: test_users.py::test_quota_reaches_a_user_with_its_own_filestore (readback.py)
USER_PROPERTIES = tuple(p for p in MAPPED_PROPERTIES if p != "oxUserQuota")
GUESSABLE_PASSWORDS = ("", "dummy")  # empty, and upstream's password on every change


# ============================================================================================
# The tables themselves
# ============================================================================================


def test_every_written_field_has_a_class_and_a_reason():
    for operation, entries in WRITTEN.items():
        for name, (cls, note) in entries.items():
            assert cls in CLASSES, (operation, name)
            assert note.strip(), f"{operation} {name}: no note"
            if cls == ELSEWHERE:
                assert "test" in note, f"{operation} {name}: names no test"


def test_the_tables_name_every_user_field_of_the_suites_mapping():
    """The read-back list of users covers the upstream mapping (strategies.py), so a
    mapped field can never be left out of the comparison."""
    mapped = {*TEXT_FIELDS.values(), *LIST_FIELDS.values(), *DATE_FIELDS.values()}
    for operation in (USER_CREATE, "OXUserService.change"):
        assert mapped <= fields(operation, READ, "usrdata")
    assert fields(USER_CREATE, READ, "access") == {*OX_RIGHTS.values(), *DEPRECATED_RIGHTS}
    assert fields(USER_CREATE, UNREADABLE) == {"usrdata.password"}
    assert fields("OXContextService.create", UNREADABLE) == {"admin_user.password"}


# ============================================================================================
# Comparing
# ============================================================================================


def assert_read_back(
    what: str, actual: Mapping[str, Any], expected: Mapping[str, Any], listed: Iterable[str]
) -> None:
    """``actual`` (OX) equals ``expected`` field by field, and ``expected`` covers exactly
    the ``listed`` fields (readback.py's read-back class)."""
    assert set(expected) == set(listed), (
        f"{what}: compared {sorted(set(expected) - set(listed))} not listed, "
        f"listed {sorted(set(listed) - set(expected))} not compared"
    )
    diffs = [
        f"{field}: OX has {actual.get(field)!r}, expected {want!r}"
        for field, want in sorted(expected.items())
        if normal(actual.get(field)) != normal(want)
    ]
    assert not diffs, f"{what} differs:\n  " + "\n  ".join(diffs)


# ============================================================================================
# Users
# ============================================================================================


def all_user_fields() -> st.SearchStrategy[dict[str, Any]]:
    """Every mapped users/user property set (but the quota), plus alternative addresses
    (local parts) and the rights of an access profile."""
    return st.fixed_dictionaries(
        {
            "props": user_attributes(USER_PROPERTIES, required=USER_PROPERTIES),
            "alternatives": st.lists(mail_local_parts(), min_size=1, max_size=3, unique=True),
            "rights": st.frozensets(st.sampled_from(DRAWN_RIGHTS)),
        }
    )


def udm_user_changes(backend, drawn: dict[str, Any], rights: frozenset[str]) -> dict[str, Any]:
    """The UDM properties of a drawn user: fresh addresses, a mail home server, a
    profile of ``rights``."""
    profile = backend.access_profile(rights=rights)["name"]
    prefix = backend.unique("m")
    return {
        **drawn["props"],
        "mailPrimaryAddress": backend.mail(f"{prefix}.primary"),
        "mailAlternativeAddress": [
            backend.mail(f"{prefix}.{a}"[:64]) for a in drawn["alternatives"]
        ],
        "mailHomeServer": mail_home_server(backend),
        "oxAccess": profile,
    }


def _nth(value: Any, index: int) -> str | None:
    values = value if isinstance(value, list) else [] if value is None else [value]
    return values[index] if len(values) > index else None


def mail_settings(backend, props: Mapping[str, Any]) -> dict[str, Any]:
    """imap/smtp server (mailHomeServer), port and scheme (OX_IMAP_SERVER /
    OX_SMTP_SERVER where the test can know them: the embedded backend)."""
    out: dict[str, Any] = {}
    for kind in ("imap", "smtp"):
        url = setting(backend, f"OX_{kind.upper()}_SERVER")
        out[f"{kind}Server"] = props["mailHomeServer"]
        if url:
            _, out[f"{kind}Port"], out[f"{kind}Schema"] = server_of(url)
    return out


def expected_user(
    backend,
    props: Mapping[str, Any],
    created: Mapping[str, Any],
    rights: frozenset[str] | None,
    dates_from: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The OX user (getData fields) of the UDM user ``props``; ``created``: its properties
    at creation (language and time zone are set then only); ``dates_from``: the properties
    whose dates OX keeps (an emptied date stays in OX), default ``props``."""
    out: dict[str, Any] = {ox: props.get(udm) for udm, ox in TEXT_FIELDS.items()}
    out.update({ox: _nth(props.get(udm), i) for (udm, i), ox in LIST_FIELDS.items()})
    dates = props if dates_from is None else dates_from
    out.update({ox: iso_date(dates.get(udm)) for udm, ox in DATE_FIELDS.items()})
    primary = props["mailPrimaryAddress"]
    photo = photo_bytes(props.get("jpegPhoto"))
    out.update(
        name=props["username"],
        primaryEmail=primary,
        email1=primary,
        imapLogin=primary,
        aliases={primary, *(props.get("mailAlternativeAddress") or [])},
        # set at creation; each change here replaces the primary, which the sender follows
        defaultSenderAddress=primary,
        language=created["oxLanguage"],
        timezone=created["oxTimeZone"],
        image1=photo,
        image1ContentType="image/jpeg" if photo else None,
        mailenabled=rights is not None,
        **mail_settings(backend, props),
    )
    if (setting(backend, "OX_ENABLE_GUI_SPAM_FILTER") or "true").lower() in ("true", "yes", "1"):
        out["gui_spam_filter_enabled"] = True
    return out


def expected_access(rights: frozenset[str] | None) -> dict[str, bool]:
    granted = {OX_RIGHTS[r] for r in rights or ()}
    return {
        **{ox: ox in granted for ox in OX_RIGHTS.values()},
        **dict.fromkeys(DEPRECATED_RIGHTS, False),
    }


def check_user(
    backend,
    obj: UDMObject,
    created: Mapping[str, Any],
    rights: frozenset[str] | None,
    what: str,
    dates_from: Mapping[str, Any] | None = None,
) -> dict:
    props = backend.get(obj.dn).properties
    cid = backend.default_context
    ox = backend.ox.user(cid, props["username"])
    assert ox is not None, f"{what}: {props['username']} is not in OX"
    wanted = expected_user(backend, props, created, rights, dates_from)
    listed = fields(USER_CREATE, READ, "usrdata")
    # fields the test cannot know on this backend (the ucs backend's mail settings) are
    # compared where known only
    unknown = {f for f in listed - set(wanted) if f.endswith(("Port", "Schema"))}
    if "gui_spam_filter_enabled" not in wanted:
        unknown.add("gui_spam_filter_enabled")
    assert_read_back(f"{what} user", ox, wanted, listed - unknown)
    access = backend.ox.module_access(cid, props["username"])
    assert_read_back(
        f"{what} module access",
        access,
        expected_access(rights),
        fields(USER_CREATE, READ, "access"),
    )
    # the password: OX keeps a hash of one, and no guessable one lets the user in
    assert ox.get("passwordMech"), f"{what}: no password stored"
    for guess in (*GUESSABLE_PASSWORDS, props["username"]):
        assert not backend.ox.logs_in(cid, props["username"], guess), f"{what}: {guess!r}"
    return ox


@settings(max_examples=FEW)
@given(first=all_user_fields(), second=all_user_fields())
def test_every_user_field_is_read_back_after_create_change_and_clearing(backend, first, second):
    rights = first["rights"]
    created = udm_user_changes(backend, first, rights)
    user = backend.user(**created)
    backend.sync()
    ox_id = check_user(backend, user, created, rights, "created")["id"]

    # every right flips: the change's profile grants exactly those the first did not
    changed = udm_user_changes(backend, second, frozenset(DRAWN_RIGHTS) - rights)
    user = backend.modify(user.dn, {**changed, "username": backend.unique("renamed")})
    backend.sync()
    ox = check_user(backend, user, created, frozenset(DRAWN_RIGHTS) - rights, "changed")
    assert ox["id"] == ox_id  # changed in place

    # every property UDM lets go of emptied (a date stays in OX: it cannot be emptied),
    # and the profile "none": no rights, mail off
    cleared = {**dict.fromkeys((*UNSETTABLE, "mailAlternativeAddress")), "oxAccess": "none"}
    user = backend.modify(user.dn, cleared)
    backend.sync()
    check_user(backend, user, created, None, "cleared", dates_from=changed)


# ============================================================================================
# Contexts (incl. login mappings, quota and the context admin)
# ============================================================================================

quotas = st.one_of(st.none(), st.integers(1, 10**9))


def expected_context(cid: int, name: str, quota: int | None) -> dict[str, Any]:
    return {"id": cid, "name": name, "maxQuota": quota}  # unlimited reads back nil


def check_context(backend, cid: int, name: str, quota: int | None, what: str) -> None:
    context = backend.ox.context(cid)
    assert context is not None, f"{what}: no context {cid}"
    listed = {f"ctx.{f}" for f in fields("OXContextService.create", READ, "ctx")}
    actual: dict[str, Any] = {
        **context,
        "maxQuota": None if context["maxQuota"] in (None, -1) else context["maxQuota"],
    }
    expected = {f"ctx.{k}": v for k, v in expected_context(cid, name, quota).items()}
    # OX adds the id and the name to the mappings the connector sends
    expected["ctx.loginMappings"] = sorted({f"context{cid}", str(cid), name})
    actual = {f"ctx.{k}": v for k, v in actual.items()}
    assert_read_back(f"{what} context", actual, expected, listed | {"ctx.id"})

    admin = backend.ox.context_admin(cid)  # with the password the connector keeps
    login = "oxadmin" if cid == backend.default_context else f"oxadmin-context{cid}"
    domain = setting(backend, "DOMAINNAME") or backend.mail_domain
    wanted = {
        "name": login,
        "display_name": "OX Admin",
        "given_name": "OX",
        "sur_name": "Admin",
        "primaryEmail": f"{login}@{domain}",
        "email1": f"{login}@{domain}",
        "timezone": setting(backend, "LOCAL_TIMEZONE") or "Europe/Berlin",
    }
    assert_read_back(
        f"{what} context admin",
        admin,
        wanted,
        fields("OXContextService.create", READ, "admin_user"),
    )
    assert admin["contextadmin"] is True
    password = backend.ox.credentials(cid)["password"]
    assert not backend.ox.logs_in(cid, login, password + "x")


@settings(max_examples=FEW)
@given(first=quotas, second=quotas)
def test_every_context_field_is_read_back_after_create_and_change(backend, first, second):
    cid = backend.new_context_id()
    name = backend.unique("school")
    ctx = backend.context(cid, name=name, oxQuota=first)
    backend.sync()
    check_context(backend, cid, name, first, "created")
    # UDM refuses to rename a context: the quota is what changes
    backend.modify(ctx.dn, {"oxQuota": second})
    backend.sync()
    check_context(backend, cid, name, second, "changed")
    backend.remove(ctx.dn)
    backend.sync()


# ============================================================================================
# Groups
# ============================================================================================

member_sets = st.sets(st.integers(0, 2), min_size=1)


@settings(max_examples=FEW)
@given(first=member_sets, second=member_sets)
@example(first={0}, second={0, 1, 2})
@example(first={0, 1, 2}, second={1, 2})
@example(first={0, 1}, second={0, 1})
def test_every_group_field_is_read_back_after_create_and_change(backend, first, second):
    cid = backend.default_context
    users = [backend.user() for _ in range(3)]
    group = backend.group(members=[users[i] for i in sorted(first)])
    backend.sync()

    def check(obj: UDMObject, members: set[int], what: str) -> int:
        name = obj["name"]
        found = backend.ox.groups(cid).get(name)
        assert found is not None, f"{what}: no group {name}"
        usernames = sorted(users[i]["username"] for i in members)
        actual = {"name": name, "displayname": found["displayname"], "members": found["members"]}
        expected = {"name": name, "displayname": name, "members": usernames}
        assert_read_back(
            f"{what} group", actual, expected, fields("OXGroupService.create", READ, "grp")
        )
        return found["id"]

    ox_id = check(group, first, "created")
    # members and name one after the other: each change alone must reach OX
    group = backend.modify(group.dn, {"users": [users[i].dn for i in sorted(second)]})
    backend.sync()
    assert check(group, second, "members changed") == ox_id
    group = backend.modify(group.dn, {"name": backend.unique("renamed")})
    backend.sync()
    assert check(group, second, "renamed") == ox_id


# ============================================================================================
# Resources
# ============================================================================================


@settings(max_examples=FEW)
@given(first=st.tuples(texts(), texts()), second=st.tuples(texts(), texts()))
def test_every_resource_field_is_read_back_after_create_and_change(backend, first, second):
    cid = backend.default_context
    admin = backend.user()
    room = backend.resource(admin, displayname=first[0], description=first[1])
    backend.sync()

    def check(obj: UDMObject, what: str) -> int:
        props = backend.get(obj.dn).properties
        found = backend.ox.resources(cid).get(props["name"])
        assert found is not None, f"{what}: no resource {props['name']}"
        expected = {
            "name": props["name"],
            "displayname": props["displayname"],
            "description": props["description"],
            "email": props["resourceMailAddress"],
            "available": True,
        }
        assert_read_back(
            f"{what} resource", found, expected, fields("OXResourceService.create", READ, "res")
        )
        return found["id"]

    ox_id = check(room, "created")
    room = backend.modify(
        room.dn,
        {
            "displayname": second[0],
            "description": second[1],
            "resourceMailAddress": backend.mail(backend.unique("room")),
        },
    )
    backend.sync()
    assert check(room, "changed") == ox_id


# ============================================================================================
# Functional accounts
# ============================================================================================


def check_accounts(backend, fa: UDMObject, members: list[UDMObject], what: str) -> None:
    cid = backend.default_context
    props = backend.get(fa.dn).properties
    address = props["mailPrimaryAddress"]
    accounts = {a["user"]: a for a in backend.ox.accounts(cid) if a["primaryAddress"] == address}
    names = [backend.get(m.dn).properties["username"] for m in members]
    assert sorted(accounts) == sorted(names), f"{what}: accounts of {sorted(accounts)}"
    listed = fields("OXSecondaryAccountService.create", READ, "accountDataOnCreate")
    for name in names:
        user = backend.ox.user(cid, name)
        account = accounts[name]
        # mailEndpointSource / transportEndpointSource "primary": OX copies the user's
        # IMAP and SMTP server into the account; that is what reads back of them
        actual = {
            **account,
            "mailEndpointSource": (account["mailServer"], account["mailPort"]),
            "transportEndpointSource": (account["transportServer"], account["transportPort"]),
        }
        expected = {
            "name": props["name"],
            "primaryAddress": address,
            "personal": props.get("personal"),
            # OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE's default {{fa_entry_uuid}}{{username}}
            "login": f"{fa.id}{name}",
            "mailEndpointSource": (user["imapServer"], user["imapPort"]),
            "transportEndpointSource": (user["smtpServer"], user["smtpPort"]),
        }
        assert_read_back(f"{what} account of {name}", actual, expected, listed)


@settings(max_examples=FEW)
@given(first=texts(), second=texts())
def test_every_functional_account_field_is_read_back_after_create_and_change(
    backend, first, second
):
    anna, bert = backend.user(), backend.user()
    fa = backend.functional_account(users=[anna, bert], personal=first)
    backend.sync()
    check_accounts(backend, fa, [anna, bert], "created")
    # name and address may not change in UDM: personal and the members' logins do
    fa = backend.modify(fa.dn, {"personal": second})
    anna = backend.modify(anna.dn, {"username": backend.unique("renamed")})
    backend.sync()
    check_accounts(backend, fa, [anna, bert], "changed")


# ============================================================================================
# The guard: nothing written that the tables leave out (embedded: the emulator's record)
# ============================================================================================


@pytest.mark.skipif(
    selected_backend() != EMBEDDED,
    reason="the record of written fields is the emulator's (embedded backend)",
)
def test_the_connector_writes_no_field_the_tables_leave_out(backend):
    reset_stats(backend.world.url)
    context = backend.context(oxQuota=100)
    second = context["contextid"]
    profile = backend.access_profile(rights=["webmail", "contacts"])["name"]
    anna = backend.user(**fixed_user(1), oxAccess=profile, mailHomeServer=mail_home_server(backend))
    bert = backend.user()
    group = backend.group(members=[anna])
    room = backend.resource(bert, description="room")
    fa = backend.functional_account(users=[anna, bert], personal="p")
    backend.sync()
    backend.modify(
        anna.dn,
        {
            **fixed_user(2),
            "oxAccess": "premium",
            "mailPrimaryAddress": backend.mail(backend.unique("m")),
        },
    )
    group = backend.modify(group.dn, {"users": [anna.dn, bert.dn], "name": backend.unique("g")})
    backend.modify(room.dn, {"displayname": "Other", "description": None})
    backend.modify(context.dn, {"oxQuota": 200})
    backend.modify(fa.dn, {"personal": "q"})
    bert = backend.modify(bert.dn, {"username": backend.unique("renamed")})
    backend.sync()
    backend.modify(anna.dn, {"oxContext": second})
    backend.sync()
    for dn in (fa.dn, room.dn, group.dn, anna.dn, bert.dn, context.dn):
        backend.remove(dn)
    backend.sync()

    sent = written(backend.world.url)
    assert unlisted(sent) == {}, "fields the connector sends that readback.py does not list"
    assert set(WRITTEN) <= set(sent), f"not exercised: {sorted(set(WRITTEN) - set(sent))}"
    # and the tables list nothing a create does not send (a change sends what differs)
    stale = {
        op: sorted(set(WRITTEN[op]) - set(sent[op]))
        for op in WRITTEN
        if op.rpartition(".")[2].startswith("create") and set(WRITTEN[op]) - set(sent[op])
    }
    assert stale == {}, "listed fields no create sends"


def fixed_user(n: int) -> dict[str, Any]:
    """Every mapped users/user property (but the quota), set to a value of its kind that
    differs for each ``n`` (the guard needs no drawn data, only every field sent)."""
    out: dict[str, Any] = {}
    for prop in USER_PROPERTIES:
        if prop in PHONE_PROPERTIES:
            value: Any = f"+49 421 {n}{n}"
        elif prop in ("oxEmail2", "oxEmail3"):
            value = f"{prop.lower()}.{n}@example.com"
        elif prop == "oxUrl":
            value = f"https://example.org/{n}"
        elif prop == "birthday":
            value = f"1990-01-0{n}"
        elif prop == "oxAnniversary":
            value = f"0{n}.02.2000"
        elif prop == "jpegPhoto":
            value = base64.b64encode(jpeg([[n * 10]])).decode("ascii")
        elif prop == "oxLanguage":
            value = LANGUAGES[n]
        elif prop == "oxTimeZone":
            value = TIMEZONES[n]
        else:
            value = f"{prop} {n}"
        out[prop] = [value, f"{value}0"] if any(prop == p for p, _ in LIST_FIELDS) else value
    return out
