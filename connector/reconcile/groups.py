"""``groups/group``: one OX group per context that has enabled members, holding them.

Membership comes from the state store (the users' OX placements), so a group is correct
whatever order its members were provisioned in; the reconciler re-applies a group when a member's
placement changes, since no group file is queued when a user is enabled or moved.
"""

from __future__ import annotations

import logging
from typing import Any

from ..desired.group import desired_group, members_by_context
from ..state.store import ObjectState, Placement
from .deps import Deps
from .oxcalls import check_name_free, check_owner, delete_quietly, get_or_none

log = logging.getLogger("ox_connector.reconcile")
SERVICE = "OXGroupService"
TYPE = "groups/group"
USER_TYPE = "users/user"


def apply_group(
    deps: Deps, object_id: str, dn: str, obj: dict[str, Any] | None, prior: ObjectState | None
) -> ObjectState | None:
    old = {p.context_id: p for p in prior.placements} if prior else {}
    wanted: dict[int, list[int]] = {}
    name = None
    if obj is not None:
        group = desired_group(obj, deps.options.group_identifier)
        name = group.name
        if group.synced:
            wanted = members_by_context(group.member_dns, lambda m: member_placement(deps, m))
    placements = []
    for cid, members in sorted(wanted.items()):
        ox_id = _ensure(deps, object_id, cid, name, members, old.get(cid))
        placements.append(Placement(cid, ox_id, name))
    for cid, placement in sorted(old.items()):
        if cid not in wanted:
            if delete_quietly(
                deps.ox, SERVICE, cid, f"group {placement.ox_name}", grp={"id": placement.ox_id}
            ):
                log.info("group deleted", extra={"group": placement.ox_name, "context_id": cid})
    if obj is None:
        return None
    return ObjectState(object_id, TYPE, dn, obj, tuple(placements))


def member_placement(deps: Deps, member_dn: str) -> tuple[int, int] | None:
    """(context, OX id) of the user with this DN, if the connector placed one."""
    state = deps.store.find_by_dn(member_dn)
    if state is None or state.udm_object_type != USER_TYPE or not state.placements:
        return None
    placement = state.placements[0]
    return placement.context_id, placement.ox_id


def _ensure(
    deps: Deps, object_id: str, cid: int, name: str, members: list[int], old: Placement | None
) -> int:
    group = get_or_none(deps.ox, SERVICE, cid, grp={"id": old.ox_id}) if old else None
    if group is None:
        group = get_or_none(deps.ox, SERVICE, cid, grp={"name": name})
        if group is not None:
            check_owner(deps.store, TYPE, cid, group["id"], object_id, f'group "{name}"', name)
    if group is None:
        created = deps.ox.call(
            SERVICE,
            "create",
            ctx={"id": cid},
            grp={"name": name, "displayname": name, "members": members},
        )
        log.info("group created", extra={"group": name, "context_id": cid, "members": len(members)})
        return created.id
    if group.get("name") != name:
        check_name_free(
            deps.ox, deps.store, SERVICE, TYPE, cid, name, group["id"], object_id, f'group "{name}"'
        )
    if (group.get("name"), group.get("displayname"), sorted(group.get("members") or [])) != (
        name,
        name,
        members,
    ):
        # OX replaces the member list on every change: always send all of them.
        deps.ox.call(
            SERVICE,
            "change",
            ctx={"id": cid},
            grp={"id": group["id"], "name": name, "displayname": name, "members": members},
        )
        log.info("group changed", extra={"group": name, "context_id": cid, "members": len(members)})
    return group["id"]
