"""The Change a queue file describes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.change import ObjectChange
from ..model.kinds import Kind


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

    def object_change(self) -> ObjectChange:
        """The value reconciliation works on (without the queue's file details)."""
        return ObjectChange(self.id, self.kind, self.dn, self.object)

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
