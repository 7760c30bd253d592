"""What reconciliation works on: one directory object as it is now (or its deletion)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .kinds import Kind


@dataclass(frozen=True, slots=True)
class ObjectChange:
    """The directory object ``id`` (its entryUUID) of ``kind`` at ``dn``: ``object`` holds
    its UDM properties, None when it was deleted. Treat ``object`` as read-only."""

    id: str
    kind: Kind
    dn: str
    object: dict[str, Any] | None = field(hash=False)

    @property
    def udm_object_type(self) -> str:
        return self.kind.value

    @property
    def is_delete(self) -> bool:
        return self.object is None
