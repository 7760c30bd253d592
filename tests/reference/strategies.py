"""Hypothesis strategies for the UDM properties the connector maps to OX, and Faker-backed
realistic people.

Values are valid for both UDM and OX, so that a test can send them through either backend
and expect them in OX unchanged: single-line text of the Basic Multilingual Plane without
control characters, no whitespace at either end, at most ``MAX_LENGTH`` characters (the
smallest OX column most mapped fields have); ASCII mail addresses; dates from 1900 to
2099; real (decodable) baseline JPEG images.

The expected OX field of each property is spelled out here from the Univention connector
2.1's user mapping, not taken from the connector, so the tests
check the connector against the specification.

Edge values for ``@example`` are module constants: ``EMPTY``, ``MAX_TEXT``,
``NON_ASCII_TEXT``, ``NON_ASCII_NAMES``, ``EDGE_TEXTS``, ``EDGE_PHONES``, ``EDGE_MAILS``,
``EDGE_DATES``, ``SMALLEST_JPEG``.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import unicodedata
import zoneinfo
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from faker import Faker
from hypothesis import strategies as st

MAX_LENGTH = 64
EMPTY = ""
# \u2013 is an EN DASH on purpose: non-ASCII punctuation is part of the test data
NON_ASCII_TEXT = "Grüße aus Köln \u2013 Łódź, Αθήνα, 東京"
MAX_TEXT = "Ä" + "x" * (MAX_LENGTH - 2) + "ß"
NON_ASCII_NAMES = ("Zoë", "Ångström", "Łukasiewicz", "Þórunn", "Nguyễn", "Žofie", "Олег", "李")
EDGE_TEXTS = (EMPTY, MAX_TEXT, NON_ASCII_TEXT)
EDGE_PHONES = ("+49 421 22232-0", "(030) 123 456", "0", "+1 (555) 010-9999 x123")
EDGE_DATES = ("1900-01-01", "29.02.2000", "2099-12-31", "1.1.1970")  # both UDM formats
TEST_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")

# OX's UI languages (what UDM's oxLanguage choice offers).
LANGUAGES = (
    "ca_ES",
    "cs_CZ",
    "da_DK",
    "de_CH",
    "de_DE",
    "en_GB",
    "en_US",
    "es_ES",
    "es_MX",
    "fi_FI",
    "fr_CA",
    "fr_FR",
    "hu_HU",
    "it_IT",
    "ja_JP",
    "lv_LV",
    "nl_NL",
    "pl_PL",
    "pt_BR",
    "ro_RO",
    "ru_RU",
    "sk_SK",
    "sv_SE",
    "tr_TR",
    "zh_CN",
    "zh_TW",
)
# Region/City zones (OX's timezone list is of this form), sorted for reproducible draws.
TIMEZONES = tuple(
    sorted(
        z
        for z in zoneinfo.available_timezones()
        if re.fullmatch(
            r"(Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|"
            r"Pacific)/[A-Za-z_\-/]+",
            z,
        )
    )
)
FAKER_LOCALES = (
    "de_DE",
    "en_US",
    "en_GB",
    "fr_FR",
    "es_ES",
    "it_IT",
    "nl_NL",
    "pl_PL",
    "sv_SE",
    "da_DK",
    "cs_CZ",
    "tr_TR",
    "pt_BR",
    "ru_RU",
    "el_GR",
    "ja_JP",
    "zh_CN",
)

# users/user property -> OX User field, for every plain-text mapping (the Univention
# connector 2.1's user mapping).
TEXT_FIELDS = MappingProxyType(
    {
        "oxDisplayName": "display_name",
        "firstname": "given_name",
        "lastname": "sur_name",
        "oxEmail2": "email2",
        "oxEmail3": "email3",
        "oxBranches": "branches",
        "oxMobileBusiness": "cellular_telephone1",
        "city": "city_business",
        "postcode": "postal_code_business",
        "street": "street_business",
        "oxStateBusiness": "state_business",
        "oxCountryBusiness": "country_business",
        "oxCityHome": "city_home",
        "oxPostalCodeHome": "postal_code_home",
        "oxStreetHome": "street_home",
        "oxStateHome": "state_home",
        "oxCountryHome": "country_home",
        "oxCityOther": "city_other",
        "oxPostalCodeOther": "postal_code_other",
        "oxStreetOther": "street_other",
        "oxStateOther": "state_other",
        "oxCountryOther": "country_other",
        "oxCommercialRegister": "commercial_register",
        "organisation": "company",
        "oxDepartment": "department",
        "employeeType": "employeeType",
        "employeeNumber": "number_of_employee",
        "oxFaxBusiness": "fax_business",
        "oxFaxHome": "fax_home",
        "oxFaxOther": "fax_other",
        "oxInstantMessenger1": "instant_messenger1",
        "oxInstantMessenger2": "instant_messenger2",
        "oxManagerName": "manager_name",
        "oxMarialStatus": "marital_status",
        "oxMiddleName": "middle_name",
        "oxNickName": "nickname",
        "oxSuffix": "suffix",
        "oxNote": "note",
        "oxNumOfChildren": "number_of_children",
        "oxPosition": "position",
        "oxProfession": "profession",
        "oxSalesVolume": "sales_volume",
        "oxSpouseName": "spouse_name",
        "oxTaxId": "tax_id",
        "oxTelephoneAssistant": "telephone_assistant",
        "oxTelephoneCar": "telephone_car",
        "oxTelephoneCompany": "telephone_company",
        "oxTelephoneIp": "telephone_ip",
        "oxTelephoneOther": "telephone_other",
        "oxTelephoneTelex": "telephone_telex",
        "oxTelephoneTtydd": "telephone_ttytdd",
        "title": "title",
        "oxUrl": "url",
        **{f"oxUserfield{i:02d}": f"userfield{i:02d}" for i in range(1, 21)},
    }
)
# (multi-value users/user property, index of the value) -> OX User field.
LIST_FIELDS = MappingProxyType(
    {
        ("phone", 0): "telephone_business1",
        ("phone", 1): "telephone_business2",
        ("homeTelephoneNumber", 0): "telephone_home1",
        ("homeTelephoneNumber", 1): "telephone_home2",
        ("mobileTelephoneNumber", 0): "cellular_telephone2",
        ("pagerTelephoneNumber", 0): "telephone_pager",
        ("roomNumber", 0): "room_number",
    }
)
DATE_FIELDS = MappingProxyType({"birthday": "birthday", "oxAnniversary": "anniversary"})
# UDM right (an access profile's property) -> OX UserModuleAccess field (as the Univention
# connector maps access-profile rights).
# Written out here, not imported from connector.desired.access: the expectation must not
# come from the code under test.
OX_RIGHTS = MappingProxyType(
    {
        "usm": "USM",
        "activesync": "activeSync",
        "calendar": "calendar",
        "collectemailaddresses": "collectEmailAddresses",
        "contacts": "contacts",
        "delegatetask": "delegateTask",
        "deniedportal": "deniedPortal",
        "editgroup": "editGroup",
        "editpassword": "editPassword",
        "editpublicfolders": "editPublicFolders",
        "editresource": "editResource",
        "globaladdressbookdisabled": "globalAddressBookDisabled",
        "ical": "ical",
        "infostore": "infostore",
        "multiplemailaccounts": "multipleMailAccounts",
        "publicfoldereditable": "publicFolderEditable",
        "readcreatesharedfolders": "readCreateSharedFolders",
        "subscription": "subscription",
        "syncml": "syncml",
        "tasks": "tasks",
        "vcard": "vcard",
        "webdav": "webdav",
        "webdavxml": "webdavXml",
        "webmail": "webmail",
    }
)
PHONE_PROPERTIES = frozenset(
    {
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
        "phone",
        "homeTelephoneNumber",
        "mobileTelephoneNumber",
        "pagerTelephoneNumber",
    }
)


# -- text ---------------------------------------------------------------------------------


def _characters() -> st.SearchStrategy[str]:
    # No controls, surrogates, private use, unassigned or line breaks (single-line UDM
    # strings, XML 1.0 in SOAP); BMP only (every OX database charset stores it).
    return st.characters(
        max_codepoint=0xFFFF, exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
    )


def texts(min_size: int = 1, max_size: int = MAX_LENGTH) -> st.SearchStrategy[str]:
    """Unicode single-line text, no whitespace at either end."""
    return (
        st.text(_characters(), min_size=min_size, max_size=max_size)
        .map(lambda s: s.strip())
        .filter(lambda s: len(s) >= min_size)
    )


def names(max_size: int = 40) -> st.SearchStrategy[str]:
    """Personal names: one to three words of letters (any script), joined by a space or a
    hyphen, sometimes with an apostrophe."""
    letters = st.characters(max_codepoint=0xFFFF, categories=("Lu", "Ll", "Lt", "Lo"))
    word = st.text(letters, min_size=1, max_size=12)
    separators = st.lists(st.sampled_from([" ", "-", "'"]), min_size=3, max_size=3)
    name = st.builds(
        lambda words, seps: "".join(w + s for w, s in zip(words, seps, strict=False))[
            :-1
        ],  # one separator per word
        st.lists(word, min_size=1, max_size=3),
        separators,
    )
    return (
        st.one_of(name, st.sampled_from(NON_ASCII_NAMES))
        .map(lambda s: s[:max_size].strip(" -'"))
        .filter(bool)
    )


def usernames() -> st.SearchStrategy[str]:
    """User names UDM and OX both accept: lower-case ASCII letters and digits with ``.``,
    ``-``, ``_`` inside. Combine with ``backend.unique()`` to avoid collisions."""
    return st.from_regex(r"\A[a-z][a-z0-9._-]{0,14}[a-z0-9]\Z").filter(lambda s: ".." not in s)


def mail_local_parts() -> st.SearchStrategy[str]:
    atom = st.from_regex(r"\A[a-z0-9][a-z0-9_+-]{0,15}\Z")
    return st.lists(atom, min_size=1, max_size=3).map(".".join).filter(lambda s: len(s) <= 64)


def mail_addresses(domain: str | None = None) -> st.SearchStrategy[str]:
    """Addresses OX accepts; ``domain`` fixed (a UDM mail domain, e.g.
    ``backend.mail_domain``) or one of the reserved example domains."""
    domains = st.just(domain) if domain else st.sampled_from(TEST_DOMAINS)
    return st.builds(lambda local, d: f"{local}@{d}", mail_local_parts(), domains)


EDGE_MAILS = ("a@example.org", "x" * 64 + "@example.org", "first.last+tag@example.org")


def phone_numbers() -> st.SearchStrategy[str]:
    """Phone numbers as people type them: +CC, area codes in parentheses, groups
    separated by spaces, dashes or slashes, an optional extension."""
    digits = st.from_regex(r"\A[0-9]{2,5}\Z")
    sep = st.sampled_from([" ", "-", "/", ""])
    groups = st.lists(st.tuples(sep, digits), min_size=1, max_size=4).map(
        lambda gs: "".join(s + d for s, d in gs).lstrip(" -/")
    )
    prefix = st.sampled_from(["", "+49 ", "+1 ", "+44 (0)", "0", "(030) "])
    extension = st.sampled_from(["", "", " x12", "-0"])
    return st.builds(lambda p, g, e: (p + g + e).strip(), prefix, groups, extension).filter(
        lambda s: len(s) <= MAX_LENGTH and any(c.isdigit() for c in s)
    )


def urls() -> st.SearchStrategy[str]:
    path = st.from_regex(r"\A(/[a-z0-9_-]{1,10}){0,3}\Z")
    return st.builds(
        lambda scheme, host, p: f"{scheme}://{host}{p}",
        st.sampled_from(["http", "https"]),
        st.sampled_from(("www.example.com", "example.org", "intranet.example.net")),
        path,
    )


# -- dates ----------------------------------------------------------------------------------


def dates() -> st.SearchStrategy[dt.date]:
    return st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))


def udm_date(date: dt.date, german: bool = False) -> str:
    """A date as UDM holds it: ``YYYY-MM-DD`` or (OX attributes) ``DD.MM.YYYY``."""
    return f"{date.day:02d}.{date.month:02d}.{date.year:04d}" if german else date.isoformat()


def iso_dates() -> st.SearchStrategy[str]:
    """``birthday`` (UCS core, ISO syntax only)."""
    return dates().map(udm_date)


def udm_dates() -> st.SearchStrategy[str]:
    """``oxAnniversary``/``oxBirthday``: either UDM format."""
    return st.builds(udm_date, dates(), st.booleans())


def iso(udm_value: str) -> str:
    """The ISO date of a UDM date string (either format), for assertions."""
    if m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", udm_value):
        return dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()
    return dt.date.fromisoformat(udm_value).isoformat()


# -- JPEG images ----------------------------------------------------------------------------


def jpeg(levels: list[list[int]]) -> bytes:
    """A baseline grayscale JPEG of 8x8-pixel blocks, each of one gray level (0-255):
    ``levels[row][column]``. Only DC coefficients are coded, so the encoder fits here;
    any decoder reads the result."""
    rows, cols = len(levels), len(levels[0])
    dc_counts = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)  # the standard DC table
    dc_codes = _canonical_codes(dc_counts, range(12))
    ac_counts = (1,) + (0,) * 15  # one symbol: end of block, code "0"
    bits: list[str] = []
    previous = 0
    for row in levels:
        for level in row:
            dc = 8 * (level - 128)  # the DCT of a flat block, quantised by 1
            diff, previous = dc - previous, dc
            size = abs(diff).bit_length()
            bits.append(dc_codes[size])
            if size:
                bits.append(format(diff if diff > 0 else diff + (1 << size) - 1, f"0{size}b"))
            bits.append("0")  # end of block: all AC coefficients zero
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)  # pad with one-bits
    data = bytes(int(stream[i : i + 8], 2) for i in range(0, len(stream), 8))
    data = data.replace(b"\xff", b"\xff\x00")  # byte stuffing
    return b"".join(
        [
            b"\xff\xd8",
            _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            _segment(0xDB, b"\x00" + b"\x01" * 64),
            _segment(
                0xC0,
                bytes([8])
                + (rows * 8).to_bytes(2, "big")
                + (cols * 8).to_bytes(2, "big")
                + b"\x01\x01\x11\x00",
            ),
            _segment(0xC4, b"\x00" + bytes(dc_counts) + bytes(range(12))),
            _segment(0xC4, b"\x10" + bytes(ac_counts) + b"\x00"),
            _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
            data,
            b"\xff\xd9",
        ]
    )


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def _canonical_codes(counts: tuple[int, ...], symbols) -> dict[int, str]:
    codes, code, symbols = {}, 0, iter(symbols)
    for length, count in enumerate(counts, start=1):
        for _ in range(count):
            codes[next(symbols)] = format(code, f"0{length}b")
            code += 1
        code <<= 1
    return codes


SMALLEST_JPEG = jpeg([[128]])


def jpeg_images(max_blocks: int = 4) -> st.SearchStrategy[bytes]:
    """Small valid JPEG images (start FF D8 FF, end FF D9), 8 to ``8*max_blocks`` pixels
    a side."""
    size = st.integers(1, max_blocks)
    return (
        st.tuples(size, size)
        .flatmap(
            lambda rc: st.lists(
                st.lists(st.integers(0, 255), min_size=rc[1], max_size=rc[1]),
                min_size=rc[0],
                max_size=rc[0],
            )
        )
        .map(jpeg)
    )


def jpeg_photos(max_blocks: int = 4) -> st.SearchStrategy[str]:
    """``jpegPhoto`` values: base64 of ``jpeg_images()``, as UDM takes and gives them."""
    return jpeg_images(max_blocks).map(lambda b: base64.b64encode(b).decode("ascii"))


# -- the rest of the OX attributes ----------------------------------------------------------


def languages() -> st.SearchStrategy[str]:
    return st.sampled_from(LANGUAGES)


def timezones() -> st.SearchStrategy[str]:
    return st.sampled_from(TIMEZONES)


def quotas() -> st.SearchStrategy[str]:
    """``oxUserQuota`` (MB, as text; -1 unlimited)."""
    return st.one_of(st.just("-1"), st.integers(0, 10**6).map(str))


def attribute_values(prop: str) -> st.SearchStrategy[Any]:
    """Valid values of one mapped users/user property (lists for multi-value ones)."""
    if prop in PHONE_PROPERTIES:
        single = phone_numbers()
    elif prop in ("oxEmail2", "oxEmail3"):
        single = mail_addresses()
    elif prop == "oxUrl":
        single = urls()
    elif prop in (
        "firstname",
        "lastname",
        "oxMiddleName",
        "oxNickName",
        "oxSpouseName",
        "oxManagerName",
    ):
        single = names()
    elif prop == "birthday":
        single = iso_dates()
    elif prop in ("oxAnniversary", "oxBirthday"):
        single = udm_dates()
    elif prop == "jpegPhoto":
        single = jpeg_photos()
    elif prop == "oxLanguage":
        single = languages()
    elif prop == "oxTimeZone":
        single = timezones()
    elif prop == "oxUserQuota":
        single = quotas()
    elif prop in TEXT_FIELDS or any(prop == p for p, _ in LIST_FIELDS):
        single = texts()
    else:
        raise KeyError(f"no strategy for the users/user property {prop!r}")
    if any(prop == p for p, _ in LIST_FIELDS):
        top = max(i for p, i in LIST_FIELDS if p == prop)
        return st.lists(single, min_size=1, max_size=top + 1)
    return single


MAPPED_PROPERTIES = tuple(
    dict.fromkeys(
        [
            *TEXT_FIELDS,
            *(p for p, _ in LIST_FIELDS),
            *DATE_FIELDS,
            "jpegPhoto",
            "oxLanguage",
            "oxTimeZone",
            "oxUserQuota",
        ]
    )
)


def user_attributes(
    props: tuple[str, ...] = MAPPED_PROPERTIES, required: tuple[str, ...] = ()
) -> st.SearchStrategy[dict[str, Any]]:
    """A dict of some of ``props`` (always those in ``required``) with valid values."""
    return st.fixed_dictionaries(
        {p: attribute_values(p) for p in required},
        optional={p: attribute_values(p) for p in props if p not in required},
    )


# -- people ---------------------------------------------------------------------------------


def ascii_name(text: str) -> str:
    """``text`` reduced to what a username may hold: ASCII lower-case letters and digits."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", plain)


def people(
    domain: str = "example.org", locales: tuple[str, ...] = FAKER_LOCALES
) -> st.SearchStrategy[dict[str, Any]]:
    """Realistic OX users made by Faker (names in their locale's script, addresses,
    phone numbers, a birthday, a company): a users/user properties dict with username,
    firstname, lastname, mailPrimaryAddress@``domain``, isOxUser OK and contact data.
    Pass it through ``unique_person`` before creating it."""
    fakers: dict[str, Faker] = {}  # per strategy: building a Faker costs ~10 ms

    def person(locale: str, seed: int) -> dict[str, Any]:
        fake = fakers.get(locale) or fakers.setdefault(locale, Faker(locale))
        fake.seed_instance(seed)
        first, last = fake.first_name(), fake.last_name()
        parts = [p for p in (ascii_name(first), ascii_name(last)) if p]
        username = ".".join(parts)[:20].strip(".") or "user"
        return {
            "username": username,
            "firstname": first,
            "lastname": last,
            "mailPrimaryAddress": f"{username}@{domain}",
            "isOxUser": "OK",
            "organisation": _clip(fake.company()),
            "street": _clip(fake.street_address()),
            "postcode": _clip(fake.postcode()),
            "city": _clip(fake.city()),
            "phone": [_clip(fake.phone_number())],
            "birthday": fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat(),
            "oxLanguage": locale if locale in LANGUAGES else "en_US",
        }

    return st.builds(person, st.sampled_from(locales), st.integers(0, 2**32 - 1))


def _clip(text: str) -> str:
    return " ".join(text.split())[:MAX_LENGTH].strip()


def unique_person(person: dict[str, Any], unique: Callable[[str], str]) -> dict[str, Any]:
    """``person`` with a username (and mail address) made unique by ``unique`` (e.g.
    ``backend.unique``): Hypothesis repeats values across examples."""
    username = unique(person["username"][:12].rstrip("._-") or "user")
    domain = person["mailPrimaryAddress"].rpartition("@")[2]
    return {**person, "username": username, "mailPrimaryAddress": f"{username}@{domain}"}
