"""UDM ``oxmail/accessprofile`` -> a named set of OX module-access rights (pure).

A user's OX rights are exactly its profile's rights (``oxAccess``); a right the profile
does not grant is sent as false, so removing a right in UDM removes it in OX.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InvalidAttribute

# UDM's right properties (lower case, as in ModuleAccessDefinitions.properties) -> the OX
# UserModuleAccess fields. OLOX20 and publication are deprecated in OX: always false.
RIGHTS: dict[str, str] = {
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
DEPRECATED = ("OLOX20", "publication")
NO_RIGHTS = "none"
_GRANTED = (True, "TRUE", "True", "true", "1", 1)
_DENIED = (None, False, "", "FALSE", "False", "false", "0", 0)


@dataclass(frozen=True)
class AccessProfile:
    name: str
    rights: frozenset[str]  # lower-case UDM right names


def desired_access_profile(obj: dict[str, Any]) -> AccessProfile:
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip() or "=" in name or "\n" in name:
        raise InvalidAttribute("name", name, "not a usable access profile name")
    granted = set()
    for right in RIGHTS:
        value = obj.get(right)
        if value in _GRANTED:
            granted.add(right)
        elif value not in _DENIED:
            raise InvalidAttribute(right, value, 'expected "TRUE" or "FALSE"')
    return AccessProfile(name.strip(), frozenset(granted))


def module_access(rights: frozenset[str]) -> dict[str, bool]:
    """The full OX UserModuleAccess for these rights (every field sent explicitly, so that
    OX's defaults for absent fields never grant anything)."""
    unknown = rights - RIGHTS.keys()
    if unknown:
        raise ValueError(f"unknown rights: {', '.join(sorted(unknown))}")
    access = {ox: right in rights for right, ox in RIGHTS.items()}
    access.update(dict.fromkeys(DEPRECATED, False))
    return access
