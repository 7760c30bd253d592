"""OX's validation rules and small value mappings, as pure functions."""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache
from urllib.parse import urlsplit

USER_NAME_CHARS = r"$@%.+a-zA-Z0-9_-"  # CHECK_USER_UID_REGEXP default, no space
GROUP_NAME_CHARS = r" $@%.+a-zA-Z0-9_-"  # groups and resources also allow spaces
LOGIN_MAPPING_CHARS = r"$%.+a-zA-Z0-9_-"

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^{_LOCAL}@(?:{_LABEL}\.)*{_LABEL}$")

# UserModuleAccess fields, and the value a fresh object has for each (absent = default).
MODULE_ACCESS_DEFAULTS: dict[str, bool] = {
    "OLOX20": True,
    "USM": True,
    "activeSync": True,
    "calendar": True,
    "collectEmailAddresses": True,
    "contacts": True,
    "delegateTask": True,
    "deniedPortal": False,
    "editGroup": True,
    "editPassword": True,
    "editPublicFolders": True,
    "editResource": True,
    "globalAddressBookDisabled": False,
    "ical": True,
    "infostore": True,
    "multipleMailAccounts": True,
    "publicFolderEditable": False,
    "publication": True,
    "readCreateSharedFolders": True,
    "subscription": True,
    "syncml": True,
    "tasks": True,
    "vcard": True,
    "webdav": True,
    "webdavXml": True,
    "webmail": True,
}
_RIGHT_BY_LOWER = {k.lower(): k for k in MODULE_ACCESS_DEFAULTS}

_WEBMAIL = "webmail contacts globaladdressbookdisabled collectemailaddresses editpassword"
_PIM = (
    "webmail calendar contacts tasks globaladdressbookdisabled collectemailaddresses "
    "multiplemailaccounts editpassword"
)
_GROUPWARE = (
    "webmail calendar contacts infostore tasks delegatetask editpublicfolders "
    "readcreatesharedfolders ical vcard webdav webdavxml collectemailaddresses "
    "multiplemailaccounts subscription publication editpassword"
)
# The named combinations OX ships in ModuleAccessDefinitions.properties. The names are OX's;
# "webmail" and "all" have OX's right sets, the others plausible ones (not checked against a
# real OX).
ACCESS_COMBINATIONS: dict[str, frozenset[str]] = {
    name: frozenset(_RIGHT_BY_LOWER[r] for r in rights.split())
    for name, rights in {
        "webmail": _WEBMAIL,
        "webmail_plus": _WEBMAIL + " multiplemailaccounts subscription",
        "pim": _PIM,
        "pim_plus": _PIM + " subscription publication",
        "pim_infostore": _PIM + " infostore",
        "pim_mobility": _PIM + " syncml usm activesync",
        "groupware": _GROUPWARE,
        "groupware_plus": _GROUPWARE + " syncml usm activesync",
        "groupware_standard": _GROUPWARE + " editgroup editresource",
        "groupware_premium": _GROUPWARE + " editgroup editresource syncml usm activesync olox20",
        "premium": _GROUPWARE + " editgroup editresource syncml usm activesync olox20",
        "drive": "infostore contacts collectemailaddresses editpassword",
        "all": " ".join(
            r for r in _RIGHT_BY_LOWER if r not in ("globaladdressbookdisabled", "deniedportal")
        ),
    }.items()
}


def illegal_chars(value: str, allowed: str) -> str:
    """The characters of ``value`` outside ``allowed``, each once, in order of appearance."""
    bad = re.sub(f"[{allowed}]", "", value)
    return "".join(dict.fromkeys(bad))


def valid_email(address: str) -> bool:
    if not address or len(address) > 254:
        return False
    local, _, domain = address.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")  # IDN-aware, as OX's check
    except UnicodeError:
        return False
    return bool(_EMAIL.match(f"{local}@{domain}")) or _unicode_local_ok(local, domain)


def _unicode_local_ok(local: str, domain: str) -> bool:
    # SMTPUTF8 local parts: OX accepts non-ASCII letters before the @.
    return (
        bool(local)
        and not re.search(r"[\s@<>()\[\],;:\\\"]", local)
        and bool(re.match(rf"^(?:{_LABEL}\.)*{_LABEL}$", domain))
    )


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC", "GMT"}


def valid_timezone(tz: str) -> bool:
    return tz in _timezones()


def valid_language(language: str) -> bool:
    return "_" in language


def like_to_regex(pattern: str | None) -> re.Pattern[str]:
    """OX's search pattern: ``*`` -> SQL ``%``; null or empty means all. Case-insensitive
    like MySQL's default collation."""
    if not pattern:
        pattern = "*"
    parts = (".*" if ch in "*%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile("^" + "".join(parts) + "$", re.IGNORECASE | re.DOTALL)


def module_access(sent: dict[str, bool] | None) -> dict[str, bool]:
    """A UserModuleAccess as OX builds it: absent booleans keep the fresh-object default."""
    return {k: (sent or {}).get(k, default) for k, default in MODULE_ACCESS_DEFAULTS.items()}


def access_from_combination(name: str) -> dict[str, bool] | None:
    rights = ACCESS_COMBINATIONS.get(name)
    if rights is None:
        return None
    return {k: k in rights for k in MODULE_ACCESS_DEFAULTS}


def combination_name(access: dict[str, bool]) -> str | None:
    granted = frozenset(k for k, v in access.items() if v)
    for name, rights in ACCESS_COMBINATIONS.items():
        if rights == granted:
            return name
    return None


MAIL_SCHEMES = {
    "imap": {"plain": ("imap://", 143), "ssl": ("imaps://", 993)},
    "smtp": {"plain": ("smtp://", 25), "ssl": ("smtps://", 465)},
}


def mail_server_url(
    kind: str, server: str | None, port: int | None, schema: str | None, current: str | None
) -> str:
    """OX's stored ``imapServerString``/``smtpServerString`` after a create or change.

    The server may be ``host``, ``host:port`` or a URL; a sent port rewrites the URL's port
    and switches to the SSL scheme when it is the SSL default port.
    """
    plain_scheme, plain_port = MAIL_SCHEMES[kind]["plain"]
    ssl_scheme, ssl_port = MAIL_SCHEMES[kind]["ssl"]
    cur = urlsplit(current) if current else None
    scheme = cur.scheme + "://" if cur else plain_scheme
    host = cur.hostname if cur else "localhost"
    cur_port = cur.port if cur else None
    if server:
        parsed = urlsplit(server if "://" in server else "//" + server)
        if "://" in server:
            scheme = parsed.scheme + "://"
        host = parsed.hostname or host
        cur_port = parsed.port
    if schema:
        scheme = schema if schema.endswith("://") else schema + "://"
    if port is not None:
        cur_port = port
        if port == ssl_port:
            scheme = ssl_scheme
    if cur_port is None:
        cur_port = ssl_port if scheme == ssl_scheme else plain_port
    return f"{scheme}{host}:{cur_port}"


def split_mail_url(url: str) -> tuple[str, str, int]:
    """``imap://host:143`` -> (``imap://``, ``host``, 143)."""
    parsed = urlsplit(url)
    return parsed.scheme + "://", parsed.hostname or "", parsed.port or 0
