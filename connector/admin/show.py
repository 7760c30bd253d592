"""``ox-connector show DN|ID``: what the connector knows about one directory object.

From the state store: the UDM object as last applied (without password material), its
OX placements (context, OX id, name), when a change of it was last applied and when its
OX object was last read and compared; from the queue: its pending files; from the
operational records: its dead letters and whether the queue waits on one of its files.
Reads only local files: no OX setting is needed, nothing is changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model.errors import ConnectorError
from ..model.udm import without_password_material
from ..state.operations import Operations
from ..state.store import ObjectState, StateStore
from .queue_view import Pending, pending


class UnknownObject(ConnectorError):
    pass


def describe(store: StateStore, queue_dir: Path, key: str) -> dict[str, Any]:
    """Everything known about the object with this entryUUID or DN (DNs compare without
    regard to case). Raises UnknownObject when nothing is."""
    state = store.get(key) or store.find_by_dn(key)
    # an object not applied yet is known by the id or DN in its queue files and letters
    ids = {state.id if state else key}
    dns = {(state.dn if state else key).lower()}
    mine = [p for p in pending(queue_dir) if p.object_id in ids or (p.dn or "").lower() in dns]
    ids |= {p.object_id for p in mine if p.object_id}
    ops = Operations(store)
    letters = [d for d in ops.dead_letters() if d.object_id in ids or (d.dn or "").lower() in dns]
    if state is None and not mine and not letters:
        raise UnknownObject(
            f"nothing known about {key}: not in the state store, the queue or the dead letters"
        )
    found_id = next((p.object_id for p in mine if p.object_id), None) or next(
        (d.object_id for d in letters if d.object_id), None
    )
    failure = ops.current_failure()
    waiting = failure if failure and failure.file in {p.file for p in mine} else None
    first = mine[0] if mine else None
    return {
        "id": state.id if state else found_id,
        "udm_object_type": state.udm_object_type if state else _queued(first, "type"),
        "dn": state.dn if state else _queued(first, "dn") or key,
        "object": without_password_material(state.object) if state else None,
        "placements": _placements(state),
        "last_applied": state.applied if state else None,
        "last_verified": state.verified if state else None,
        "pending": [p.as_dict() for p in mine],
        "dead_letters": [d.summary() for d in letters],
        "waiting_on": None
        if waiting is None
        else {
            "file": waiting.file,
            "error": waiting.error,
            "attempts": waiting.attempts,
            "next_attempt": waiting.next_attempt,
        },
    }


def _queued(item: Pending | None, what: str) -> str | None:
    if item is None:
        return None
    return item.udm_object_type if what == "type" else item.dn


def _placements(state: ObjectState | None) -> list[dict[str, Any]]:
    if state is None:
        return []
    return [
        {"context_id": p.context_id, "ox_id": p.ox_id, "ox_name": p.ox_name}
        for p in state.placements
    ]
