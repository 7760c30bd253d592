"""Login templates: ``OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE`` (``{{placeholder}}``) and
``OX_IMAP_LOGIN`` (``{}`` or ``{property}``). Parsed and checked once at start, so that a
typo is an error naming the placeholder, not a wrong login on thousands of mailboxes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..model.errors import ConnectorError
from . import values
from .errors import InvalidAttribute

FA_PLACEHOLDERS = frozenset({"fa_entry_uuid", "fa_email_address"})
USER_EXTRA = frozenset({"entry_uuid", "dn"})
DEFAULT_FA_LOGIN = "{{fa_entry_uuid}}{{username}}"
PRIMARY_MAIL = "mailPrimaryAddress"

# Properties of UDM's users/user module (UCS 5) and the OX app's extended attributes.
UDM_USER_PROPERTIES = frozenset(
    """
username uidNumber gidNumber firstname lastname gecos displayName title initials
preferredDeliveryMethod sambaRID description organisation userexpiry passwordexpiry
pwdChangeNextLogin preferredLanguage disabled accountActivationDate locked lockedTime
unlockTime street e-mail postcode postOfficeBox city country phone employeeNumber
roomNumber secretary departmentNumber employeeType homePostalAddress
physicalDeliveryOfficeName homeTelephoneNumber mobileTelephoneNumber pagerTelephoneNumber
birthday jpegPhoto unixhome shell sambahome scriptpath profilepath homedrive
sambaUserWorkstations primaryGroup groups mailPrimaryAddress mailAlternativeAddress
mailHomeServer mailForwardAddress mailForwardCopyToSelf homeShare homeSharePath
univentionObjectIdentifier univentionSourceIAM serviceprovider objectFlag
isOxUser oxAccess oxContext oxDisplayName oxLanguage oxTimeZone oxUserQuota oxAnniversary
oxEmail2 oxEmail3 oxBranches oxMobileBusiness oxStateBusiness oxCountryBusiness oxCityHome
oxPostalCodeHome oxStreetHome oxStateHome oxCountryHome oxCityOther oxPostalCodeOther
oxStreetOther oxStateOther oxCountryOther oxCommercialRegister oxDepartment oxFaxBusiness
oxFaxHome oxFaxOther oxInstantMessenger1 oxInstantMessenger2 oxManagerName oxMarialStatus
oxMiddleName oxNickName oxSuffix oxNote oxNumOfChildren oxPosition oxProfession
oxSalesVolume oxSpouseName oxTaxId oxTelephoneAssistant oxTelephoneCar oxTelephoneCompany
oxTelephoneIp oxTelephoneOther oxTelephoneTelex oxTelephoneTtydd oxUrl
""".split()
) | frozenset(f"oxUserfield{i:02d}" for i in range(1, 21))

_DOUBLE = re.compile(r"\{\{(.*?)\}\}")
_SINGLE = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class TemplateError(ConnectorError, ValueError):
    """A template that cannot be used; the message names the setting and the placeholder."""


@dataclass(frozen=True)
class Template:
    """Literal text and placeholders, alternating: render() fills them in."""

    setting: str
    text: str
    parts: tuple[tuple[str, str | None], ...]  # (literal, placeholder or None)

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(p for _, p in self.parts if p is not None)

    def render(self, lookup: Mapping[str, Any]) -> str:
        """Fill in from ``lookup``; an empty or missing value is an error naming it."""
        out = []
        for literal, placeholder in self.parts:
            out.append(literal)
            if placeholder is not None:
                value = values.clean_text(placeholder, lookup.get(placeholder), one_line=True)
                if not value or not value.strip():
                    raise InvalidAttribute(
                        placeholder,
                        lookup.get(placeholder),
                        f"{self.setting} needs it, but it is empty",
                    )
                out.append(value)
        return "".join(out)


def fa_login_template(text: str | None) -> Template:
    """``{{fa_entry_uuid}}``, ``{{fa_email_address}}``, ``{{entry_uuid}}``, ``{{dn}}`` and
    any users/user property, with free text between; empty means the default."""
    setting = "OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE"
    text = (text or "").strip() or DEFAULT_FA_LOGIN
    parts, pos = [], 0
    for match in _DOUBLE.finditer(text):
        name = match.group(1).strip()
        _check_name(setting, name, FA_PLACEHOLDERS | USER_EXTRA | UDM_USER_PROPERTIES)
        parts.append((text[pos : match.start()], name))
        pos = match.end()
    parts.append((text[pos:], None))
    _check_literals(setting, text, parts, ("{{", "}}"))
    return Template(setting, text, tuple(parts))


def imap_login_template(text: str | None) -> Template | None:
    """``{}`` (the primary mail address) or ``{property}``, with free text; empty: None,
    i.e. the connector leaves imapLogin to OX's default."""
    setting = "OX_IMAP_LOGIN"
    text = (text or "").strip()
    if not text:
        return None
    parts, pos = [], 0
    for match in _SINGLE.finditer(text):
        name = match.group(1).strip() or PRIMARY_MAIL
        _check_name(setting, name, USER_EXTRA | UDM_USER_PROPERTIES)
        parts.append((text[pos : match.start()], name))
        pos = match.end()
    parts.append((text[pos:], None))
    _check_literals(setting, text, parts, ("{", "}"))
    return Template(setting, text, tuple(parts))


def _check_literals(
    setting: str, text: str, parts: list[tuple[str, str | None]], braces: tuple[str, str]
) -> None:
    """A brace in the free text is a typo'd placeholder, wherever it stands."""
    if any(b in literal for literal, _ in parts for b in braces):
        raise TemplateError(f'{setting}: unbalanced "{braces[0]}" or "{braces[1]}" in "{text}"')


def _check_name(setting: str, name: str, known: frozenset[str]) -> None:
    if not _NAME.fullmatch(name):
        raise TemplateError(f'{setting}: "{name}" is not a placeholder name')
    if name not in known:
        raise TemplateError(
            f'{setting}: unknown placeholder "{name}" (not a users/user '
            "property the connector knows)"
        )


def user_lookup(object_id: str, dn: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """What a user's placeholders are filled from."""
    return {**obj, "entry_uuid": object_id, "dn": dn}
