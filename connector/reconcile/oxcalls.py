"""Small wrappers around OX calls that reconciliation repeats for every kind."""

from __future__ import annotations

import logging
from typing import Any

from zeep.helpers import serialize_object

from ..ox import AuthenticationFailed, NotFound, OXConnection
from .errors import NameHeldByOther

log = logging.getLogger("ox_connector.reconcile")


def as_dict(obj: Any) -> dict[str, Any]:
    """A zeep result object as a plain dict (nested objects too)."""
    return dict(serialize_object(obj, dict)) if obj is not None else {}


def get_or_none(ox: OXConnection, service: str, cid: int, **ref) -> dict[str, Any] | None:
    """``getData`` of one user/group/resource, or None if OX does not have it."""
    try:
        return as_dict(ox.call(service, "getData", ctx={"id": cid}, **ref))
    except NotFound:
        return None


def context_exists(ox: OXConnection, cid: int) -> bool:
    try:
        ox.call("OXContextService", "getData", ctx={"id": cid})
    except NotFound:
        return False
    return True


def delete_quietly(ox: OXConnection, service: str, cid: int, what: str, **ref) -> bool:
    """Delete; an object (or context) OX no longer has counts as deleted. True if deleted."""
    try:
        ox.call(service, "delete", ctx={"id": cid}, **ref)
    except NotFound:
        log.info("already gone from OX", extra={"object": what, "context_id": cid})
        return False
    except AuthenticationFailed:
        # OX answers "Authentication failed" for any call into a context that does not
        # exist (it checks credentials first): then the object went with its context.
        if ox.master is not None and not context_exists(ox, cid):
            log.info("context already gone from OX", extra={"object": what, "context_id": cid})
            return False
        raise
    return True


def check_owner(store, udm_object_type: str, cid: int, ox_id: int, object_id: str,
                what: str) -> None:
    """Refuse to adopt an OX object that the state store assigns to another object."""
    owner = store.placed_at(udm_object_type, cid, ox_id)
    if owner is not None and owner != object_id:
        other = store.get(owner)
        raise NameHeldByOther(
            f"OX {what} in context {cid} (id {ox_id}) belongs to "
            f"{other.dn if other else owner}; not adopting it", owner, udm_object_type, cid,
            ox_id)
