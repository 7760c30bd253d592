"""Property values: normalising what a caller passes into what UDM stores, and UDM's
syntax checks. Pure functions; each raises InvalidValue naming the property."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import zoneinfo
from typing import Any

from .errors import InvalidValue
from .modules import INTEGER_PROPERTIES, RIGHTS, Module

OK, NOT = "OK", "Not"
FLAGS = ("isOxUser", "isOxGroup")
MAIL_SINGLE = {
    "users/user": ("mailPrimaryAddress", "oxEmail2", "oxEmail3"),
    "oxresources/oxresources": ("resourceMailAddress",),
    "oxmail/functional_account": ("mailPrimaryAddress",),
    "groups/group": ("mailAddress",),
}
MAIL_MULTI = ("mailAlternativeAddress", "e-mail", "mailForwardAddress")
_MAIL = re.compile(r"^[^\s@<>()\[\],;:\\\"]+@(?:[\w](?:[\w-]*[\w])?\.)*[\w](?:[\w-]*[\w])?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_GERMAN = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}_[A-Z]{2}$")
_USERNAME = re.compile(r"^\w(?:[\w.-]*\w)?$")  # UDM's uid_umlauts: no leading/trailing . or -
_RESOURCE_NAME = re.compile(r"^[A-Za-z0-9. ]+$")
TIMEZONES = frozenset(zoneinfo.available_timezones())  # what the oxTimeZone choice offers


def normalise(mod: Module, prop: str, value: Any) -> Any:
    """``value`` as UDM stores it: lists for multi-value properties ([] when unset), None
    for an unset single value, int for integer syntaxes, "OK"/"Not" and "TRUE"/"FALSE"
    for the flag and right syntaxes (booleans are accepted for those)."""
    if prop not in mod.properties:
        raise InvalidValue(f'{mod.name}: unknown property "{prop}"', module=mod.name, prop=prop)
    if prop in mod.multi:
        items = value if isinstance(value, (list, tuple)) else [value]
        return [_scalar(mod, prop, v) for v in items if v not in (None, "")]
    if isinstance(value, (list, tuple)):
        if len(value) > 1:
            raise InvalidValue(
                f'{mod.name}: "{prop}" takes one value, got {len(value)}',
                module=mod.name,
                prop=prop,
            )
        value = value[0] if value else None
    value = None if value in (None, "") else _scalar(mod, prop, value)
    if mod.name == "oxmail/functional_account" and prop == "mailPrimaryAddress" and value:
        value = value.lower()  # the module stores it lower case
    return value


def _scalar(mod: Module, prop: str, value: Any) -> Any:
    if isinstance(value, (dict, list, tuple, set)):
        raise InvalidValue(
            f'{mod.name}: "{prop}" takes text, not {type(value).__name__}',
            module=mod.name,
            prop=prop,
        )
    if prop in FLAGS:
        return (OK if value else NOT) if isinstance(value, bool) else str(value)
    if prop in RIGHTS and mod.name == "oxmail/accessprofile":
        return ("TRUE" if value else "FALSE") if isinstance(value, bool) else str(value)
    if prop in INTEGER_PROPERTIES[mod.name]:
        text = str(value).strip()
        if isinstance(value, bool) or not re.fullmatch(r"-?[0-9]+", text):
            raise InvalidValue(
                f'{mod.name}: "{prop}" must be a whole number, got {value!r}',
                module=mod.name,
                prop=prop,
            )
        return int(text)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, bytes):
        raise InvalidValue(
            f'{mod.name}: "{prop}" takes text; base64-encode binary values',
            module=mod.name,
            prop=prop,
        )
    return str(value)


def syntax_errors(mod: Module, props: dict[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) for every value that UDM's syntax check would refuse."""
    errors: list[tuple[str, str]] = []
    for prop in FLAGS:
        if prop in mod.properties and props.get(prop) not in (None, OK, NOT):
            errors.append((prop, f'must be "{OK}" or "{NOT}"'))
    if mod.name == "oxmail/accessprofile":
        errors += [
            (r, 'must be "TRUE" or "FALSE"')
            for r in RIGHTS
            if props.get(r) not in (None, "TRUE", "FALSE")
        ]
    for prop in MAIL_SINGLE.get(mod.name, ()):
        if props.get(prop) is not None and not valid_mail(props[prop]):
            errors.append((prop, f'"{props[prop]}" is not a mail address'))
    for prop in MAIL_MULTI:
        errors += [
            (prop, f'"{v}" is not a mail address')
            for v in props.get(prop) or []
            if prop in mod.multi and not valid_mail(v)
        ]
    for prop in ("contextid", "oxContext"):
        if prop in mod.properties and props.get(prop) is not None and props[prop] < 1:
            errors.append((prop, "must be a positive context id"))
    if mod.name == "users/user":
        errors += _user_syntax_errors(props)
    if (
        mod.name == "oxresources/oxresources"
        and props.get("name") is not None
        and not _RESOURCE_NAME.match(props["name"])
    ):
        errors.append(("name", "may contain only letters, digits, dots and spaces"))
    return errors


def _user_syntax_errors(props: dict[str, Any]) -> list[tuple[str, str]]:
    errors = []
    name = props.get("username")
    if name is not None and not _USERNAME.match(name):
        errors.append(
            (
                "username",
                f'"{name}" is not a valid user name (letters, digits, '
                '".", "-", "_"; not starting or ending with "." or "-")',
            )
        )
    if props.get("birthday") is not None and parse_date(props["birthday"], iso_only=True) is None:
        errors.append(("birthday", f'"{props["birthday"]}" is not a date (YYYY-MM-DD)'))
    for prop in ("oxAnniversary", "oxBirthday"):
        if props.get(prop) is not None and parse_date(props[prop]) is None:
            errors.append((prop, f'"{props[prop]}" is not a date (YYYY-MM-DD or DD.MM.YYYY)'))
    if props.get("jpegPhoto") is not None and not _is_base64(props["jpegPhoto"]):
        errors.append(("jpegPhoto", "is not base64"))
    if props.get("oxLanguage") is not None and not _LANGUAGE.match(props["oxLanguage"]):
        errors.append(("oxLanguage", f'"{props["oxLanguage"]}" is not a language like de_DE'))
    if props.get("oxTimeZone") is not None and props["oxTimeZone"] not in TIMEZONES:
        errors.append(("oxTimeZone", f'"{props["oxTimeZone"]}" is not a time zone'))
    quota = props.get("oxUserQuota")
    if quota is not None and not (re.fullmatch(r"-?[0-9]+", quota) and int(quota) >= -1):
        errors.append(("oxUserQuota", f'"{quota}" is not a quota in MB (-1: unlimited)'))
    return errors


def valid_mail(address: str) -> bool:
    return len(address) <= 254 and bool(_MAIL.match(address))


def parse_date(value: str, iso_only: bool = False) -> dt.date | None:
    """A UDM date: YYYY-MM-DD, or (OX attributes) DD.MM.YYYY; None if it is not one."""
    if match := _ISO.match(value):
        y, m, d = int(match[1]), int(match[2]), int(match[3])
    elif not iso_only and (match := _GERMAN.match(value)):
        d, m, y = int(match[1]), int(match[2]), int(match[3])
    else:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def enabled(value: Any) -> bool:
    """isOxUser / isOxGroup: anything but "Not" (and unset) is enabled, as upstream reads it."""
    return value not in (None, NOT)
