"""``oxmail/oxcontext``: create (with a generated admin), rename, quota; delete.

The admin's password is written to the secrets file BEFORE the context is created: a
crash between the two then leaves a usable password, never a context nobody can log in to.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

from ..desired.context import DesiredContext, desired_context
from ..model.change import ObjectChange
from ..model.credentials import Credentials
from ..model.kinds import Kind
from ..ox import NotFound
from ..state.credentials import generate_password
from ..state.store import ObjectState, Placement
from .deps import Deps
from .handler import KindHandler, digest

log = logging.getLogger("ox_connector.reconcile")


class ContextHandler(KindHandler):
    kind = Kind.CONTEXT

    def apply(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any], prior: ObjectState | None
    ) -> ObjectState:
        wanted = desired_context(obj, deps.options.default_context)
        actual = deps.ox.contexts.find(wanted.id)
        if actual is None:
            _create(deps, wanted)
        else:
            _update(deps, wanted, actual)
        placement = Placement(wanted.id, None, wanted.name)
        return ObjectState(object_id, self.kind.value, dn, obj, (placement,))

    def fingerprint(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any]
    ) -> dict[str, str]:
        """The context, and whether its admin is known (else each apply warns again)."""
        wanted = desired_context(obj, deps.options.default_context)
        return {"context": digest((wanted, deps.credentials.context(wanted.id) is not None))}

    def conflict_keys(
        self, deps: Deps, change: ObjectChange, prior: ObjectState | None
    ) -> frozenset[Hashable]:
        """Every context change may write the credentials file: one at a time."""
        return super().conflict_keys(deps, change, prior) | {("credentials file",)}

    def delete(self, deps: Deps, object_id: str, dn: str, prior: ObjectState | None) -> None:
        if prior is None or not prior.placements:
            log.warning("deleted context was never provisioned: nothing to do", extra={"dn": dn})
            return
        cid = prior.placements[0].context_id
        successor = next(
            (
                s
                for s in deps.store.in_context(cid)
                if s.udm_object_type == self.kind.value and s.id != object_id
            ),
            None,
        )
        if successor is not None:
            # Deleted and created again in UDM with the same id: the delete is planned last,
            # after the new object adopted the context, and must not remove it.
            log.info(
                "context id taken over by another directory object: not deleted",
                extra={"context_id": cid, "dn": successor.dn},
            )
            return
        try:
            deps.ox.contexts.delete(cid)
            log.info("context deleted", extra={"context_id": cid})
        except NotFound:
            log.info("context already gone from OX", extra={"context_id": cid})
        deps.credentials.remove(cid)
        deps.store.drop_context(cid)  # OX deleted everything in it


def _create(deps: Deps, wanted: DesiredContext) -> None:
    admin = deps.credentials.context(wanted.id)
    if admin is None:
        admin = Credentials(wanted.admin_name, generate_password())
        deps.credentials.set(wanted.id, admin)
    mail = f"{admin.login}@{deps.options.domain_name}"
    deps.ox.contexts.create(
        {
            "id": wanted.id,
            "name": wanted.name,
            "maxQuota": wanted.max_quota,
            "loginMappings": list(wanted.login_mappings),
        },
        {
            "name": admin.login,
            "password": admin.password,
            "display_name": "OX Admin",
            "given_name": "OX",
            "sur_name": "Admin",
            "primaryEmail": mail,
            "email1": mail,
            "timezone": deps.options.defaults.timezone,
        },
    )
    log.info("context created", extra={"context_id": wanted.id, "admin": admin.login})


def _update(deps: Deps, wanted: DesiredContext, actual: dict[str, Any]) -> None:
    changes: dict[str, Any] = {}
    if actual.get("name") != wanted.name:
        changes["name"] = wanted.name
    if (actual.get("maxQuota") or -1) != wanted.max_quota:  # OX reads unlimited back as nil
        changes["maxQuota"] = wanted.max_quota
    if changes:
        deps.ox.contexts.change(wanted.id, changes)
        log.info("context changed", extra={"context_id": wanted.id, "fields": sorted(changes)})
    if deps.credentials.context(wanted.id) is None:
        log.warning(
            "context exists in OX but the credentials file has no admin for it: "
            "its users, groups and resources cannot be provisioned until it does",
            extra={"context_id": wanted.id, "file": str(deps.credentials.path)},
        )
