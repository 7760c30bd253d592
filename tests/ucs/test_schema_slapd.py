"""The LDAP schema (ucs/schema/) against the facts, and in a real OpenLDAP slapd.

The tables below are written from the facts about the directory a UCS with the OX App
Suite or the Univention OX Connector app holds (names, OIDs, syntaxes, matching rules,
single-value; the object classes' MUST and MAY). The schema files are parsed and compared
with them definition by definition, and so is slapd's own rendering of the loaded schema
(cn=Subschema), which shows what slapd understood.

The slapd tests start a slapd from Debian's packages (slapd, ldap-utils) as the current
user on ldap://127.0.0.1:<free port> with the standard schemas (core, cosine,
inetorgperson, nis), stand-ins for the UCS classes the OX classes need, and the project's
schema; ``slaptest`` must accept the configuration, and entries as UDM writes them for
each OX module and for an OX user, group, resource and functional account are added and
searched back. Without slapd they are skipped, naming what is missing; with CI set (as
.ci/run does) they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "ucs" / "schema"
STANDARD = Path("/etc/ldap/schema")
BASE = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{BASE}"
ROOT_PW = "test-only-secret"

# -- the facts ------------------------------------------------------------------------------

DIRECTORY_STRING = "1.3.6.1.4.1.1466.115.121.1.15"
IA5_STRING = "1.3.6.1.4.1.1466.115.121.1.26"
BOOLEAN = "1.3.6.1.4.1.1466.115.121.1.7"
INTEGER = "1.3.6.1.4.1.1466.115.121.1.27"
# profile -> (EQUALITY, SUBSTR, SYNTAX, SINGLE-VALUE)
PROFILES = {
    "A": ("caseIgnoreMatch", "caseIgnoreSubstringsMatch", DIRECTORY_STRING, True),
    "B": ("caseIgnoreMatch", None, DIRECTORY_STRING, True),
    "C": ("booleanMatch", None, BOOLEAN, True),
    "D": ("caseIgnoreMatch", None, DIRECTORY_STRING, False),
    "E": ("caseIgnoreIA5Match", "caseIgnoreIA5SubstringsMatch", IA5_STRING + "{256}", False),
    "F": ("caseIgnoreIA5Match", None, IA5_STRING, True),
    "G": ("caseIgnoreIA5Match", None, IA5_STRING + "{256}", False),
    "H": ("booleanMatch", None, BOOLEAN, False),
    "I": ("integerMatch", None, INTEGER, False),
}
# oxforucs.schema: (n of 1.3.6.1.4.1.31353.2.2.<n>, NAME, profile, the classes using it)
ATTRIBUTES = (
    (1, "oxBirthday", "A", "oxUserObject"),
    (2, "oxNumOfChildren", "A", "oxUserObject"),
    (3, "oxLanguage", "A", "oxUserObject"),
    (4, "oxTimeZone", "A", "oxUserObject"),
    (5, "oxDisplayName", "A", "oxUserObject"),
    (6, "oxMobileHome", "A", "oxUserObject"),
    (7, "oxMobileBusiness", "A", "oxUserObject"),
    (8, "oxAnniversary", "A", "oxUserObject"),
    (9, "oxAccess", "A", "oxUserObject"),
    (13, "oxAccessForum", "A", "oxUserObject"),
    (14, "oxAccessPinboardWrite", "A", "oxUserObject"),
    (15, "oxAccessProjects", "A", "oxUserObject"),
    (16, "oxAccessRssBookmarks", "A", "oxUserObject"),
    (17, "oxAccessSyncMl", "A", "oxUserObject"),
    (18, "oxAccessUSM", "A", "oxUserObject"),
    (24, "oxMiddleName", "A", "oxUserObject"),
    (25, "oxSuffix", "A", "oxUserObject"),
    (26, "oxNickName", "A", "oxUserObject"),
    (27, "oxDepartment", "A", "oxUserObject"),
    (28, "oxPosition", "A", "oxUserObject"),
    (29, "oxProfession", "A", "oxUserObject"),
    (30, "oxBranches", "A", "oxUserObject"),
    (31, "oxTelephoneCompany", "A", "oxUserObject"),
    (32, "oxTelephoneOther", "A", "oxUserObject"),
    (33, "oxTelephoneCar", "A", "oxUserObject"),
    (34, "oxFaxBusiness", "A", "oxUserObject"),
    (35, "oxFaxHome", "A", "oxUserObject"),
    (36, "oxFaxOther", "A", "oxUserObject"),
    (37, "oxManagerName", "A", "oxUserObject"),
    (38, "oxTelephoneAssistant", "A", "oxUserObject"),
    (39, "oxEmail2", "A", "oxUserObject"),
    (40, "oxEmail3", "A", "oxUserObject"),
    (41, "oxInstantMessenger1", "A", "oxUserObject"),
    (42, "oxInstantMessenger2", "A", "oxUserObject"),
    (43, "oxTelephoneIp", "A", "oxUserObject"),
    (44, "oxTelephonePager", "A", "oxUserObject"),
    (45, "oxTelephoneTelex", "A", "oxUserObject"),
    (46, "oxTelephoneTtydd", "A", "oxUserObject"),
    (47, "oxUrl", "A", "oxUserObject"),
    (48, "oxTaxId", "A", "oxUserObject"),
    (49, "oxCommercialRegister", "A", "oxUserObject"),
    (50, "oxSalesVolume", "A", "oxUserObject"),
    (51, "oxMarialStatus", "A", "oxUserObject"),
    (52, "oxSpouseName", "A", "oxUserObject"),
    (53, "oxStateBusiness", "A", "oxUserObject"),
    (54, "oxCountryBusiness", "A", "oxUserObject"),
    (55, "oxStreetHome", "A", "oxUserObject"),
    (56, "oxPostalCodeHome", "A", "oxUserObject"),
    (57, "oxCityHome", "A", "oxUserObject"),
    (58, "oxStateHome", "A", "oxUserObject"),
    (59, "oxCountryHome", "A", "oxUserObject"),
    (60, "oxStreetOther", "A", "oxUserObject"),
    (61, "oxPostalCodeOther", "A", "oxUserObject"),
    (62, "oxCityOther", "A", "oxUserObject"),
    (63, "oxStateOther", "A", "oxUserObject"),
    (64, "oxCountryOther", "A", "oxUserObject"),
    (65, "oxUserfield01", "A", "oxUserObject"),
    (66, "oxUserfield02", "A", "oxUserObject"),
    (67, "oxUserfield03", "A", "oxUserObject"),
    (68, "oxUserfield04", "A", "oxUserObject"),
    (69, "oxUserfield05", "A", "oxUserObject"),
    (70, "oxUserfield06", "A", "oxUserObject"),
    (71, "oxUserfield07", "A", "oxUserObject"),
    (72, "oxUserfield08", "A", "oxUserObject"),
    (73, "oxUserfield09", "A", "oxUserObject"),
    (74, "oxUserfield10", "A", "oxUserObject"),
    (75, "oxUserfield11", "A", "oxUserObject"),
    (76, "oxUserfield12", "A", "oxUserObject"),
    (77, "oxUserfield13", "A", "oxUserObject"),
    (78, "oxUserfield14", "A", "oxUserObject"),
    (79, "oxUserfield15", "A", "oxUserObject"),
    (80, "oxUserfield16", "A", "oxUserObject"),
    (81, "oxUserfield17", "A", "oxUserObject"),
    (82, "oxUserfield18", "A", "oxUserObject"),
    (83, "oxUserfield19", "A", "oxUserObject"),
    (84, "oxUserfield20", "A", "oxUserObject"),
    (85, "oxNote", "A", "oxUserObject"),
    (86, "isOxGroup", "A", "oxGroup"),
    (87, "isOxUser", "A", "oxUserObject"),
    (89, "oxHomeServer", "E", "oxUserObject oxContext"),
    (90, "oxHomeMTA", "E", "oxUserObject"),
    (91, "univentionDefaultOxHomeServer", "F", "oxDefault"),
    (92, "univentionOxUserNamespace", "C", "oxSharedFolder"),
    (93, "univentionOxMember", "G", "univentionOxGroup"),
    (94, "oxQuota", "B", "oxContext oxFunctionalAccount"),
    (95, "oxContextIDNum", "D", "oxUserObject oxGroup oxContext oxResourceObject"),
    (97, "oxDomainName", "B", "oxSharedFolder"),
    (98, "oxContextName", "B", "oxMailDomainServerSettings"),
    (99, "oxImapServer", "B", "oxUserObject oxMailDomainServerSettings"),
    (100, "oxAccessResources", "A", "oxUserObject"),
    (101, "univentionOxSharedFolderDeliveryAddress", "A", "oxSharedFolder"),
    (102, "oxIntegrationVersion", "B", "oxContext"),
    (103, "oxGuiVersion", "B", "oxContext"),
    (104, "oxGroupwareVersion", "B", "oxContext"),
    (105, "oxAdminDaemonVersion", "B", "oxContext"),
    (106, "remoteServer", "B", "oxFetchmailSingleDrop oxFetchmailMultiDrop"),
    (107, "protocol", "B", "oxFetchmailSingleDrop oxFetchmailMultiDrop"),
    (108, "useSSL", "B", "oxFetchmailSingleDrop oxFetchmailMultiDrop"),
    (109, "remoteUser", "B", "oxFetchmailSingleDrop oxFetchmailMultiDrop"),
    (110, "remotePassword", "B", "oxFetchmailSingleDrop oxFetchmailMultiDrop"),
    (111, "leaveMessagesOnServer", "B", "oxFetchmailSingleDrop oxFetchmailMultiDrop"),
    (112, "envelopeHeader", "B", "oxFetchmailMultiDrop"),
    (113, "localDomainName", "D", "oxFetchmailMultiDrop"),
    (114, "qmailPrefix", "B", "oxFetchmailMultiDrop"),
    (115, "localRecipient", "B", "oxFetchmailSingleDrop"),
    (116, "oxTelephoneBusiness1", "B", "oxUserObject"),
    (117, "oxTelephoneBusiness2", "B", "oxUserObject"),
    (118, "oxTelephoneHome1", "B", "oxUserObject"),
    (119, "oxTelephoneHome2", "B", "oxUserObject"),
    (120, "oxEnableResource", "B", "oxResourceObject"),
    (121, "oxResourceObject", "B", "oxDirectory"),
    (122, "oxResourceAdmin", "B", "oxResourceObject"),
    (123, "oxVacation", "B", "oxUserObject"),
    (124, "oxVacationSubject", "B", "oxUserObject"),
    (125, "oxVacationText", "B", "oxUserObject"),
    (126, "oxVacationDays", "B", "oxUserObject"),
    (127, "oxDBServer", "B", "oxContext"),
    (128, "oxResourceMailAddress", "D", "oxUserObject"),
    (129, "oxDrive", "A", "oxUserObject"),
    (130, "oxUserQuota", "B", "oxUserObject"),
    (131, "oxRightUsm", "C", "oxAccessProfile"),
    (132, "oxRightActivesync", "C", "oxAccessProfile"),
    (133, "oxRightCalendar", "C", "oxAccessProfile"),
    (134, "oxRightCollectemailaddresses", "C", "oxAccessProfile"),
    (135, "oxRightContacts", "C", "oxAccessProfile"),
    (136, "oxRightDelegatetask", "C", "oxAccessProfile"),
    (137, "oxRightDeniedportal", "C", "oxAccessProfile"),
    (138, "oxRightEditgroup", "C", "oxAccessProfile"),
    (139, "oxRightEditpassword", "C", "oxAccessProfile"),
    (140, "oxRightEditpublicfolders", "C", "oxAccessProfile"),
    (141, "oxRightEditresource", "C", "oxAccessProfile"),
    (142, "oxRightGlobaladdressbookdisabled", "C", "oxAccessProfile"),
    (143, "oxRightIcal", "C", "oxAccessProfile"),
    (144, "oxRightInfostore", "C", "oxAccessProfile"),
    (145, "oxRightMultiplemailaccounts", "C", "oxAccessProfile"),
    (146, "oxRightPublicfoldereditable", "C", "oxAccessProfile"),
    (147, "oxRightReadcreatesharedfolders", "C", "oxAccessProfile"),
    (148, "oxRightSubscription", "C", "oxAccessProfile"),
    (149, "oxRightSyncml", "C", "oxAccessProfile"),
    (150, "oxRightTasks", "C", "oxAccessProfile"),
    (151, "oxRightVcard", "C", "oxAccessProfile"),
    (152, "oxRightWebdav", "C", "oxAccessProfile"),
    (153, "oxRightWebdavxml", "C", "oxAccessProfile"),
    (154, "oxRightWebmail", "C", "oxAccessProfile"),
    (155, "oxPersonal", "B", "oxFunctionalAccount"),
    (156, "oxFunctionalAccountDefaultContainer", "D", "oxDefaultContainers"),
)
# oxforucs-extra.schema
EXTRA_ATTRIBUTES = (
    ("1.3.6.1.4.1.19414.2.1.651", "acl", "E", "oxSharedFolder"),
    ("1.3.6.1.4.1.19419.1.1.1.2", "unrestrictedMailSize", "H", "oxUserObject"),
    ("1.3.6.1.4.1.19414.2.1.605", "cyrus-userquota", "I", "oxUserObject oxSharedFolder"),
)
ACCESS_RIGHTS = tuple(name for _, name, _, used in ATTRIBUTES if used == "oxAccessProfile")
# (n of 1.3.6.1.4.1.31353.2.1.<n>, NAME, kind, MUST, MAY); MAY None: every attribute whose
# "used in" names the class (oxUserObject: 96 of them)
CLASSES = (
    (1, "oxUserObject", "AUXILIARY", (), None),
    (2, "oxGroup", "AUXILIARY", (), ("isOxGroup", "oxContextIDNum")),
    (5, "oxDefault", "AUXILIARY", (), ("univentionDefaultOxHomeServer",)),
    (
        6,
        "oxSharedFolder",
        "STRUCTURAL",
        ("cn", "oxDomainName"),
        (
            "acl",
            "cyrus-userquota",
            "mailPrimaryAddress",
            "univentionOxUserNamespace",
            "univentionOxSharedFolderDeliveryAddress",
        ),
    ),
    (
        8,
        "univentionOxGroup",
        "STRUCTURAL",
        ("cn",),
        ("mailPrimaryAddress", "description", "univentionOxMember"),
    ),
    (
        9,
        "oxContext",
        "STRUCTURAL",
        ("cn", "oxContextIDNum"),
        (
            "oxGuiVersion",
            "oxIntegrationVersion",
            "oxHomeServer",
            "oxGroupwareVersion",
            "oxAdminDaemonVersion",
            "oxQuota",
            "oxDBServer",
        ),
    ),
    (10, "oxMailDomainName", "STRUCTURAL", ("cn",), ()),
    (11, "oxMailDomainServerSettings", "AUXILIARY", (), ("oxImapServer", "oxContextName")),
    (
        12,
        "oxFetchmailSingleDrop",
        "STRUCTURAL",
        ("cn", "localRecipient", "protocol", "remoteServer", "remoteUser", "remotePassword"),
        ("useSSL", "leaveMessagesOnServer"),
    ),
    (
        13,
        "oxFetchmailMultiDrop",
        "STRUCTURAL",
        ("cn", "protocol", "remoteServer", "remoteUser", "remotePassword", "envelopeHeader"),
        ("qmailPrefix", "useSSL", "leaveMessagesOnServer", "localDomainName"),
    ),
    (
        14,
        "oxResourceObject",
        "STRUCTURAL",
        ("cn", "displayName", "oxResourceAdmin", "mailPrimaryAddress"),
        ("oxEnableResource", "description", "oxContextIDNum"),
    ),
    (15, "oxDirectory", "AUXILIARY", ("oxResourceObject",), ()),
    (16, "oxAccessProfile", "STRUCTURAL", ("cn", "displayName"), ACCESS_RIGHTS),
    (
        17,
        "oxFunctionalAccount",
        "STRUCTURAL",
        ("cn", "mailPrimaryAddress"),
        ("oxQuota", "oxPersonal", "uniqueMember"),
    ),
    (18, "oxDefaultContainers", "AUXILIARY", (), ("oxFunctionalAccountDefaultContainer",)),
)


def expected_attributes() -> dict[str, dict]:
    rows = [(f"1.3.6.1.4.1.31353.2.2.{n}", name, p, used) for n, name, p, used in ATTRIBUTES]
    out = {}
    for oid, name, profile, _ in rows + list(EXTRA_ATTRIBUTES):
        equality, substr, syntax, single = PROFILES[profile]
        out[oid] = {
            "NAME": name,
            "EQUALITY": equality,
            "SUBSTR": substr,
            "SYNTAX": syntax,
            "SINGLE-VALUE": single,
        }
    return out


def expected_classes() -> dict[str, dict]:
    users = {name: used.split() for _, name, _, used in ATTRIBUTES + EXTRA_ATTRIBUTES}
    out = {}
    for n, name, kind, must, may in CLASSES:
        if may is None:
            may = tuple(attr for attr, used in users.items() if name in used)
        out[f"1.3.6.1.4.1.31353.2.1.{n}"] = {
            "NAME": name,
            "KIND": kind,
            "SUP": "top",
            "MUST": set(must),
            "MAY": set(may),
        }
    return out


# -- parsing schema text (files, and slapd's cn=Subschema) ---------------------------------

_TOKEN = re.compile(r"\(|\)|'[^']*'|[^\s()']+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _definitions(text: str, keyword: str) -> list[list[str]]:
    """The token lists of every ``keyword ( ... )`` definition (balanced parentheses)."""
    text = re.sub(r"^#.*$", "", text, flags=re.M)
    out = []
    for match in re.finditer(rf"(?im)^\s*{keyword}:?\s*\(", text):
        depth, tokens = 0, []
        for token in _tokens(text[match.end() - 1 :]):
            depth += token == "("
            depth -= token == ")"
            tokens.append(token)
            if depth == 0:
                break
        out.append(tokens[1:-1])
    return out


def _values(tokens: list[str], i: int) -> tuple[list[str], int]:
    """One value or a parenthesized list (``$``-separated or quoted names)."""
    if tokens[i] != "(":
        return [tokens[i].strip("'")], i + 1
    j = tokens.index(")", i)
    return [t.strip("'") for t in tokens[i + 1 : j] if t != "$"], j + 1


def parse(tokens: list[str]) -> dict:
    """A definition's fields: OID, NAME, EQUALITY, SUBSTR, SYNTAX, SUP, MUST, MAY, the
    flags (SINGLE-VALUE, STRUCTURAL, ...)."""
    fields: dict = {"OID": tokens[0]}
    i = 1
    while i < len(tokens):
        key = tokens[i].upper()
        if key in ("SINGLE-VALUE", "NO-USER-MODIFICATION", "COLLECTIVE", "OBSOLETE"):
            fields[key] = True
            i += 1
        elif key in ("STRUCTURAL", "AUXILIARY", "ABSTRACT"):
            fields["KIND"] = key
            i += 1
        else:
            values, i = _values(tokens, i + 1)
            fields[key] = values
    return fields


def attribute_differences(text: str, expected: dict[str, dict]) -> list[str]:
    found = []
    got = {d["OID"]: d for d in map(parse, _definitions(text, "attributetypes?"))}
    for oid in sorted(set(expected) | set(got)):
        if oid not in got:
            found.append(f"{oid}: missing")
            continue
        if oid not in expected:
            found.append(f"{oid}: not in the facts")
            continue
        d, want = got[oid], expected[oid]
        actual = {
            "NAME": (d.get("NAME") or [None])[0],
            "EQUALITY": (d.get("EQUALITY") or [None])[0],
            "SUBSTR": (d.get("SUBSTR") or [None])[0],
            "SYNTAX": (d.get("SYNTAX") or [None])[0],
            "SINGLE-VALUE": d.get("SINGLE-VALUE", False),
        }
        for key, value in want.items():
            if actual[key] != value:
                found.append(f"{oid} {want['NAME']}: {key} {actual[key]!r}, facts: {value!r}")
        for key in ("SUP", "ORDERING", "USAGE", "NO-USER-MODIFICATION"):
            if key in d:
                found.append(f"{oid} {want['NAME']}: unexpected {key}")
    return found


def class_differences(text: str, expected: dict[str, dict]) -> list[str]:
    found = []
    got = {d["OID"]: d for d in map(parse, _definitions(text, "objectclass(es)?"))}
    for oid in sorted(set(expected) | set(got)):
        if oid not in got or oid not in expected:
            found.append(f"{oid}: {'missing' if oid not in got else 'not in the facts'}")
            continue
        d, want = got[oid], expected[oid]
        actual = {
            "NAME": d["NAME"][0],
            "KIND": d.get("KIND", "STRUCTURAL"),
            "SUP": (d.get("SUP") or [None])[0],
            "MUST": set(d.get("MUST", [])),
            "MAY": set(d.get("MAY", [])),
        }
        for key, value in want.items():
            if actual[key] != value:
                found.append(f"{oid} {want['NAME']}: {key} {actual[key]!r}, facts: {value!r}")
    return found


def schema_text(*names: str) -> str:
    return "\n".join((SCHEMA / name).read_text() for name in names)


# -- the files against the facts (no slapd needed) ----------------------------------------


def test_the_facts_tables_are_complete():
    assert len(ATTRIBUTES) == 146 and len(EXTRA_ATTRIBUTES) == 3 and len(CLASSES) == 15
    assert len(expected_classes()["1.3.6.1.4.1.31353.2.1.1"]["MAY"]) == 96
    assert len(ACCESS_RIGHTS) == 24


def test_every_attribute_type_matches_the_facts():
    text = schema_text("oxforucs.schema", "oxforucs-extra.schema")
    assert attribute_differences(text, expected_attributes()) == []


def test_every_object_class_matches_the_facts():
    assert class_differences(schema_text("oxforucs.schema"), expected_classes()) == []


def test_the_extra_schema_holds_exactly_the_three_mail_attributes():
    text = schema_text("oxforucs-extra.schema")
    oids = {d[0] for d in _definitions(text, "attributetype")}
    assert oids == {oid for oid, *_ in EXTRA_ATTRIBUTES}
    assert not _definitions(text, "objectclass")


@pytest.mark.parametrize(
    "change, expected",
    [
        (("NAME 'oxBirthday'", "NAME 'oxBirthdate'"), "NAME 'oxBirthdate', facts: 'oxBirthday'"),
        (("31353.2.2.5\n", "31353.2.2.7000\n"), "1.3.6.1.4.1.31353.2.2.5: missing"),
        (
            (f"SYNTAX {BOOLEAN} SINGLE-VALUE )", f"SYNTAX {DIRECTORY_STRING} SINGLE-VALUE )"),
            "SYNTAX",
        ),
        ((f"SYNTAX {DIRECTORY_STRING} SINGLE-VALUE", f"SYNTAX {DIRECTORY_STRING}"), "SINGLE-VALUE"),
        (("SUBSTR caseIgnoreSubstringsMatch\n", ""), "SUBSTR None"),
        (("oxContextIDNum $ oxImapServer", "oxImapServer"), "MAY"),
        (("SUP top AUXILIARY", "SUP top STRUCTURAL"), "KIND 'STRUCTURAL'"),
    ],
)
def test_a_changed_definition_is_caught(change, expected):
    old, new = change
    text = schema_text("oxforucs.schema", "oxforucs-extra.schema")
    assert old in text
    changed = text.replace(old, new, 1)
    found = attribute_differences(changed, expected_attributes()) + class_differences(
        changed, expected_classes()
    )
    assert any(expected in line for line in found), found


# -- a real slapd ------------------------------------------------------------------------------

TOOLS = {
    "slapd": "/usr/sbin/slapd",
    "slaptest": "/usr/sbin/slaptest",
    "ldapadd": "ldapadd",
    "ldapmodify": "ldapmodify",
    "ldapsearch": "ldapsearch",
}

# Stand-ins for definitions of UCS' own schema that the OX classes and the sample entries
# need. NOT UCS' definitions: made-up OIDs (2.25.<uuid>), just enough for these tests.
STAND_INS = """\
# Stand-ins for UCS core schema (tests only; not UCS' definitions or OIDs).
attributetype ( 2.25.183106640424317294623102208014412315393.1
    NAME 'mailPrimaryAddress'
    EQUALITY caseIgnoreIA5Match
    SUBSTR caseIgnoreIA5SubstringsMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
objectclass ( 2.25.183106640424317294623102208014412315393.2
    NAME 'univentionMail' SUP top AUXILIARY
    MAY ( mailPrimaryAddress ) )
objectclass ( 2.25.183106640424317294623102208014412315393.3
    NAME 'univentionGroup' SUP top AUXILIARY
    MAY ( uniqueMember ) )
"""


def missing_tools() -> list[str]:
    return [
        name for name, path in TOOLS.items() if not (shutil.which(path) or os.path.exists(path))
    ] + [f"{STANDARD}/{s}" for s in ("core.schema", "nis.schema") if not (STANDARD / s).exists()]


@pytest.fixture(scope="module")
def ldap_tools():
    missing = missing_tools()
    if missing:
        reason = f"OpenLDAP is not installed (apt-get install slapd ldap-utils): no {missing}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run these tests (.ci/run installs them)")
        pytest.skip(reason)
    return {name: shutil.which(path) or path for name, path in TOOLS.items()}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(directory: Path) -> Path:
    (directory / "db").mkdir()
    (directory / "ucs-stand-ins.schema").write_text(STAND_INS)
    includes = [STANDARD / f"{name}.schema" for name in ("core", "cosine", "inetorgperson", "nis")]
    includes += [directory / "ucs-stand-ins.schema"]
    includes += [SCHEMA / "oxforucs-extra.schema", SCHEMA / "oxforucs.schema"]
    config = directory / "slapd.conf"
    lines = [f"include {path}" for path in includes]
    lines += [
        f"pidfile {directory / 'slapd.pid'}",
        f"argsfile {directory / 'slapd.args'}",
        "modulepath /usr/lib/ldap",
        "moduleload back_mdb",
        "database mdb",
        f'suffix "{BASE}"',
        f'rootdn "{ROOT_DN}"',
        f"rootpw {ROOT_PW}",
        f"directory {directory / 'db'}",
        "maxsize 10485760",
    ]
    config.write_text("\n".join(lines) + "\n")
    return config


class Slapd:
    def __init__(self, tools: dict[str, str], url: str):
        self.tools, self.url = tools, url

    def run(self, tool: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        command = [self.tools[tool], "-x", "-H", self.url]
        if tool != "ldapsearch":
            command += ["-D", ROOT_DN, "-w", ROOT_PW]
        return subprocess.run(
            [*command, *args], input=stdin, capture_output=True, text=True, timeout=30
        )

    def add(self, ldif: str) -> subprocess.CompletedProcess:
        return self.run("ldapadd", stdin=ldif)

    def search(self, flt: str, *attrs: str, base: str = BASE) -> dict[str, dict[str, list[str]]]:
        result = self.run("ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-b", base, flt, *attrs)
        assert result.returncode in (0, 32), result.stderr
        entries: dict[str, dict[str, list[str]]] = {}
        current: dict[str, list[str]] = {}
        for line in result.stdout.splitlines():
            if line.startswith("dn: "):
                current = entries.setdefault(line[4:], {})
            elif ": " in line:
                key, value = line.split(": ", 1)
                current.setdefault(key, []).append(value)
        return entries


@pytest.fixture(scope="module")
def slapd(ldap_tools, tmp_path_factory):
    directory = tmp_path_factory.mktemp("slapd")
    config = write_config(directory)
    test = subprocess.run(
        [ldap_tools["slaptest"], "-f", str(config), "-u"], capture_output=True, text=True
    )
    assert test.returncode == 0, test.stdout + test.stderr
    url = f"ldap://127.0.0.1:{_free_port()}"
    log = (directory / "slapd.log").open("w")
    # -d: stay in the foreground (no fork), as this user; only the loopback address
    process = subprocess.Popen(
        [ldap_tools["slapd"], "-f", str(config), "-h", url, "-d", "0"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Slapd(ldap_tools, url)
    try:
        deadline = time.monotonic() + 20
        while server.run("ldapsearch", "-b", "", "-s", "base", "(objectClass=*)").returncode:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"slapd did not start: {(directory / 'slapd.log').read_text()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_slaptest_accepts_the_schema_and_slapd_serves_it(slapd):
    """The fixture has run ``slaptest -u`` on the configuration and started slapd."""
    result = slapd.run("ldapsearch", "-LLL", "-b", "", "-s", "base", "namingContexts")
    assert result.returncode == 0 and f"namingContexts: {BASE}" in result.stdout


def test_slapd_understood_every_definition_as_the_facts_say(slapd):
    result = slapd.run(
        "ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-b", "cn=Subschema", "-s", "base",
        "(objectClass=subschema)", "attributeTypes", "objectClasses",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    ours = expected_attributes()
    lines = [
        line
        for line in result.stdout.splitlines()
        if any(f"( {oid} " in line for oid in [*ours, *expected_classes()])
    ]
    rendered = "\n".join(lines)
    assert attribute_differences(rendered, ours) == []
    assert class_differences(rendered, expected_classes()) == []


RIGHTS_LDIF = "\n".join(
    f"{right}: {'FALSE' if right == 'oxRightDeniedportal' else 'TRUE'}" for right in ACCESS_RIGHTS
)
SAMPLE = f"""\
dn: {BASE}
objectClass: top
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: cn=users,{BASE}
objectClass: organizationalRole
cn: users

dn: cn=groups,{BASE}
objectClass: organizationalRole
cn: groups

dn: cn=open-xchange,{BASE}
objectClass: organizationalRole
cn: open-xchange

dn: cn=accessprofiles,cn=open-xchange,{BASE}
objectClass: organizationalRole
cn: accessprofiles

dn: cn=oxresources,cn=open-xchange,{BASE}
objectClass: organizationalRole
cn: oxresources

dn: cn=functional_accounts,cn=open-xchange,{BASE}
objectClass: organizationalRole
cn: functional_accounts

dn: cn=context10,cn=open-xchange,{BASE}
objectClass: top
objectClass: oxContext
cn: context10
oxContextIDNum: 10
oxQuota: 1000

dn: cn=premium,cn=accessprofiles,cn=open-xchange,{BASE}
objectClass: top
objectClass: oxAccessProfile
cn: premium
displayName: Webmail, PIM, Groupware, WebDAV
{RIGHTS_LDIF}

dn: uid=anna,cn=users,{BASE}
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: shadowAccount
objectClass: univentionMail
objectClass: oxUserObject
uid: anna
cn: Anna Schmidt
sn: Schmidt
givenName: Anna
uidNumber: 2001
gidNumber: 5001
homeDirectory: /home/anna
mailPrimaryAddress: anna@example.org
isOxUser: OK
oxAccess: premium
oxContextIDNum: 10
oxDisplayName: Anna Schmidt
oxLanguage: de_DE
oxTimeZone: Europe/Berlin
oxUserQuota: -1
oxAnniversary: 2001-02-03
oxEmail2: anna.private@example.net
oxMarialStatus: married
oxUserfield20: twenty
oxResourceMailAddress: room1@example.org

dn: cn=staff,cn=groups,{BASE}
objectClass: top
objectClass: posixGroup
objectClass: univentionGroup
objectClass: oxGroup
cn: staff
gidNumber: 5001
uniqueMember: uid=anna,cn=users,{BASE}
isOxGroup: OK
oxContextIDNum: 10

dn: cn=room1,cn=oxresources,cn=open-xchange,{BASE}
objectClass: top
objectClass: oxResourceObject
cn: room1
displayName: Room 1
description: the big one
oxResourceAdmin: 2001
mailPrimaryAddress: room1@example.org
oxContextIDNum: 10

dn: cn=helpdesk,cn=functional_accounts,cn=open-xchange,{BASE}
objectClass: top
objectClass: oxFunctionalAccount
cn: helpdesk
mailPrimaryAddress: helpdesk@example.org
oxQuota: 500
oxPersonal: Help Desk
uniqueMember: uid=anna,cn=users,{BASE}
uniqueMember: cn=staff,cn=groups,{BASE}

dn: cn=default containers,{BASE}
objectClass: organizationalRole
objectClass: oxDefaultContainers
cn: default containers
oxFunctionalAccountDefaultContainer: cn=functional_accounts,cn=open-xchange,{BASE}
oxFunctionalAccountDefaultContainer: cn=users,{BASE}
"""


@pytest.fixture(scope="module")
def populated(slapd):
    result = slapd.add(SAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr
    return slapd


def test_entries_as_udm_writes_them_are_added_and_found(populated):
    in_context = populated.search("(oxContextIDNum=10)", "dn")
    assert sorted(dn.split(",")[0] for dn in in_context) == [
        "cn=context10",
        "cn=room1",
        "cn=staff",
        "uid=anna",
    ]
    (anna,) = populated.search("(&(objectClass=oxUserObject)(isOxUser=ok))", "*").values()
    assert anna["oxAccess"] == ["premium"] and anna["oxResourceMailAddress"] == [
        "room1@example.org"
    ]
    assert anna["oxMarialStatus"] == ["married"]
    # substring matching where the facts say so (profile A), booleans, IA5 lists
    assert list(populated.search("(oxDisplayName=*schmi*)", "dn")) == [f"uid=anna,cn=users,{BASE}"]
    assert list(populated.search("(oxRightWebmail=TRUE)", "dn")) == [
        f"cn=premium,cn=accessprofiles,cn=open-xchange,{BASE}"
    ]
    assert populated.search("(oxRightDeniedportal=TRUE)", "dn") == {}
    (account,) = populated.search("(objectClass=oxFunctionalAccount)", "*").values()
    assert len(account["uniqueMember"]) == 2 and account["oxPersonal"] == ["Help Desk"]
    assert populated.search("(oxResourceAdmin=2001)", "dn")
    (containers,) = populated.search("(objectClass=oxDefaultContainers)", "*").values()
    assert len(containers["oxFunctionalAccountDefaultContainer"]) == 2
    assert populated.search("(&(objectClass=oxGroup)(isOxGroup=OK))", "dn")


def test_the_schema_rules_hold(populated):
    def modify(ldif: str) -> subprocess.CompletedProcess:
        return populated.run("ldapmodify", stdin=ldif)

    anna = f"uid=anna,cn=users,{BASE}"
    # single-valued: a second isOxUser is refused (constraint violation)
    second = modify(f"dn: {anna}\nchangetype: modify\nadd: isOxUser\nisOxUser: Not\n")
    assert second.returncode == 19, second.stderr
    # oxContextIDNum is multi-valued, as the facts say (UDM writes one value)
    assert (
        modify(
            f"dn: {anna}\nchangetype: modify\nadd: oxContextIDNum\noxContextIDNum: 11\n"
        ).returncode
        == 0
    )
    # an access profile needs its displayName (MUST)
    profiles = f"cn=accessprofiles,cn=open-xchange,{BASE}"
    profile = f"dn: cn=bare,{profiles}\nobjectClass: oxAccessProfile\ncn: bare\n"
    assert populated.add(profile).returncode == 65  # objectClassViolation
    # a boolean right takes TRUE or FALSE only
    wrong = f"dn: cn=premium,{profiles}\nchangetype: modify\nreplace: oxRightUsm\noxRightUsm: yes\n"
    assert modify(wrong).returncode == 21  # invalidAttributeSyntax
