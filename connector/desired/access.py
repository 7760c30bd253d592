"""UDM ``oxmail/accessprofile`` -> a named set of OX module-access rights (pure).

A user's OX rights are exactly its profile's rights (``oxAccess``); a right the profile
does not grant is sent as false, so removing a right in UDM removes it in OX.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model.rights import RIGHTS
from . import values
from .errors import InvalidAttribute

# OX fields of UserModuleAccess that are deprecated in OX (OLOX20, publication): always false
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
    if isinstance(name, str):
        # a line of ModuleAccessDefinitions.properties: one line, no control characters
        name = values.clean("name", name, one_line=True)
    if not isinstance(name, str) or not name.strip() or "=" in name:
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
