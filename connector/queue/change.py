"""The Change a queue file describes, and the object kinds in their apply order."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
        return _RANK[self]


_RANK = {kind: index for index, kind in enumerate(Kind)}
KNOWN_TYPES: frozenset[str] = frozenset(kind.value for kind in Kind)


@dataclass(frozen=True, slots=True)
class Change:
    """One queue file: what the object with ``id`` (entryUUID) is now; ``object`` None = deleted.

    ``object`` is the parsed UDM properties dict; treat it as read-only (it is kept a plain
    dict so the mapping layer and the state store can use it as JSON without copying).
    """

    id: str
    udm_object_type: str
    dn: str
    object: dict[str, Any] | None = field(hash=False)
    options: tuple[str, ...]
    path: Path
    timestamp: str

    @property
    def kind(self) -> Kind:
        return Kind(self.udm_object_type)

    @property
    def is_delete(self) -> bool:
        return self.object is None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def sort_key(self) -> tuple[str, str]:
        """Queue order: timestamp, then file name (ties only if two stems were equal)."""
        return (self.timestamp, self.path.name)
