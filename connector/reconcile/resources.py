"""``oxresources/oxresources``: one OX resource in its context; a context move creates it
in the new context before deleting the old one (resources hold no data to copy)."""

from __future__ import annotations

import logging

from ..desired.resource import desired_resource
from ..queue import Change
from ..state.store import ObjectState, Placement
from .compare import differing
from .deps import Deps
from .oxcalls import call_claiming_mail, check_owner, delete_quietly, get_or_none

log = logging.getLogger("ox_connector.reconcile")
SERVICE = "OXResourceService"
TYPE = "oxresources/oxresources"


def apply_resource(deps: Deps, change: Change, prior: ObjectState | None) -> ObjectState | None:
    old = prior.placements[0] if prior and prior.placements else None
    if change.is_delete:
        if old:
            _delete(deps, old)
        return None
    wanted = desired_resource(change.object, deps.options.default_context)
    cid = wanted.context_id
    res = None
    if old and old.context_id == cid:
        res = get_or_none(deps.ox, SERVICE, cid, res={"id": old.ox_id})
    if res is None:
        res = get_or_none(deps.ox, SERVICE, cid, res={"name": wanted.name})
        if res is not None:
            check_owner(
                deps.store,
                TYPE,
                cid,
                res["id"],
                change.id,
                f'resource "{wanted.name}"',
                wanted.name,
            )
    fields = {"name": wanted.name, **wanted.fields}
    if res is None:
        created = call_claiming_mail(
            deps.ox,
            deps.store,
            change.id,
            wanted.fields["email"],
            SERVICE,
            "create",
            cid,
            res={k: v for k, v in fields.items() if v != ""},
        )
        ox_id = created.id
        log.info("resource created", extra={"resource": wanted.name, "context_id": cid})
    else:
        ox_id = res["id"]
        changes = differing(fields, res)
        if changes:
            call_claiming_mail(
                deps.ox,
                deps.store,
                change.id,
                wanted.fields["email"],
                SERVICE,
                "change",
                cid,
                res={"id": ox_id, **changes},
            )
            log.info(
                "resource changed",
                extra={"resource": wanted.name, "context_id": cid, "fields": sorted(changes)},
            )
    if old and old.context_id != cid:
        _delete(deps, old)
    return ObjectState(
        change.id,
        change.udm_object_type,
        change.dn,
        change.object,
        (Placement(cid, ox_id, wanted.name),),
    )


def _delete(deps: Deps, placement: Placement) -> None:
    if delete_quietly(
        deps.ox,
        SERVICE,
        placement.context_id,
        f"resource {placement.ox_name}",
        res={"id": placement.ox_id},
    ):
        log.info(
            "resource deleted",
            extra={"resource": placement.ox_name, "context_id": placement.context_id},
        )
