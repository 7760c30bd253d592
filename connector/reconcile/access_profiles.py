"""``oxmail/accessprofile``: kept in ModuleAccessDefinitions.properties and applied to the
users that have it. A changed profile updates every such user (the upstream connector
leaves them until each is modified again)."""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable
from typing import Any

from ..desired.access import desired_access_profile, module_access
from ..desired.errors import InvalidAttribute
from ..desired.user import access_profile_of
from ..model.change import ObjectChange
from ..model.kinds import Kind
from ..state.store import ObjectState
from .deps import Deps
from .handler import KindHandler
from .users import update_access

log = logging.getLogger("ox_connector.reconcile")
PROGRESS_EVERY = 10.0  # seconds between progress lines while updating users


class AccessProfileHandler(KindHandler):
    kind = Kind.ACCESS_PROFILE

    def apply(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any], prior: ObjectState | None
    ) -> ObjectState:
        old_name = _name(prior.object) if prior else None
        profile = desired_access_profile(obj)
        if old_name and old_name != profile.name and deps.profiles.remove(old_name):
            log.info("access profile removed", extra={"profile": old_name})
        file_changed = deps.profiles.set(profile.name, profile.rights)
        deps.profiles_changed()
        # The state store holds what was fully applied: if a run died after writing the
        # file but before every user was updated, the stored rights still differ: go on.
        stored = _rights(prior.object) if prior else None
        if file_changed or (stored is not None and stored != profile.rights):
            log.info(
                "access profile written",
                extra={"profile": profile.name, "rights": sorted(profile.rights)},
            )
            _update_users(deps, profile.name, profile.rights)
        return ObjectState(object_id, self.kind.value, dn, obj)

    def conflict_keys(
        self, deps: Deps, change: ObjectChange, prior: ObjectState | None
    ) -> frozenset[Hashable]:
        """Every profile change writes the one profiles file: one at a time."""
        return super().conflict_keys(deps, change, prior) | {("profiles file",)}

    def delete(self, deps: Deps, object_id: str, dn: str, prior: ObjectState | None) -> None:
        # UDM refuses to remove a profile that users still have.
        old_name = _name(prior.object) if prior else None
        if old_name and deps.profiles.remove(old_name):
            deps.profiles_changed()
            log.info("access profile removed", extra={"profile": old_name})


def _update_users(deps: Deps, name: str, rights: frozenset[str]) -> None:
    access = module_access(rights)
    checked = changed = 0
    last = time.monotonic()
    for state in deps.store.all(Kind.USER.value):
        if not state.placements or _profile_of(state) != name:
            continue
        checked += 1
        changed += update_access(deps, state.placements[0], access)
        if time.monotonic() - last >= PROGRESS_EVERY:
            last = time.monotonic()
            log.info(
                "updating users of access profile",
                extra={"profile": name, "checked": checked, "changed": changed},
            )
    log.info(
        "users of access profile updated",
        extra={"profile": name, "checked": checked, "changed": changed},
    )


def _profile_of(state: ObjectState) -> str | None:
    try:
        return access_profile_of(state.object)
    except InvalidAttribute:
        return None  # that user fails on its own change, naming the field


def _name(obj: dict[str, Any]) -> str | None:
    name = obj.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else None


def _rights(obj: dict[str, Any]) -> frozenset[str] | None:
    try:
        return desired_access_profile(obj).rights
    except InvalidAttribute:
        return None
