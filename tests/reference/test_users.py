"""Users end to end: for every kind of change of a ``users/user`` object, what OX holds
afterwards. Written once for both backends (only ``backend`` and ``backend.ox``).

The expected OX user is computed here from the UDM object as UDM has it after the change
(``backend.get``), by a table written from the Univention connector 2.1's user mapping
(its fields, users and access rights) and the project's documented
behaviour (README "Running the connector": dates cannot be emptied, language, time zone and
default sender at creation only, a per-user quota needs a user filestore), never from the
connector's own mapping code, so that a mapping bug cannot hide itself.

Covered (what the Univention connector's user tests check, and the user cases they leave
out): ignored and disabled users, users in the default and in other contexts, modify, the
set / unset / set again of every mapped attribute one at a time and all at once (text
fields, the phone lists by index, birthday and anniversary in both UDM date formats,
jpegPhoto, employeeType), a full-blown user, rename (OX id kept, groups follow), enable /
disable / re-enable, removal, context moves (once, twice, back, together with a rename; data
kept, groups follow), the context admin never touched, aliases (primary + alternatives, the
primary also listed as an alternative, alternatives removed, default sender following the
primary), the mail server default vs ``mailHomeServer``, ``oxUserQuota`` (at creation, for a
user given a filestore of its own, emptied), language and time zone at creation only,
``oxDisplayName`` (custom, following the name, not unique),
``oxAccess`` (every default profile, a custom profile, ``none``: no rights and no mail),
Faker people and non-ASCII names.

Not covered: an OX user that already exists before its UDM object (the Univention
connector's "adopt" path, which its tests check for a user in another context): the backend
API cannot put a user into OX behind the connector's back (the inspector only reads, bar a
user's own filestore, and every user the directory creates is owned by the connector).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from hypothesis import example, given, settings
from hypothesis import strategies as st

from udm_simulator import DEFAULT_ACCESS_PROFILES, USERS, UDMObject

from .strategies import (
    DATE_FIELDS,
    EDGE_DATES,
    EDGE_MAILS,
    EDGE_PHONES,
    EMPTY,
    LIST_FIELDS,
    MAX_TEXT,
    NON_ASCII_NAMES,
    NON_ASCII_TEXT,
    OX_RIGHTS,
    SMALLEST_JPEG,
    TEXT_FIELDS,
    attribute_values,
    jpeg,
    jpeg_images,
    jpeg_photos,
    languages,
    mail_local_parts,
    names,
    people,
    phone_numbers,
    quotas,
    texts,
    timezones,
    unique_person,
)
from .tamper import OXTamper

# ============================================================================================
# The expected mapping, written from the Univention connector 2.1's user mapping
# (OX SOAP field <- UDM property)
# ============================================================================================

# the suite's table (strategies.py) turned around: OX field <- UDM property
OX_TEXT: Mapping[str, str] = {ox: udm for udm, ox in TEXT_FIELDS.items()}
OX_LIST: Mapping[str, tuple[str, int]] = {ox: key for key, ox in LIST_FIELDS.items()}
# (the core ``birthday``, not ``oxBirthday``)
OX_DATES: Mapping[str, str] = {ox: udm for udm, ox in DATE_FIELDS.items()}
LIST_PROPERTIES = tuple(dict.fromkeys(p for p, _ in OX_LIST.values()))
# UDM (the app's oxAccess hook) requires these of an OX user: they can be changed, not emptied
REQUIRED = frozenset({"firstname", "lastname", "oxDisplayName"})
# every property whose value reaches OX on every change
MAPPED = (*OX_TEXT.values(), *LIST_PROPERTIES, *OX_DATES.values(), "jpegPhoto")
UNSETTABLE = tuple(p for p in MAPPED if p not in REQUIRED)

# The rights drawn for custom profiles; upstream ignores "publicfoldereditable" (a
# context-admin right).
PROFILE_RIGHTS = tuple(r for r in OX_RIGHTS if r != "publicfoldereditable")
# The app's seven default profiles (the join script's table, as in the Univention connector).
DEFAULT_PROFILES: Mapping[str, frozenset[str]] = {
    name: frozenset(rights) for name, _, rights in DEFAULT_ACCESS_PROFILES
}

# Fewer examples than the profile's for the tests that sync several times per example
# (the profile's max_examples is the upper bound: CI 10, thorough 200): FEW for the one
# that syncs 81 users four times (1 / 10), SOME for the others (5 / 100). Evaluated at
# import, inside the suite's profile (see conftest.py).
FEW = max(1, settings.default.max_examples // 20)
SOME = max(3, settings.default.max_examples // 2)


# ============================================================================================
# Pure helpers: the expected OX user of a UDM user, and comparing OX with it
# ============================================================================================


def _text(value: Any) -> str | None:
    """A single UDM value as text; None when unset."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value in (None, ""):
        return None
    return str(value)


def _nth(value: Any, index: int) -> str | None:
    if not isinstance(value, (list, tuple)):
        value = [] if value in (None, "") else [value]
    return str(value[index]) if len(value) > index and value[index] not in (None, "") else None


def iso_date(value: Any) -> str | None:
    """A UDM date (``YYYY-MM-DD`` or ``DD.MM.YYYY``) or an OX date as ``YYYY-MM-DD``."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if "." in text:
        day, month, year = (int(p) for p in text.split("."))
        return dt.date(year, month, day).isoformat()
    return dt.date.fromisoformat(text[:10]).isoformat()


def photo_bytes(value: Any) -> bytes | None:
    text = _text(value)
    return base64.b64decode("".join(text.split())) if text else None


def aliases_of(props: Mapping[str, Any]) -> frozenset[str]:
    """The OX aliases: the primary address plus every alternative (a set in OX)."""
    primary = props["mailPrimaryAddress"]
    return frozenset([primary, *(a for a in props.get("mailAlternativeAddress") or [] if a)])


def expected_dates(
    props: Mapping[str, Any], before: Mapping[str, str | None]
) -> dict[str, str | None]:
    """OX's dates after a change: the UDM date, or what OX had when UDM's is empty (OX
    cannot empty a date through SOAP: a documented limit)."""
    return {ox: iso_date(props.get(udm)) or before.get(ox) for ox, udm in OX_DATES.items()}


def expected_user(
    props: Mapping[str, Any], dates: Mapping[str, str | None] | None = None
) -> dict[str, Any]:
    """What OX should hold for the UDM user ``props`` (as UDM has it): every mapped field.
    ``dates`` are the expected OX dates (``expected_dates``); None: as in UDM."""
    out: dict[str, Any] = {"name": props["username"]}
    for ox, udm in OX_TEXT.items():
        out[ox] = _text(props.get(udm))
    for ox, (udm, index) in OX_LIST.items():
        out[ox] = _nth(props.get(udm), index)
    out.update(dates if dates is not None else expected_dates(props, {}))
    primary = props["mailPrimaryAddress"]
    out.update(primaryEmail=primary, email1=primary, imapLogin=primary, aliases=aliases_of(props))
    photo = photo_bytes(props.get("jpegPhoto"))
    out.update(image1=photo, image1ContentType="image/jpeg" if photo else None)
    out["mailenabled"] = _text(props.get("oxAccess")) not in (None, "none")
    out["contextadmin"] = False
    return out


def normal(value: Any) -> Any:
    """OX reads back '' as nil, dates as date objects, aliases as an unordered set."""
    if value in (None, "", b""):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return iso_date(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(value) or None
    return value


def differences(actual: Mapping[str, Any] | None, expected: Mapping[str, Any]) -> list[str]:
    if actual is None:
        return ["the user is not in OX"]
    return [
        f"{field}: OX has {actual.get(field)!r}, expected {want!r}"
        for field, want in expected.items()
        if normal(actual.get(field)) != normal(want)
    ]


def assert_fields(
    actual: Mapping[str, Any] | None, expected: Mapping[str, Any], what: str = ""
) -> None:
    diffs = differences(actual, expected)
    assert not diffs, f"{what} OX user differs field by field:\n  " + "\n  ".join(diffs)


def ox_rights(udm_rights: Iterable[str]) -> list[str]:
    return sorted(OX_RIGHTS[r] for r in udm_rights)


def context_of(props: Mapping[str, Any], default: int) -> int:
    value = _text(props.get("oxContext"))
    return int(value) if value else default


def server_of(url: str) -> tuple[str, int, str]:
    """(host, port, schema) of an ``OX_IMAP_SERVER`` / ``OX_SMTP_SERVER`` URL."""
    parts = urlsplit(url)
    default = {"imap": 143, "imaps": 993, "smtp": 25, "smtps": 465}.get(parts.scheme, 0)
    return parts.hostname or "", parts.port or default, f"{parts.scheme}://"


# ============================================================================================
# Helpers on the backend (its public API and the inspector only)
# ============================================================================================


def now(backend, obj: UDMObject) -> dict[str, Any]:
    """The object's properties as UDM has them now (defaults and hooks applied)."""
    return backend.get(obj.dn).properties


def check_user(
    backend, obj: UDMObject, dates: Mapping[str, str | None] | None = None, what: str = ""
) -> dict[str, Any]:
    """Assert OX holds ``obj`` as the mapping says (in the context UDM names); returns
    the OX user."""
    props = now(backend, obj)
    ox = backend.ox.user(context_of(props, backend.default_context), props["username"])
    assert_fields(ox, expected_user(props, dates), what)
    return ox


def setting(backend, name: str) -> str | None:
    """A connector setting, where the test can know it: the embedded backend's own
    environment; on ucs the same variable in the test's environment, if set."""
    env = backend.env() if hasattr(backend, "env") else os.environ
    return env.get(name) or None


def unique_mail(backend, local: str) -> str:
    """An address at the backend's mail domain that no earlier example used (UDM keeps
    primary and alternative addresses unique across users)."""
    prefix = backend.unique("m")
    return backend.mail(f"{prefix}.{local}"[:64].rstrip(".-_+"))


def mail_home_server(backend) -> str:
    """A mailHomeServer value UDM accepts: any FQDN on embedded; on ucs the UCS host
    itself (UDM wants a host it knows with a mail service)."""
    config = getattr(backend, "config", None)
    if config is not None and getattr(config, "host", None):
        return config.host
    return f"{backend.unique('imap')}.{backend.mail_domain}"


# ============================================================================================
# Strategies for one property (the suite's, plus edge values and longer lists)
# ============================================================================================


def values_of(prop: str) -> st.SearchStrategy[Any]:
    """A value to set ``prop`` to: the suite's strategy, edge values mixed in, and for the
    multi-value properties lists of up to three values (OX takes the first or second)."""
    if prop in LIST_PROPERTIES:
        if prop == "roomNumber":
            return st.lists(texts(), min_size=1, max_size=3, unique_by=str.casefold)
        return phone_lists(min_size=1)
    if prop == "birthday":
        return st.one_of(
            st.sampled_from(("1900-01-01", "2000-02-29", "2099-12-31")), attribute_values(prop)
        )
    if prop == "oxAnniversary":
        return st.one_of(st.sampled_from(EDGE_DATES), attribute_values(prop))
    if prop in ("oxEmail2", "oxEmail3"):
        return st.one_of(st.sampled_from(EDGE_MAILS), attribute_values(prop))
    if prop == "jpegPhoto":
        return st.one_of(st.just(base64.b64encode(SMALLEST_JPEG).decode()), jpeg_photos())
    if prop in ("firstname", "lastname", "oxDisplayName"):
        return st.one_of(st.sampled_from((MAX_TEXT, NON_ASCII_TEXT, *NON_ASCII_NAMES)), names())
    if prop == "oxUrl":
        return attribute_values(prop)
    if prop.startswith(("oxTelephone", "oxFax")) or prop == "oxMobileBusiness":
        return st.one_of(st.sampled_from(EDGE_PHONES), attribute_values(prop))
    return st.one_of(st.sampled_from((MAX_TEXT, NON_ASCII_TEXT)), attribute_values(prop))


def _phone_key(number: str) -> str:
    # LDAP's telephoneNumberMatch ignores spaces and hyphens: such values are duplicates
    return "".join(c for c in number if c not in " -")


def phone_lists(min_size: int = 0, max_size: int = 3) -> st.SearchStrategy[list[str]]:
    """Values of a multi-value phone property (distinct as LDAP compares them)."""
    return st.lists(
        st.one_of(st.sampled_from(EDGE_PHONES), phone_numbers()),
        min_size=min_size,
        max_size=max_size,
        unique_by=_phone_key,
    )


def all_values() -> st.SearchStrategy[dict[str, Any]]:
    """A value for every mapped property."""
    return st.fixed_dictionaries({p: values_of(p) for p in MAPPED})


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def edge_user(text: str, tag: str) -> dict[str, Any]:
    """Every mapped property set: the text fields to ``text``, the rest to valid edge
    values (``tag`` varies them between examples)."""
    out: dict[str, Any] = {p: text for p in OX_TEXT.values()}
    phone = EDGE_PHONES[0] if tag == "a" else EDGE_PHONES[3]
    for prop in (
        "oxMobileBusiness",
        "oxFaxBusiness",
        "oxFaxHome",
        "oxFaxOther",
        "oxTelephoneAssistant",
        "oxTelephoneCar",
        "oxTelephoneCompany",
        "oxTelephoneIp",
        "oxTelephoneOther",
        "oxTelephoneTelex",
        "oxTelephoneTtydd",
    ):
        out[prop] = phone
    out.update(
        oxEmail2=EDGE_MAILS[1],
        oxEmail3=EDGE_MAILS[2],
        oxUrl="https://example.org/a_b",
        phone=list(EDGE_PHONES[:3]),
        homeTelephoneNumber=list(EDGE_PHONES[1:]),
        mobileTelephoneNumber=[EDGE_PHONES[2], EDGE_PHONES[0]],
        pagerTelephoneNumber=[EDGE_PHONES[3]],
        roomNumber=[text, "R 2"],
        birthday="2000-02-29" if tag == "a" else "1900-01-01",
        oxAnniversary="29.02.2000" if tag == "a" else "1.1.1970",
        jpegPhoto=_b64(SMALLEST_JPEG if tag == "a" else jpeg([[0, 255], [255, 0]])),
    )
    return out


# ============================================================================================
# The mapping table itself
# ============================================================================================


def test_the_expected_table_matches_the_suites_upstream_table():
    """Turning strategies.py's table (from the Univention connector's user mapping) around
    lost nothing (no OX field fed by two properties), so every property the strategies
    generate is asserted here."""
    assert (len(OX_TEXT), len(OX_LIST), len(OX_DATES)) == (
        len(TEXT_FIELDS),
        len(LIST_FIELDS),
        len(DATE_FIELDS),
    )
    # 73 text fields, 7 fields from 5 multi-value properties, 2 dates, the photo
    assert (len(OX_TEXT), len(OX_LIST), len(LIST_PROPERTIES)) == (73, 7, 5)
    assert len(set(MAPPED)) == len(MAPPED) == 81


# ============================================================================================
# Creating, ignoring, modifying, removing (as the Univention connector's user tests do)
# ============================================================================================


def test_a_user_without_isOxUser_is_not_in_ox(backend):
    """Ignored, as the Univention connector's tests check: isOxUser "Not", or not set at all
    (UDM's default)."""
    cid = backend.context()["contextid"]
    backend.sync()
    plain = backend.user(context=cid, isOxUser="Not")
    unset = backend.create(
        USERS, {"username": backend.unique("plain"), "lastname": "Plain", "oxContext": cid}
    )
    backend.sync()
    assert backend.ox.user(cid, plain["username"]) is None
    assert backend.ox.user(cid, unset["username"]) is None
    assert backend.ox.users(cid) == {}


def test_a_user_lands_in_the_default_context_with_every_field(backend):
    """No oxContext given: UDM's default (the default context); the mapped fields, the
    login mail fields, the premium rights, mail enabled, UDM's language and time zone."""
    anna = backend.user(firstname="Anna")
    backend.sync()
    props = now(backend, anna)
    assert context_of(props, -1) == backend.default_context
    ox = check_user(backend, anna)
    assert (ox["language"], ox["timezone"]) == (props["oxLanguage"], props["oxTimeZone"])
    assert ox["defaultSenderAddress"] == props["mailPrimaryAddress"]
    cid = backend.default_context
    assert backend.ox.rights(cid, anna["username"]) == ox_rights(DEFAULT_PROFILES["premium"])


def test_a_user_in_another_context(backend):
    cid = backend.context()["contextid"]
    backend.sync()
    bert = backend.user(context=cid, firstname="Bert")
    backend.sync()
    check_user(backend, bert)
    assert set(backend.ox.users(cid)) == {bert["username"]}
    assert backend.ox.user(backend.default_context, bert["username"]) is None


def test_modify_lastname_primary_mail_and_commercial_register(backend):
    """A modified user keeps its OX id and gets the new last name, primary mail and
    commercial register (as the Univention connector's tests check)."""
    emil = backend.user(firstname="Emil", oxCommercialRegister="HRB 1")
    backend.sync()
    ox_id = check_user(backend, emil)["id"]
    emil = backend.modify(
        emil.dn,
        {
            "lastname": "Neumann",
            "oxCommercialRegister": "HRB 2",
            "mailPrimaryAddress": unique_mail(backend, "emil"),
        },
    )
    backend.sync()
    ox = check_user(backend, emil)
    assert ox["id"] == ox_id
    assert (ox["sur_name"], ox["commercial_register"]) == ("Neumann", "HRB 2")


def test_removal_deletes_the_user_and_updates_its_groups(backend):
    """Removing a user deletes it in OX and takes it out of its groups; a group left
    without members leaves OX (as the Univention connector's tests check)."""
    cid = backend.context()["contextid"]
    backend.sync()
    anna, bert = backend.user(context=cid), backend.user(context=cid)
    both = backend.group(members=[anna, bert])
    alone = backend.group(members=[anna])
    backend.sync()
    backend.remove(anna.dn)
    backend.sync()
    assert backend.ox.user(cid, anna["username"]) is None
    assert set(backend.ox.users(cid)) == {bert["username"]}
    groups = backend.ox.groups(cid)
    assert groups[both["name"]]["members"] == [bert["username"]]
    assert alone["name"] not in groups  # a group without members has no OX group


def test_changes_of_one_user_within_one_sync(backend):
    """Several changes of a user before the connector runs (one run sees them together,
    as after a listener backlog): created and removed -> nothing in OX; created and
    renamed -> only the new name; created and moved -> only in the new context; created
    disabled and enabled -> in OX."""
    b = backend.context()["contextid"]
    backend.sync()
    gone = backend.user(context=b)
    backend.remove(gone.dn)
    renamed = backend.user(context=b)
    first_name = renamed["username"]
    renamed = backend.modify(renamed.dn, {"username": backend.unique("renamed")})
    moved = backend.user()
    moved = backend.modify(moved.dn, {"oxContext": b})
    enabled = backend.user(context=b, isOxUser="Not")
    enabled = backend.modify(enabled.dn, {"isOxUser": "OK"})
    backend.sync()
    assert set(backend.ox.users(b)) == {renamed["username"], moved["username"], enabled["username"]}
    assert backend.ox.user(b, first_name) is None
    assert backend.ox.user(backend.default_context, moved["username"]) is None
    for user in (renamed, moved, enabled):
        check_user(backend, user)


# ============================================================================================
# Every mapped attribute: set, unset, set again
# ============================================================================================


@settings(max_examples=FEW)
@given(data=st.data())
def test_set_and_unset_every_attribute_one_at_a_time(backend, data):
    """Set and unset, as the Univention connector's tests do for its string attributes, for
    every mapped property: set a value, empty it, set another. One user per property, so
    that each change holds exactly one changed property (and one sync applies all users'
    changes); every field of each user is checked after each step, so a change of one field
    that disturbs another is seen too. The required names are only changed; emptied dates
    stay in OX (documented)."""
    cid = backend.context()["contextid"]
    backend.sync()
    users = {prop: backend.user(backend.unique(prop.lower()[:8]), cid) for prop in MAPPED}
    backend.sync()
    dates: dict[str, dict[str, str | None]] = {prop: {} for prop in MAPPED}
    for step in ("set", "unset", "set again"):
        changed = {}
        for prop in data.draw(st.permutations(MAPPED), label=f"order of {step}"):
            if step == "unset" and prop in REQUIRED:
                continue
            value = (
                None if step == "unset" else data.draw(values_of(prop), label=f"{prop} ({step})")
            )
            backend.modify(users[prop].dn, {prop: value})
            changed[prop] = value
        backend.sync()
        in_ox = backend.ox.users(cid)  # one getMultipleData for all
        for prop, value in changed.items():
            props = now(backend, users[prop])
            dates[prop] = expected_dates(props, dates[prop])
            assert_fields(
                in_ox.get(props["username"]),
                expected_user(props, dates[prop]),
                what=f"after {step} {prop}={value!r}:",
            )


@settings(max_examples=FEW)
@given(first=all_values(), second=all_values())
@example(first=edge_user(MAX_TEXT, "a"), second=edge_user(NON_ASCII_TEXT, "b"))
@example(first=edge_user(NON_ASCII_TEXT, "b"), second=edge_user(MAX_TEXT, "a"))
def test_set_unset_and_set_every_attribute_at_once(backend, first, second):
    """Every mapped property set in one change, all emptied in the next, all set again."""
    user = backend.user()
    backend.sync()
    dates: dict[str, str | None] = {}
    for step, change in (
        ("set", first),
        ("unset", {p: None for p in UNSETTABLE}),
        ("set again", second),
    ):
        backend.modify(user.dn, change)
        backend.sync()
        dates = expected_dates(now(backend, user), dates)
        check_user(backend, user, dates, what=f"after {step}:")


@settings(max_examples=SOME)
@given(attributes=all_values())
@example(attributes=edge_user(MAX_TEXT, "a"))
@example(attributes=edge_user(NON_ASCII_TEXT, "b"))
@example(attributes={p: EMPTY for p in UNSETTABLE})
def test_a_full_blown_user_is_created_with_every_field(backend, attributes):
    """A full-blown user, as in the Univention connector's tests: created with every mapped
    property (or every optional one empty), OX has each field."""
    user = backend.user(**attributes)
    backend.sync()
    check_user(backend, user)


@settings(max_examples=SOME)
@given(values=phone_lists())
@example(values=[])
@example(values=["+49 1", "+49 2", "+49 3"])
def test_phone_lists_map_by_index(backend, values):
    """phone / homeTelephoneNumber give the first and second value, mobile and pager
    the first; fewer values clear the fields beyond them."""
    user = backend.user(
        phone=["+1 0", "+2 0"],
        homeTelephoneNumber=["+3 0", "+4 0"],
        mobileTelephoneNumber=["+5 0"],
        pagerTelephoneNumber=["+6 0"],
        roomNumber=["A 1", "A 2"],
    )
    backend.sync()
    user = backend.modify(
        user.dn,
        {
            "phone": values,
            "homeTelephoneNumber": values[::-1],
            "mobileTelephoneNumber": values,
            "pagerTelephoneNumber": values[1:],
            "roomNumber": [v.replace("+", "R") for v in values],
        },
    )
    backend.sync()
    ox = check_user(backend, user)
    assert (ox["telephone_business1"] or None) == (values[0] if values else None)
    assert (ox["telephone_business2"] or None) == (values[1] if len(values) > 1 else None)
    assert (ox["telephone_pager"] or None) == (values[1] if len(values) > 1 else None)


# ============================================================================================
# Dates, photo, quota, language and time zone, display name
# ============================================================================================


@settings(max_examples=SOME)
@given(
    birthday=values_of("birthday"),
    anniversary=values_of("oxAnniversary"),
    later_birthday=values_of("birthday"),
    later_anniversary=values_of("oxAnniversary"),
)
@example(
    birthday="1900-01-01",
    anniversary="29.02.2000",
    later_birthday="2099-12-31",
    later_anniversary="1.1.1970",
)
@example(
    birthday="2000-02-29",
    anniversary="2099-12-31",
    later_birthday="1970-01-01",
    later_anniversary="31.12.1999",
)
def test_dates_in_both_udm_formats_and_emptied_dates_stay(
    backend, birthday, anniversary, later_birthday, later_anniversary
):
    """birthday (ISO only) and oxAnniversary (ISO or DD.MM.YYYY) arrive as ISO dates;
    emptied in UDM they stay in OX (OX cannot empty a date through SOAP: documented);
    set again they change."""
    user = backend.user(birthday=birthday, oxAnniversary=anniversary)
    backend.sync()
    ox = check_user(backend, user)
    assert (iso_date(ox["birthday"]), iso_date(ox["anniversary"])) == (
        iso_date(birthday),
        iso_date(anniversary),
    )

    backend.modify(user.dn, {"birthday": None, "oxAnniversary": ""})
    backend.sync()
    ox = check_user(
        backend, user, {"birthday": iso_date(birthday), "anniversary": iso_date(anniversary)}
    )

    backend.modify(user.dn, {"birthday": later_birthday, "oxAnniversary": later_anniversary})
    backend.sync()
    ox = check_user(backend, user)
    assert (iso_date(ox["birthday"]), iso_date(ox["anniversary"])) == (
        iso_date(later_birthday),
        iso_date(later_anniversary),
    )


@settings(max_examples=SOME)
@given(first=st.sampled_from([SMALLEST_JPEG]) | jpeg_images(), second=jpeg_images())
@example(first=SMALLEST_JPEG, second=jpeg([[0, 255], [255, 0]]))
def test_photo_set_replaced_and_cleared(backend, first, second):
    """jpegPhoto (base64 in UDM) becomes image1 with content type image/jpeg; a new photo
    replaces it; an emptied photo clears both fields."""
    user = backend.user(jpegPhoto=_b64(first))
    backend.sync()
    ox = check_user(backend, user)
    assert (ox["image1"], ox["image1ContentType"]) == (first, "image/jpeg")
    backend.modify(user.dn, {"jpegPhoto": _b64(second)})
    backend.sync()
    assert check_user(backend, user)["image1"] == second
    backend.modify(user.dn, {"jpegPhoto": None})
    backend.sync()
    ox = check_user(backend, user)
    assert not ox["image1"] and not ox["image1ContentType"]


def quota_mb(value: str | None) -> int:
    """What OX holds for an oxUserQuota (MB): empty, 0 and -1 are unlimited (-1)."""
    return int(value) if value and int(value) not in (0, -1) else -1


@settings(max_examples=SOME)
@given(first=quotas(), second=quotas())
@example(first="-1", second="1024")
@example(first="1024", second="-1")
@example(first="0", second="2048")
@example(first="2048", second="0")
def test_quota_never_blocks_the_user(backend, first, second):
    """oxUserQuota -> maxQuota (MB). OX keeps a per-user quota only for a user with a
    filestore of its own, and gives a user created with a quota one. For a user created
    unlimited OX refuses a later quota; the connector then leaves the quota alone
    (documented) and applies the rest of the change, never stopping at it."""
    user = backend.user(oxUserQuota=first, oxNote="before")
    backend.sync()
    ox = check_user(backend, user)
    assert ox["maxQuota"] == quota_mb(first)
    owner = (ox["filestoreId"] or 0) > 0
    assert owner == (quota_mb(first) != -1)
    backend.modify(user.dn, {"oxUserQuota": second, "oxNote": "after"})
    backend.sync()  # fails the test if the connector stops at the quota
    ox = check_user(backend, user)
    assert ox["note"] == "after"
    assert ox["maxQuota"] == (quota_mb(second) if owner else -1)


@settings(max_examples=SOME)
@given(
    first=st.integers(1, 10**6).map(str),
    second=st.integers(1, 10**6).map(str),
    emptied=st.sampled_from([None, "", "0", "-1"]),
)
@example(first="1024", second="2048", emptied=None)
@example(first="1", second="1000000", emptied="0")
def test_quota_reaches_a_user_with_its_own_filestore(backend, first, second, emptied):
    """A user created unlimited, then given a filestore of its own in OX (what an OX admin
    does: movecontextfilestore2user), takes the directory's quota in MB on every change,
    and is unlimited (-1) again when the quota is emptied, 0 or -1."""
    user = backend.user()
    backend.sync()
    cid = context_of(now(backend, user), backend.default_context)
    owner = OXTamper(backend.ox).give_own_filestore(cid, user["username"])
    assert owner["maxQuota"] == -1  # an owner, yet unlimited
    for value in (first, second, emptied):
        backend.modify(user.dn, {"oxUserQuota": value})
        backend.sync()
        ox = backend.ox.user(cid, user["username"])
        assert (ox["maxQuota"], ox["filestoreId"]) == (quota_mb(value), owner["filestoreId"])


@settings(max_examples=SOME)
@given(
    language=languages(),
    timezone=timezones(),
    later_language=languages(),
    later_timezone=timezones(),
)
@example(
    language="fr_FR",
    timezone="Australia/Sydney",
    later_language="de_DE",
    later_timezone="Europe/Berlin",
)
def test_language_and_timezone_are_set_at_creation_only(
    backend, language, timezone, later_language, later_timezone
):
    """oxLanguage / oxTimeZone are the user's preferences in OX after the creation:
    a later UDM change leaves OX's values alone (upstream 2.2.0)."""
    user = backend.user(oxLanguage=language, oxTimeZone=timezone)
    backend.sync()
    ox = check_user(backend, user)
    assert (ox["language"], ox["timezone"]) == (language, timezone)
    backend.modify(
        user.dn, {"oxLanguage": later_language, "oxTimeZone": later_timezone, "oxNote": "changed"}
    )
    backend.sync()
    ox = check_user(backend, user)
    assert (ox["language"], ox["timezone"], ox["note"]) == (language, timezone, "changed")


def test_language_and_timezone_fall_back_to_the_settings(backend):
    """A user whose UDM object has no oxLanguage / oxTimeZone gets the connector's
    OX_LANGUAGE / LOCAL_TIMEZONE (documented defaults de_DE, Europe/Berlin)."""
    user = backend.user(oxLanguage=None, oxTimeZone=None)
    backend.sync()
    props = now(backend, user)
    ox = check_user(backend, user)
    for field, prop, name, default in (
        ("language", "oxLanguage", "OX_LANGUAGE", "de_DE"),
        ("timezone", "oxTimeZone", "LOCAL_TIMEZONE", "Europe/Berlin"),
    ):
        expected = (
            _text(props.get(prop))
            or setting(backend, name)
            or (default if backend.name == "embedded" else None)
        )
        if expected is None:  # ucs without the app's setting in the environment
            assert ox[field], field
        else:
            assert ox[field] == expected, field


def test_display_name_custom_following_the_name_and_not_unique(backend):
    """oxDisplayName -> display_name: UDM's default "<first> <last>" (and following the
    name while it still is that), a custom one kept; two users may share one (OX set up
    with enforceUniqueDisplayName=false, upstream 2.2.0)."""
    anna = backend.user(firstname="Anna", lastname="Alt")
    twin = backend.user(firstname="Anna", lastname="Alt")
    backend.sync()
    assert check_user(backend, anna)["display_name"] == "Anna Alt"
    assert check_user(backend, twin)["display_name"] == "Anna Alt"

    anna = backend.modify(anna.dn, {"firstname": "Anja"})
    backend.sync()
    assert check_user(backend, anna)["display_name"] == now(backend, anna)["oxDisplayName"]

    anna = backend.modify(anna.dn, {"oxDisplayName": "Dr. Anja Alt (Vertrieb)"})
    backend.sync()
    assert check_user(backend, anna)["display_name"] == "Dr. Anja Alt (Vertrieb)"

    anna = backend.modify(anna.dn, {"lastname": "Neu", "oxDisplayName": NON_ASCII_TEXT})
    backend.sync()
    ox = check_user(backend, anna)
    assert (ox["display_name"], ox["sur_name"]) == (NON_ASCII_TEXT, "Neu")
    assert check_user(backend, twin)["display_name"] == "Anna Alt"


# ============================================================================================
# oxAccess: rights and mail
# ============================================================================================


def test_every_default_access_profile_at_creation_and_on_change(backend):
    """Each of the app's seven profiles gives exactly its rights; "none" gives no rights
    and mail disabled, every other profile mail enabled."""
    cid = backend.default_context
    created = {p: backend.user(oxAccess=p) for p in DEFAULT_PROFILES}
    backend.sync()
    for profile, rights in DEFAULT_PROFILES.items():
        user = created[profile]
        assert backend.ox.rights(cid, user["username"]) == ox_rights(rights), profile
        assert check_user(backend, user)["mailenabled"] is (profile != "none"), profile

    changing = backend.user(oxAccess="none")
    backend.sync()
    for profile in (*DEFAULT_PROFILES, "none", "premium"):
        backend.modify(changing.dn, {"oxAccess": profile})
        backend.sync()
        assert backend.ox.rights(cid, changing["username"]) == ox_rights(
            DEFAULT_PROFILES[profile]
        ), profile
        assert check_user(backend, changing)["mailenabled"] is (profile != "none"), profile


@settings(max_examples=SOME)
@given(
    rights=st.frozensets(st.sampled_from(sorted(PROFILE_RIGHTS))),
    later=st.frozensets(st.sampled_from(sorted(PROFILE_RIGHTS))),
)
@example(rights=frozenset(), later=frozenset(PROFILE_RIGHTS))
@example(rights=frozenset(PROFILE_RIGHTS), later=frozenset({"webmail"}))
def test_a_custom_access_profile_gives_exactly_its_rights(backend, rights, later):
    cid = backend.default_context
    profile = backend.access_profile(rights=rights)
    other = backend.access_profile(rights=later)
    user = backend.user(oxAccess=profile["name"])
    backend.sync()
    assert backend.ox.rights(cid, user["username"]) == ox_rights(rights)
    assert check_user(backend, user)["mailenabled"] is True  # not "none"
    backend.modify(user.dn, {"oxAccess": other["name"]})
    backend.sync()
    assert backend.ox.rights(cid, user["username"]) == ox_rights(later)


# ============================================================================================
# Rename, enable / disable
# ============================================================================================


def test_rename_keeps_the_ox_user_and_its_groups_follow(backend):
    """As the Univention connector's tests check: a username change renames the OX user
    (same id); the groups list it under the new name; a rename together with a field change
    applies both; the old name is free again in OX."""
    cid = backend.context()["contextid"]
    backend.sync()
    anna = backend.user(context=cid, firstname="Anna")
    bert = backend.user(context=cid)
    staff = backend.group(members=[anna, bert])
    backend.sync()
    ox_id = check_user(backend, anna)["id"]
    old_name = anna["username"]

    anna = backend.modify(anna.dn, {"username": backend.unique("anna")})
    backend.sync()
    ox = check_user(backend, anna)
    assert ox["id"] == ox_id
    assert backend.ox.user(cid, old_name) is None
    assert backend.ox.groups(cid)[staff["name"]]["members"] == sorted(
        [anna["username"], bert["username"]]
    )

    anna = backend.modify(
        anna.dn,
        {
            "username": backend.unique("anja"),
            "firstname": "Anja",
            "oxNote": NON_ASCII_TEXT,
            "mailPrimaryAddress": unique_mail(backend, "anja"),
        },
    )
    backend.sync()
    ox = check_user(backend, anna)
    assert (ox["id"], ox["given_name"], ox["note"]) == (ox_id, "Anja", NON_ASCII_TEXT)
    assert set(backend.ox.users(cid)) == {anna["username"], bert["username"]}
    assert backend.ox.groups(cid)[staff["name"]]["members"] == sorted(
        [anna["username"], bert["username"]]
    )


def test_two_users_swap_names(backend):
    """Two users swap their names (through a temporary name, as UDM needs) and the
    connector sees all three renames in one run (a listener backlog; on a UCS the three
    changes may as well arrive one by one): OX ends with both users under their new
    names, each keeping its OX id. The run must not end in a cycle of "the name still
    belongs to the other user"."""
    cid = backend.default_context
    anna, bert = backend.user(), backend.user()
    backend.sync()
    ids = {u["username"]: backend.ox.user(cid, u["username"])["id"] for u in (anna, bert)}
    a_name, b_name = anna["username"], bert["username"]
    anna, bert = backend.swap(anna, bert, "username", backend.unique("tmp"))
    backend.sync()
    assert backend.ox.user(cid, b_name)["id"] == ids[a_name]
    assert backend.ox.user(cid, a_name)["id"] == ids[b_name]
    check_user(backend, anna)
    check_user(backend, bert)


def test_two_users_swap_primary_addresses(backend):
    """Two users swap their primary mail addresses through a third one (UDM keeps
    addresses unique) and the connector sees the three changes in one run: each user ends
    with the other's address, both keep their OX ids, and no address is left parked."""
    cid = backend.default_context
    anna, bert = backend.user(), backend.user()
    backend.sync()
    ids = {u["username"]: backend.ox.user(cid, u["username"])["id"] for u in (anna, bert)}
    a_mail, b_mail = anna["mailPrimaryAddress"], bert["mailPrimaryAddress"]
    temporary = backend.mail(backend.unique("tmp"))
    anna, bert = backend.swap(anna, bert, "mailPrimaryAddress", temporary)
    backend.sync()
    for user, mail in ((anna, b_mail), (bert, a_mail)):
        ox = check_user(backend, user)
        assert (ox["id"], ox["primaryEmail"].lower()) == (ids[user["username"]], mail.lower())


def test_enable_disable_and_enable_again(backend):
    """As the Univention connector's tests check: enabling creates the OX user (with what
    UDM has then), disabling deletes it, enabling again creates it anew; its groups follow
    each time, and a group whose only OX member is disabled leaves OX."""
    cid = backend.context()["contextid"]
    backend.sync()
    user = backend.user(context=cid, isOxUser="Not", oxNote="first")
    other = backend.user(context=cid)
    both = backend.group(members=[user, other])
    solo = backend.group(members=[user])
    backend.sync()
    assert backend.ox.user(cid, user["username"]) is None
    assert backend.ox.groups(cid)[both["name"]]["members"] == [other["username"]]
    assert solo["name"] not in backend.ox.groups(cid)

    backend.modify(user.dn, {"isOxUser": "OK"})
    backend.sync()
    check_user(backend, user)
    groups = backend.ox.groups(cid)
    assert groups[both["name"]]["members"] == sorted([user["username"], other["username"]])
    assert groups[solo["name"]]["members"] == [user["username"]]

    backend.modify(user.dn, {"isOxUser": "Not"})
    backend.sync()
    assert backend.ox.user(cid, user["username"]) is None
    assert set(backend.ox.users(cid)) == {other["username"]}
    groups = backend.ox.groups(cid)
    assert groups[both["name"]]["members"] == [other["username"]]
    assert solo["name"] not in groups

    backend.modify(user.dn, {"oxNote": "changed while disabled", "title": "Dr."})
    backend.sync()
    assert backend.ox.user(cid, user["username"]) is None  # a disabled user stays out

    backend.modify(user.dn, {"isOxUser": "OK"})
    backend.sync()
    ox = check_user(backend, user)
    assert (ox["note"], ox["title"]) == ("changed while disabled", "Dr.")
    groups = backend.ox.groups(cid)
    assert groups[both["name"]]["members"] == sorted([user["username"], other["username"]])
    assert groups[solo["name"]]["members"] == [user["username"]]


def test_removing_a_disabled_user_changes_nothing_in_ox(backend):
    cid = backend.context()["contextid"]
    backend.sync()
    user, other = backend.user(context=cid, isOxUser="Not"), backend.user(context=cid)
    backend.group(members=[user, other])
    backend.sync()
    before = backend.ox.snapshot([cid])
    backend.remove(user.dn)
    backend.sync()
    assert backend.ox.snapshot([cid]) == before
    assert set(backend.ox.users(cid)) == {other["username"]}


# ============================================================================================
# Context moves
# ============================================================================================


def _full_user(backend, context: int, **extra: Any) -> UDMObject:
    return backend.user(context=context, **{**edge_user(NON_ASCII_TEXT, "a"), **extra})


def test_context_move_keeps_the_user_and_its_data_and_groups_follow(backend):
    """A user with every mapped field moves to another context: it is there with every
    field and gone from the old one; its OX data travels with it (language and time zone
    from its creation, a date emptied in UDM since: OX's copy, not a new user); its groups
    follow (a group left without members leaves the old context)."""
    a, b = backend.context()["contextid"], backend.context()["contextid"]
    backend.sync()
    user = _full_user(
        backend, a, oxLanguage="fr_FR", oxTimeZone="Australia/Sydney", birthday="1970-05-17"
    )
    stay = backend.user(context=a)
    both = backend.group(members=[user, stay])
    solo = backend.group(members=[user])
    backend.sync()
    check_user(backend, user)
    # UDM changes that OX does not take over for an existing user
    backend.modify(
        user.dn, {"oxLanguage": "de_DE", "oxTimeZone": "Europe/Berlin", "birthday": None}
    )
    backend.sync()

    backend.modify(user.dn, {"oxContext": b})
    backend.sync()
    assert backend.ox.user(a, user["username"]) is None
    assert set(backend.ox.users(a)) == {stay["username"]}
    ox = check_user(
        backend,
        user,
        {"birthday": "1970-05-17", "anniversary": iso_date(now(backend, user)["oxAnniversary"])},
    )
    assert (ox["language"], ox["timezone"]) == ("fr_FR", "Australia/Sydney")
    assert backend.ox.rights(b, user["username"]) == ox_rights(DEFAULT_PROFILES["premium"])
    groups_a, groups_b = backend.ox.groups(a), backend.ox.groups(b)
    assert groups_a[both["name"]]["members"] == [stay["username"]]
    assert solo["name"] not in groups_a
    assert groups_b[both["name"]]["members"] == [user["username"]]
    assert groups_b[solo["name"]]["members"] == [user["username"]]


def test_moving_twice_leaves_the_user_only_in_the_last_context(backend):
    """Two context moves, as in the Univention connector's tests: default -> B -> C."""
    b, c = backend.context()["contextid"], backend.context()["contextid"]
    backend.sync()
    user = _full_user(backend, backend.default_context)
    group = backend.group(members=[user])
    backend.sync()
    for target in (b, c):
        backend.modify(user.dn, {"oxContext": target})
        backend.sync()
        check_user(backend, user, what=f"in context {target}:")
        assert backend.ox.groups(target)[group["name"]]["members"] == [user["username"]]
    for cid in (backend.default_context, b):
        assert backend.ox.user(cid, user["username"]) is None, cid
        assert group["name"] not in backend.ox.groups(cid), cid
    assert set(backend.ox.users(c)) == {user["username"]}


def test_moving_there_and_back(backend):
    """A -> B -> A: the user is in A again with every field (and a field changed in B),
    not in B; twice in one sync (A -> B -> A before the connector runs) changes nothing
    in OX but the changed field."""
    a, b = backend.context()["contextid"], backend.context()["contextid"]
    backend.sync()
    user = _full_user(backend, a)
    group = backend.group(members=[user])
    backend.sync()
    backend.modify(user.dn, {"oxContext": b})
    backend.sync()
    backend.modify(user.dn, {"oxContext": a, "oxNote": "back"})
    backend.sync()
    ox = check_user(backend, user)
    assert ox["note"] == "back"
    assert backend.ox.user(b, user["username"]) is None
    assert backend.ox.groups(a)[group["name"]]["members"] == [user["username"]]
    assert group["name"] not in backend.ox.groups(b)

    ox_id = ox["id"]
    backend.modify(user.dn, {"oxContext": b})
    backend.modify(user.dn, {"oxContext": a, "oxNote": "stayed"})
    backend.sync()
    ox = check_user(backend, user)
    assert (ox["id"], ox["note"]) == (ox_id, "stayed")
    assert backend.ox.user(b, user["username"]) is None


def test_rename_and_context_move_in_one_change(backend):
    """Upstream bug #56525 (fixed 2.2.7): a new username and a new context at once."""
    b = backend.context()["contextid"]
    backend.sync()
    user = _full_user(backend, backend.default_context)
    group = backend.group(members=[user])
    backend.sync()
    old_name = user["username"]
    user = backend.modify(user.dn, {"username": backend.unique("moved"), "oxContext": b})
    backend.sync()
    check_user(backend, user)
    assert backend.ox.user(backend.default_context, old_name) is None
    assert backend.ox.user(b, old_name) is None
    assert backend.ox.groups(b)[group["name"]]["members"] == [user["username"]]
    assert group["name"] not in backend.ox.groups(backend.default_context)


# ============================================================================================
# The context admin
# ============================================================================================


def test_the_context_admin_is_never_touched(backend):
    """A UDM user named like the admin of its OX context (upstream Bug #51517) is left
    alone on create, modify and remove: the admin keeps its data, rights and login, and no
    other user appears."""
    cid = backend.context()["contextid"]
    backend.sync()
    admin = backend.ox.credentials(cid)["login"]
    before = backend.ox.user(cid, admin)
    access = backend.ox.module_access(cid, admin)
    assert before is not None and before["contextadmin"] is True

    def unchanged() -> None:
        now_ = backend.ox.user(cid, admin)  # reading with the admin's login: still valid
        assert {k: v for k, v in now_.items() if k != "usedQuota"} == {
            k: v for k, v in before.items() if k != "usedQuota"
        }
        assert backend.ox.module_access(cid, admin) == access
        assert backend.ox.users(cid) == {}

    mallory = backend.user(
        username=admin,
        context=cid,
        firstname="Mallory",
        lastname="Intruder",
        oxAccess="none",
        mailPrimaryAddress=unique_mail(backend, "mallory"),
    )
    backend.sync()
    unchanged()
    backend.modify(mallory.dn, {"lastname": "Changed", "oxNote": "x", "oxAccess": "webmail"})
    backend.sync()
    unchanged()
    backend.remove(mallory.dn)
    backend.sync()
    unchanged()


# ============================================================================================
# Mail: aliases, default sender, mail server
# ============================================================================================

local_parts = st.lists(mail_local_parts(), max_size=3, unique=True)


@settings(max_examples=SOME)
@given(first=local_parts, second=local_parts)
@example(first=[], second=["a"])
@example(first=["first.last+tag", "x" * 40], second=[])
def test_aliases_are_the_primary_and_the_alternatives(backend, first, second):
    """The Univention connector's alias test, extended to the cases it leaves out: OX's
    aliases are always the primary address plus every mailAlternativeAddress, whatever
    changes: alternatives replaced, the primary changed (the default sender follows it), the
    old primary kept as an alternative, the primary listed as an alternative too (once in
    OX), alternatives removed."""
    cid = backend.default_context
    alternatives = [unique_mail(backend, local) for local in first]
    user = backend.user(mailAlternativeAddress=alternatives)
    backend.sync()

    def aliases_and_sender() -> tuple[frozenset[str], str]:
        props = now(backend, user)
        ox = check_user(backend, user)  # includes aliases == primary + alternatives
        assert ox["defaultSenderAddress"] == props["mailPrimaryAddress"]
        return frozenset(ox["aliases"]), ox["defaultSenderAddress"]

    aliases, _ = aliases_and_sender()
    assert aliases == {user["mailPrimaryAddress"], *alternatives}

    alternatives = [unique_mail(backend, local) for local in second]
    backend.modify(user.dn, {"mailAlternativeAddress": alternatives})
    backend.sync()
    aliases_and_sender()

    old_primary = user["mailPrimaryAddress"]
    new_primary = unique_mail(backend, "new")
    backend.modify(
        user.dn,
        {"mailPrimaryAddress": new_primary, "mailAlternativeAddress": [*alternatives, old_primary]},
    )
    backend.sync()
    aliases, sender = aliases_and_sender()
    assert aliases == {new_primary, old_primary, *alternatives}
    assert sender == new_primary  # it was the old primary: it follows (upstream 2.2.13)

    backend.modify(user.dn, {"mailAlternativeAddress": [new_primary, *alternatives]})
    backend.sync()
    aliases, _ = aliases_and_sender()
    assert aliases == {new_primary, *alternatives}
    assert sorted(backend.ox.user(cid, user["username"])["aliases"]).count(new_primary) == 1

    backend.modify(user.dn, {"mailAlternativeAddress": []})
    backend.sync()
    aliases, _ = aliases_and_sender()
    assert aliases == {new_primary}


def test_mail_server_default_and_mailHomeServer(backend):
    """The Univention connector's mail server test, extended to SMTP (which it leaves out):
    without mailHomeServer a user gets the host, port and scheme of OX_IMAP_SERVER /
    OX_SMTP_SERVER; with it, that host for both IMAP and SMTP (port and scheme still from
    the settings); emptied, the default again."""
    cid = backend.default_context
    host = mail_home_server(backend)
    fields = ("imapServer", "imapPort", "imapSchema", "smtpServer", "smtpPort", "smtpSchema")
    plain = backend.user()
    homed = backend.user(mailHomeServer=host)
    backend.sync()

    def servers(user: UDMObject) -> dict[str, Any]:
        ox = check_user(backend, user)
        return {f: ox[f] for f in fields}

    default = servers(plain)
    imap, smtp = setting(backend, "OX_IMAP_SERVER"), setting(backend, "OX_SMTP_SERVER")
    if imap and smtp:  # what the connector is configured with, where the test can know it
        assert default == dict(zip(fields, (*server_of(imap), *server_of(smtp)), strict=True))
    assert default["imapServer"] and default["smtpServer"]
    assert servers(homed) == {**default, "imapServer": host, "smtpServer": host}

    backend.modify(plain.dn, {"mailHomeServer": host})
    backend.modify(homed.dn, {"mailHomeServer": None})
    backend.sync()
    assert servers(plain) == {**default, "imapServer": host, "smtpServer": host}
    assert servers(homed) == default
    assert backend.ox.user(cid, plain["username"])["imapServerString"].startswith(
        f"{default['imapSchema']}{host}"
    )


# ============================================================================================
# Realistic people and non-ASCII names
# ============================================================================================


@settings(max_examples=SOME)
@given(person=people(), later=people())
def test_realistic_people_arrive_and_change_field_by_field(backend, person, later):
    """Faker people (17 locales): every field as mapped; then the same user takes over
    another person's data and name (a rename with many changes): same OX user."""
    person = unique_person(person, backend.unique)
    person["mailPrimaryAddress"] = backend.mail(person["username"])
    user = backend.create(USERS, person)
    backend.sync()
    ox = check_user(backend, user)
    assert ox["language"] == person["oxLanguage"]
    later = unique_person(later, backend.unique)
    changes = {k: v for k, v in later.items() if k not in ("isOxUser", "oxLanguage")}
    changes["mailPrimaryAddress"] = backend.mail(later["username"])
    user = backend.modify(user.dn, changes)
    backend.sync()
    moved = check_user(backend, user)
    assert moved["id"] == ox["id"]
    assert moved["language"] == person["oxLanguage"]  # creation only
    assert backend.ox.user(backend.default_context, person["username"]) is None


@settings(max_examples=SOME)
@given(first=names(), last=names())
@example(first=NON_ASCII_NAMES[0], last=NON_ASCII_NAMES[1])
@example(first=NON_ASCII_NAMES[2], last=NON_ASCII_NAMES[3])
@example(first=NON_ASCII_NAMES[4], last=NON_ASCII_NAMES[5])
@example(first=NON_ASCII_NAMES[6], last=NON_ASCII_NAMES[7])
@example(first=MAX_TEXT, last=MAX_TEXT)
def test_non_ascii_names(backend, first, last):
    user = backend.user(firstname=first, lastname=last)
    backend.sync()
    ox = check_user(backend, user)
    assert (ox["given_name"], ox["sur_name"]) == (first, last)
    assert ox["display_name"] == now(backend, user)["oxDisplayName"] == f"{first} {last}"
