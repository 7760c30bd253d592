"""The simulated UDM modules as data: properties, naming, default containers, options,
required and unchangeable properties (UCS 5 with the OX Connector app's join script).

Values follow the UDM API the App Center converter uses: strings for text, lists for
multi-value properties, integers for integer syntaxes (``contextid``, ``oxContext``,
``oxQuota``, ``uidNumber``, ``gidNumber``), ``"OK"``/``"Not"`` for ``isOxUser`` and
``isOxGroup``, ``"TRUE"``/``"FALSE"`` for access rights; an unset single value is None
and an unset multi-value property ``[]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from .errors import InvalidValue

USERS = "users/user"
GROUPS = "groups/group"
CONTEXTS = "oxmail/oxcontext"
RESOURCES = "oxresources/oxresources"
ACCESS_PROFILES = "oxmail/accessprofile"
FUNCTIONAL_ACCOUNTS = "oxmail/functional_account"

# The 24 rights of an access profile (lower case, as UDM and ModuleAccessDefinitions name them).
RIGHTS = (
    "usm",
    "activesync",
    "calendar",
    "collectemailaddresses",
    "contacts",
    "delegatetask",
    "deniedportal",
    "editgroup",
    "editpassword",
    "editpublicfolders",
    "editresource",
    "globaladdressbookdisabled",
    "ical",
    "infostore",
    "multiplemailaccounts",
    "publicfoldereditable",
    "readcreatesharedfolders",
    "subscription",
    "syncml",
    "tasks",
    "vcard",
    "webdav",
    "webdavxml",
    "webmail",
)

# The OX app's extended attributes on users/user that hold plain text.
OX_USER_TEXT = (
    "oxEmail2",
    "oxEmail3",
    "oxBranches",
    "oxMobileBusiness",
    "oxStateBusiness",
    "oxCountryBusiness",
    "oxCityHome",
    "oxPostalCodeHome",
    "oxStreetHome",
    "oxStateHome",
    "oxCountryHome",
    "oxCityOther",
    "oxPostalCodeOther",
    "oxStreetOther",
    "oxStateOther",
    "oxCountryOther",
    "oxCommercialRegister",
    "oxDepartment",
    "oxFaxBusiness",
    "oxFaxHome",
    "oxFaxOther",
    "oxInstantMessenger1",
    "oxInstantMessenger2",
    "oxManagerName",
    "oxMarialStatus",
    "oxMiddleName",
    "oxNickName",
    "oxSuffix",
    "oxNote",
    "oxNumOfChildren",
    "oxPosition",
    "oxProfession",
    "oxSalesVolume",
    "oxSpouseName",
    "oxTaxId",
    "oxTelephoneAssistant",
    "oxTelephoneCar",
    "oxTelephoneCompany",
    "oxTelephoneIp",
    "oxTelephoneOther",
    "oxTelephoneTelex",
    "oxTelephoneTtydd",
    "oxUrl",
    *(f"oxUserfield{i:02d}" for i in range(1, 21)),
)
OX_USER_OTHER = (
    "isOxUser",
    "oxAccess",
    "oxContext",
    "oxDisplayName",
    "oxLanguage",
    "oxTimeZone",
    "oxUserQuota",
    "oxAnniversary",
)
USER_SINGLE = (
    "username",
    "uidNumber",
    "gidNumber",
    "firstname",
    "lastname",
    "gecos",
    "displayName",
    "title",
    "initials",
    "preferredDeliveryMethod",
    "sambaRID",
    "description",
    "organisation",
    "userexpiry",
    "passwordexpiry",
    "pwdChangeNextLogin",
    "preferredLanguage",
    "disabled",
    "accountActivationDate",
    "locked",
    "lockedTime",
    "unlockTime",
    "street",
    "postcode",
    "city",
    "country",
    "employeeNumber",
    "employeeType",
    "physicalDeliveryOfficeName",
    "birthday",
    "jpegPhoto",
    "unixhome",
    "shell",
    "sambahome",
    "scriptpath",
    "profilepath",
    "homedrive",
    "primaryGroup",
    "mailPrimaryAddress",
    "mailHomeServer",
    "mailForwardCopyToSelf",
    "homeShare",
    "homeSharePath",
    *OX_USER_OTHER,
    *OX_USER_TEXT,
)
USER_MULTI = (
    "e-mail",
    "postOfficeBox",
    "phone",
    "roomNumber",
    "secretary",
    "departmentNumber",
    "homePostalAddress",
    "homeTelephoneNumber",
    "mobileTelephoneNumber",
    "pagerTelephoneNumber",
    "sambaUserWorkstations",
    "groups",
    "mailAlternativeAddress",
    "mailForwardAddress",
    "objectFlag",
    "serviceprovider",
)


@dataclass(frozen=True)
class Module:
    name: str
    rdn_attr: str  # LDAP attribute of the first RDN
    naming: str  # the property in the RDN (changing it renames, if allowed)
    container: str  # default position, relative to the LDAP base
    single: tuple[str, ...]
    multi: tuple[str, ...]
    required: tuple[str, ...]
    unchangeable: tuple[str, ...]  # UDM's may_change=False
    options: tuple[str, ...]  # the options the converter reports for a new object

    @property
    def properties(self) -> frozenset[str]:
        return frozenset(self.single) | frozenset(self.multi)

    def empty(self) -> dict[str, object]:
        """Every property unset, in the module's order."""
        return {**dict.fromkeys(self.single), **{p: [] for p in self.multi}}


MODULES: MappingProxyType[str, Module] = MappingProxyType(
    {
        m.name: m
        for m in (
            Module(
                CONTEXTS,
                "cn",
                "name",
                "cn=open-xchange",
                ("name", "contextid", "oxQuota"),
                (),
                ("name", "contextid"),
                ("name", "contextid"),
                (),
            ),
            Module(
                ACCESS_PROFILES,
                "cn",
                "name",
                "cn=accessprofiles,cn=open-xchange",
                ("name", "displayName", *RIGHTS),
                (),
                ("name", "displayName"),
                ("name", *RIGHTS),
                (),
            ),
            Module(
                USERS,
                "uid",
                "username",
                "cn=users",
                USER_SINGLE,
                USER_MULTI,
                ("username", "lastname"),
                (),
                ("default",),
            ),
            Module(
                GROUPS,
                "cn",
                "name",
                "cn=groups",
                (
                    "name",
                    "gidNumber",
                    "sambaRID",
                    "sambaGroupType",
                    "adGroupType",
                    "description",
                    "mailAddress",
                    "isOxGroup",
                    "oxContext",
                ),
                (
                    "users",
                    "hosts",
                    "nestedGroup",
                    "memberOf",
                    "sambaPrivileges",
                    "allowedEmailUsers",
                    "allowedEmailGroups",
                ),
                ("name",),
                (),
                ("posix", "samba"),
            ),
            Module(
                RESOURCES,
                "cn",
                "name",
                "cn=oxresources,cn=open-xchange",
                (
                    "name",
                    "description",
                    "displayname",
                    "resourceadmin",
                    "resourceMailAddress",
                    "oxContext",
                ),
                (),
                ("name", "displayname", "resourceadmin", "resourceMailAddress"),
                ("name",),
                (),
            ),
            Module(
                FUNCTIONAL_ACCOUNTS,
                "cn",
                "name",
                "cn=functional_accounts,cn=open-xchange",
                ("name", "mailPrimaryAddress", "oxQuota", "personal"),
                ("users", "groups"),
                ("name", "mailPrimaryAddress"),
                ("name", "mailPrimaryAddress"),
                (),
            ),
        )
    }
)

# Properties of integer syntax: stored as int.
INTEGER_PROPERTIES = MappingProxyType(
    {
        CONTEXTS: frozenset({"contextid", "oxQuota"}),
        USERS: frozenset({"uidNumber", "gidNumber", "oxContext"}),
        GROUPS: frozenset({"gidNumber", "oxContext"}),
        RESOURCES: frozenset({"oxContext"}),
        FUNCTIONAL_ACCOUNTS: frozenset({"oxQuota"}),
        ACCESS_PROFILES: frozenset(),
    }
)

# The default access profiles the app's join script creates: (name, display name, rights).
_WEBMAIL = ("contacts", "webmail", "collectemailaddresses", "multiplemailaccounts", "subscription")
_PIM = (
    "calendar",
    "contacts",
    "delegatetask",
    "tasks",
    "webmail",
    "collectemailaddresses",
    "multiplemailaccounts",
    "subscription",
)
_GROUPWARE = (
    "calendar",
    "contacts",
    "delegatetask",
    "editpublicfolders",
    "infostore",
    "readcreatesharedfolders",
    "tasks",
    "webmail",
    "collectemailaddresses",
    "multiplemailaccounts",
    "subscription",
)
DEFAULT_ACCESS_PROFILES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("none", "Login disabled", ()),
    ("webmail", "Webmail", _WEBMAIL),
    ("webmail_drive", "Webmail, Drive", (*_WEBMAIL, "infostore")),
    ("pim", "Webmail, PIM", _PIM),
    ("pim_drive", "Webmail, PIM, Drive", (*_PIM, "infostore")),
    ("groupware", "Webmail, PIM, Groupware", _GROUPWARE),
    (
        "premium",
        "Webmail, PIM, Groupware, WebDAV",
        (*_GROUPWARE, "ical", "vcard", "webdav", "webdavxml", "usm"),
    ),
)


def module(name: str) -> Module:
    try:
        return MODULES[name]
    except KeyError:
        raise InvalidValue(
            f'unknown UDM module "{name}" (simulated: {", ".join(sorted(MODULES))})', module=name
        ) from None
