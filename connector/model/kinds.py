"""The UDM object types the connector handles, in their apply order."""

from __future__ import annotations

import enum


class Kind(enum.Enum):
    """UDM object types the connector handles. Definition order is the apply order."""

    CONTEXT = "oxmail/oxcontext"
    ACCESS_PROFILE = "oxmail/accessprofile"
    USER = "users/user"
    GROUP = "groups/group"
    FUNCTIONAL_ACCOUNT = "oxmail/functional_account"
    RESOURCE = "oxresources/oxresources"

    @property
    def rank(self) -> int:
        return list(Kind).index(self)


KNOWN_TYPES: frozenset[str] = frozenset(kind.value for kind in Kind)
