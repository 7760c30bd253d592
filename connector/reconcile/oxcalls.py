"""Small wrappers around OX calls that reconciliation repeats for every kind."""

from __future__ import annotations

import logging
import re
from typing import Any

from ..ox import AlreadyExists, AuthenticationFailed, InvalidData, NotFound, OXConnection, as_dict
from .errors import MailHeldByOther, NameHeldByOther

log = logging.getLogger("ox_connector.reconcile")

# OX's refusals of an address another principal of the context has (contract: exact texts)
_PRIMARY_MAIL_HELD = re.compile(
    r'^Primary mail address "[^"]*" already exists in context '
    r"\d+ \(Already assigned to (user|resource) (\d+)\)"
)
_RESOURCE_MAIL_HELD = "Resource with this email address already exists"
_HOLDER_TYPES = {"user": "users/user", "resource": "oxresources/oxresources"}


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


def check_owner(
    store,
    udm_object_type: str,
    cid: int,
    ox_id: int,
    object_id: str,
    what: str,
    name: str,
    outcome: str = "not adopting it",
) -> None:
    """Refuse to adopt (or rename onto) an OX object that the state store assigns to
    another directory object: raise ``NameHeldByOther`` naming that object."""
    owner = store.placed_at(udm_object_type, cid, ox_id)
    if owner is not None and owner != object_id:
        other = store.get(owner)
        raise NameHeldByOther(
            f"OX {what} in context {cid} (id {ox_id}) belongs to "
            f"{other.dn if other else owner}; {outcome}",
            owner,
            udm_object_type,
            cid,
            ox_id,
            name,
        )


def check_name_free(
    ox: OXConnection,
    store,
    service: str,
    udm_object_type: str,
    cid: int,
    name: str,
    own_ox_id: int,
    object_id: str,
    what: str,
) -> None:
    """Before a rename: if another OX object of the context still has the name and the
    state store gives it to another directory object, raise ``NameHeldByOther`` (that
    object's own pending change, a rename, must go first)."""
    ref = {"OXUserService": "user", "OXGroupService": "grp"}  # (UDM cannot rename resources)
    holder = get_or_none(ox, service, cid, **{ref[service]: {"name": name}})
    if holder is not None and holder["id"] != own_ox_id:
        check_owner(
            store,
            udm_object_type,
            cid,
            holder["id"],
            object_id,
            what,
            name,
            "it keeps the name until that object changes",
        )


def call_claiming_mail(
    ox: OXConnection,
    store,
    object_id: str,
    mail: str,
    service: str,
    operation: str,
    cid: int,
    **params,
) -> Any:
    """A create or change that sets ``mail``. If OX refuses it because another directory
    object's user or resource still has the address, raise ``MailHeldByOther`` naming that
    object, so the runner can order (or park) instead of failing on every run."""
    try:
        return ox.call(service, operation, ctx={"id": cid}, **params)
    except (AlreadyExists, InvalidData) as exc:  # OX's class for these texts varies
        holder = _mail_holder(ox, cid, exc.message, mail)
        owner = store.placed_at(holder[0], cid, holder[1]) if holder else None
        if owner is None or owner == object_id:
            raise
        other = store.get(owner)
        raise MailHeldByOther(
            f'mail address "{mail}" in context {cid} still belongs to '
            f"{other.dn if other else owner}",
            owner,
            holder[0],
            cid,
            holder[1],
            mail,
        ) from exc


def _mail_holder(ox: OXConnection, cid: int, message: str, mail: str) -> tuple[str, int] | None:
    """(udm_object_type, OX id) of the principal holding ``mail``, from OX's refusal."""
    found = _PRIMARY_MAIL_HELD.match(message)
    if found:
        return _HOLDER_TYPES[found.group(1)], int(found.group(2))
    if message.startswith(_RESOURCE_MAIL_HELD):  # this text names no holder: look it up
        for res in ox.call("OXResourceService", "list", ctx={"id": cid}, pattern="*") or []:
            if (res.email or "").lower() == mail.lower():
                return _HOLDER_TYPES["resource"], res.id
    return None
