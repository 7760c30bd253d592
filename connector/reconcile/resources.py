"""``oxresources/oxresources``: one OX resource in its context; a context move creates it
in the new context before deleting the old one (resources hold no data to copy)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Hashable
from typing import Any

from ..desired.errors import InvalidAttribute
from ..desired.resource import desired_resource
from ..model.change import ObjectChange
from ..model.kinds import Kind
from ..state.store import ObjectState, Placement
from .compare import differing
from .deps import Deps
from .errors import MailHeldByOther, NameHeldByOther
from .handler import Finding, KindHandler, compare_by_id, digest, only_placement
from .ownership import check_owner, claiming_mail, delete_quietly

log = logging.getLogger("ox_connector.reconcile")


class ResourceHandler(KindHandler):
    kind = Kind.RESOURCE
    has_drift_check = True

    def apply(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any], prior: ObjectState | None
    ) -> ObjectState:
        old = only_placement(prior)
        wanted = desired_resource(obj, deps.options.default_context)
        cid = wanted.context_id
        res = None
        if old and old.context_id == cid and old.ox_id is not None:
            res = deps.ox.resources.find(cid, ox_id=old.ox_id)
        if res is None:
            res = deps.ox.resources.find(cid, name=wanted.name)
            if res is not None:
                what = f'resource "{wanted.name}"'
                check_owner(deps.store, self.kind, cid, res["id"], object_id, what, wanted.name)
        fields = {"name": wanted.name, **wanted.fields}
        mail = wanted.fields["email"]
        if res is None:
            sent = {k: v for k, v in fields.items() if v != ""}
            ox_id = claiming_mail(
                deps, object_id, mail, cid, lambda: deps.ox.resources.create(cid, sent)
            )
            log.info("resource created", extra={"resource": wanted.name, "context_id": cid})
        else:
            ox_id = res["id"]
            changes = differing(fields, res)
            if changes:
                claiming_mail(
                    deps,
                    object_id,
                    mail,
                    cid,
                    lambda: deps.ox.resources.change(cid, ox_id, changes),
                )
                log.info(
                    "resource changed",
                    extra={"resource": wanted.name, "context_id": cid, "fields": sorted(changes)},
                )
        if old and old.context_id != cid:
            _delete(deps, old)
        return ObjectState(
            object_id, self.kind.value, dn, obj, (Placement(cid, ox_id, wanted.name),)
        )

    def delete(self, deps: Deps, object_id: str, dn: str, prior: ObjectState | None) -> None:
        old = only_placement(prior)
        if old:
            _delete(deps, old)

    def fingerprint(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any]
    ) -> dict[str, str]:
        return {"resource": digest(desired_resource(obj, deps.options.default_context))}

    def conflict_keys(
        self, deps: Deps, change: ObjectChange, prior: ObjectState | None
    ) -> frozenset[Hashable]:
        keys = set(super().conflict_keys(deps, change, prior))
        for obj in (change.object, prior.object if prior else None):
            if obj is None:
                continue
            with contextlib.suppress(InvalidAttribute):
                res = desired_resource(obj, deps.options.default_context)
                keys.add(("resource-name", res.name.lower()))
                if res.fields.get("email"):
                    keys.add(("mail", str(res.fields["email"]).lower()))
        return frozenset(keys)

    def releases(self, deps: Deps, held: NameHeldByOther, obj: dict[str, Any]) -> bool:
        res = desired_resource(obj, deps.options.default_context)
        if res.context_id != held.context_id:
            return True
        mail = isinstance(held, MailHeldByOther)
        return not held.kept_by(res.fields.get("email", "") if mail else res.name)

    def park(self, deps: Deps, held: NameHeldByOther) -> str:
        """Only an address can be parked: UDM cannot rename resources."""
        if not isinstance(held, MailHeldByOther):
            raise held
        temporary = held.temporary()
        deps.ox.resources.change(held.context_id, held.ox_id, {"email": temporary})
        return temporary

    def drift(self, deps: Deps, cid: int, stored: list[ObjectState]) -> list[Finding]:
        actual = {r["id"]: r for r in deps.ox.resources.list_all(cid)}

        def differences(state: ObjectState, res: dict[str, Any]) -> list[str]:
            wanted = desired_resource(state.object, deps.options.default_context)
            return list(differing({"name": wanted.name, **wanted.fields}, res))

        return compare_by_id(self.kind, cid, stored, actual, differences)

    def delete_orphan(self, deps: Deps, finding: Finding) -> None:
        if finding.ox_id is not None:
            deps.ox.resources.delete(finding.context_id, finding.ox_id)


def _delete(deps: Deps, placement: Placement) -> None:
    cid, ox_id = placement.context_id, placement.ox_id
    if ox_id is None:
        return
    what = f"resource {placement.ox_name}"
    if delete_quietly(deps, cid, what, lambda: deps.ox.resources.delete(cid, ox_id)):
        log.info("resource deleted", extra={"resource": placement.ox_name, "context_id": cid})
