"""Who owns an OX object: the rules every kind follows before adopting, renaming onto, or
claiming the mail address of an object OX already has, and for deleting what may be gone."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from ..model.kinds import Kind
from ..ox import AlreadyExists, AuthenticationFailed, InvalidData, NotFound
from ..state.store import StateStore
from .deps import Deps
from .errors import MailHeldByOther, NameHeldByOther

log = logging.getLogger("ox_connector.reconcile")
T = TypeVar("T")

# OX's refusals of an address another principal of the context has (contract: exact texts)
_PRIMARY_MAIL_HELD = re.compile(
    r'^Primary mail address "[^"]*" already exists in context '
    r"\d+ \(Already assigned to (user|resource) (\d+)\)"
)
_RESOURCE_MAIL_HELD = "Resource with this email address already exists"
_HOLDER_KINDS = {"user": Kind.USER, "resource": Kind.RESOURCE}


def check_owner(
    store: StateStore,
    kind: Kind,
    cid: int,
    ox_id: int,
    object_id: str,
    what: str,
    name: str,
    outcome: str = "not adopting it",
) -> None:
    """Refuse to adopt (or rename onto) an OX object that the state store assigns to
    another directory object: raise ``NameHeldByOther`` naming that object."""
    owner = store.placed_at(kind.value, cid, ox_id)
    if owner is not None and owner != object_id:
        other = store.get(owner)
        raise NameHeldByOther(
            f"OX {what} in context {cid} (id {ox_id}) belongs to "
            f"{other.dn if other else owner}; {outcome}",
            owner,
            kind,
            cid,
            ox_id,
            name,
        )


def check_name_free(
    store: StateStore,
    kind: Kind,
    cid: int,
    holder: dict[str, Any] | None,
    own_ox_id: int,
    object_id: str,
    what: str,
    name: str,
) -> None:
    """Before a rename: if another OX object of the context (``holder``, looked up by the
    new name) still has the name and the state store gives it to another directory object,
    raise ``NameHeldByOther`` (that object's own pending change, a rename, must go first)."""
    if holder is not None and holder["id"] != own_ox_id:
        check_owner(
            store,
            kind,
            cid,
            holder["id"],
            object_id,
            what,
            name,
            "it keeps the name until that object changes",
        )


def claiming_mail(deps: Deps, object_id: str, mail: str, cid: int, call: Callable[[], T]) -> T:
    """A create or change that sets ``mail``. If OX refuses it because another directory
    object's user or resource still has the address, raise ``MailHeldByOther`` naming that
    object, so the scheduler can order (or park) instead of failing on every run."""
    try:
        return call()
    except (AlreadyExists, InvalidData) as exc:  # OX's class for these texts varies
        holder = _mail_holder(deps, cid, exc.message, mail)
        owner = deps.store.placed_at(holder[0].value, cid, holder[1]) if holder else None
        if holder is None or owner is None or owner == object_id:
            raise
        other = deps.store.get(owner)
        raise MailHeldByOther(
            f'mail address "{mail}" in context {cid} still belongs to '
            f"{other.dn if other else owner}",
            owner,
            holder[0],
            cid,
            holder[1],
            mail,
        ) from exc


def _mail_holder(deps: Deps, cid: int, message: str, mail: str) -> tuple[Kind, int] | None:
    """(kind, OX id) of the principal holding ``mail``, from OX's refusal."""
    found = _PRIMARY_MAIL_HELD.match(message)
    if found:
        return _HOLDER_KINDS[found.group(1)], int(found.group(2))
    if message.startswith(_RESOURCE_MAIL_HELD):  # this text names no holder: look it up
        for res in deps.ox.resources.search(cid):
            if (res.get("email") or "").lower() == mail.lower():
                return Kind.RESOURCE, int(res["id"])
    return None


def context_gone(deps: Deps, cid: int) -> bool:
    """True when OX (asked as master admin) no longer has the context."""
    return deps.ox.master is not None and not deps.ox.contexts.exists(cid)


def delete_quietly(deps: Deps, cid: int, what: str, delete: Callable[[], None]) -> bool:
    """Delete; an object (or context) OX no longer has counts as deleted. True if deleted."""
    try:
        delete()
    except NotFound:
        log.info("already gone from OX", extra={"object": what, "context_id": cid})
        return False
    except AuthenticationFailed:
        # OX answers "Authentication failed" for any call into a context that does not
        # exist (it checks credentials first): then the object went with its context.
        if context_gone(deps, cid):
            log.info("context already gone from OX", extra={"object": what, "context_id": cid})
            return False
        raise
    return True
