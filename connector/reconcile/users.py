"""``users/user``: one OX user in the user's context, adopted if OX already has it.

Calls for a user OX does not have yet: getData by name (not found) + createByModuleAccess.
For an unchanged user: getData + getModuleAccess, no write.
"""

from __future__ import annotations

import logging
from typing import Any

from ..desired.access import NO_RIGHTS, module_access
from ..desired.user import DesiredUser, desired_user
from ..ox import AlreadyExists, MissingCredentials, NotFound
from ..queue import Change
from ..state.credentials import generate_password
from ..state.store import ObjectState, Placement
from .compare import access_changes, user_changes
from .deps import Deps
from .errors import ReconcileError
from .oxcalls import (
    as_dict,
    call_claiming_mail,
    check_name_free,
    check_owner,
    delete_quietly,
    get_or_none,
)

log = logging.getLogger("ox_connector.reconcile")
SERVICE = "OXUserService"
TYPE = "users/user"


def apply_user(deps: Deps, change: Change, prior: ObjectState | None) -> ObjectState | None:
    old = prior.placements[0] if prior and prior.placements else None
    if change.is_delete:
        if old:
            delete_user(deps, old)
        return None
    opts = deps.options
    wanted = desired_user(
        change.object,
        opts.defaults,
        opts.user_identifier,
        opts.user_fields,
        opts.imap_login,
        change.id,
        change.dn,
    )
    state = ObjectState(change.id, change.udm_object_type, change.dn, change.object)
    if not wanted.enabled:  # disabling deletes the OX user (and with it its OX data)
        if old:
            delete_user(deps, old)
        return state
    access = module_access(rights_of(deps, wanted.access_profile))
    cid = wanted.context_id
    admin = deps.context_admin(cid)
    if admin is None:
        raise ReconcileError(
            f"no admin credentials for context {cid} in {deps.credentials.path}: create the "
            "context in UDM (oxmail/oxcontext) or add its admin to that file"
        )
    if admin.login == wanted.name:
        log.warning(
            "skipped: this user is the admin of its OX context, which the connector never changes",
            extra={"dn": change.dn, "context_id": cid},
        )
        return state

    user = None
    if old and old.context_id != cid:
        user = _move(deps, old, cid)
    elif old:
        user = get_or_none(deps.ox, SERVICE, cid, user={"id": old.ox_id})
    if user is None:
        user = get_or_none(deps.ox, SERVICE, cid, user={"name": wanted.name})
        if user is not None:
            check_owner(
                deps.store, TYPE, cid, user["id"], change.id, f'user "{wanted.name}"', wanted.name
            )
    if user is None:
        ox_id = _create(deps, change.id, cid, wanted, access)
    else:
        if user.get("contextadmin"):
            raise ReconcileError(
                f'OX user "{user.get("name")}" is the admin of context {cid};'
                " the connector never changes a context admin"
            )
        _update(deps, change.id, cid, user, wanted, access)
        ox_id = user["id"]
    return ObjectState(
        change.id,
        change.udm_object_type,
        change.dn,
        change.object,
        (Placement(cid, ox_id, wanted.name),),
    )


def rights_of(deps: Deps, profile: str | None) -> frozenset[str]:
    """The rights of an access profile; no profile or ``none`` means no rights."""
    profiles = deps.access_profiles()
    if profile in profiles:
        return profiles[profile]
    if not profile or profile == NO_RIGHTS:
        return frozenset()
    raise ReconcileError(
        f'field "oxAccess": access profile "{profile}" does not exist in '
        f"{deps.profiles.path}; create it in UDM (oxmail/accessprofile) first"
    )


def _create(
    deps: Deps, object_id: str, cid: int, wanted: DesiredUser, access: dict[str, bool]
) -> int:
    # Nothing empty is sent: a new user has no value to clear. The password only satisfies
    # OX (users log in through UCS' LDAP); a random one, so no known password works.
    data = {
        k: v for k, v in {**wanted.fields, **wanted.create_only}.items() if v not in ("", b"", None)
    }
    data.update(name=wanted.name, password=generate_password(32))
    created = call_claiming_mail(
        deps.ox,
        deps.store,
        object_id,
        data["primaryEmail"],
        SERVICE,
        "createByModuleAccess",
        cid,
        usrdata=data,
        access=access,
    )
    log.info("user created", extra={"user": wanted.name, "context_id": cid, "ox_id": created.id})
    return created.id


def _update(
    deps: Deps,
    object_id: str,
    cid: int,
    user: dict[str, Any],
    wanted: DesiredUser,
    access: dict[str, bool],
) -> None:
    changes = user_changes({**wanted.fields, "name": wanted.name}, user)
    if "name" in changes:
        check_name_free(
            deps.ox,
            deps.store,
            SERVICE,
            TYPE,
            cid,
            wanted.name,
            user["id"],
            object_id,
            f'user "{wanted.name}"',
        )
    if changes.get("maxQuota", -1) != -1 and user.get("maxQuota", -1) == -1:
        # OX keeps a per-user quota only for a user with an own filestore, and refuses to
        # set one otherwise: sending it would fail this change on every run.
        del changes["maxQuota"]
        log.warning(
            "oxUserQuota not applied: the OX user has no own filestore",
            extra={"user": wanted.name, "context_id": cid},
        )
    if changes:
        call_claiming_mail(
            deps.ox,
            deps.store,
            object_id,
            wanted.fields["primaryEmail"],
            SERVICE,
            "change",
            cid,
            usrdata={"id": user["id"], **changes},
        )
        log.info(
            "user changed",
            extra={"user": wanted.name, "context_id": cid, "fields": sorted(changes)},
        )
    actual = as_dict(
        deps.ox.call(SERVICE, "getModuleAccess", ctx={"id": cid}, user={"id": user["id"]})
    )
    if access_changes(access, actual):
        deps.ox.call(
            SERVICE,
            "changeByModuleAccess",
            ctx={"id": cid},
            user={"id": user["id"]},
            moduleAccess=access,
        )
        log.info("user module access changed", extra={"user": wanted.name, "context_id": cid})


def update_access(deps: Deps, placement: Placement, access: dict[str, bool]) -> bool:
    """Make one user's module access equal ``access``; True if it had to change."""
    cid, ref = placement.context_id, {"id": placement.ox_id}
    try:
        actual = as_dict(deps.ox.call(SERVICE, "getModuleAccess", ctx={"id": cid}, user=ref))
    except NotFound:
        return False  # gone from OX: its next change re-creates it with the right access
    if not access_changes(access, actual):
        return False
    deps.ox.call(SERVICE, "changeByModuleAccess", ctx={"id": cid}, user=ref, moduleAccess=access)
    return True


def _move(deps: Deps, old: Placement, cid: int) -> dict[str, Any] | None:
    """Move to another context keeping the user's data (OXUserCopyService), then delete
    the source. Returns the user in the destination, or None if it must be looked up
    (or created) there: copy first and delete after, so a crash in between loses nothing.
    """
    user = None
    try:
        copied = deps.ox.call(
            "OXUserCopyService",
            "copyUser",
            user={"id": old.ox_id},
            src={"id": old.context_id},
            dest={"id": cid},
        )
    except MissingCredentials as exc:
        raise ReconcileError(
            "moving a user to another context keeps its data only with "
            "the OX master admin (OXUserCopyService), and none is "
            f"configured: {exc.message}"
        ) from None
    except NotFound:
        log.info(
            "user to move is gone from its old context; provisioning it anew",
            extra={"context_id": old.context_id, "ox_id": old.ox_id},
        )
    except AlreadyExists:
        log.info(
            "user already in the new context (an earlier, interrupted move)",
            extra={"context_id": cid, "user": old.ox_name},
        )
    else:
        user = get_or_none(deps.ox, SERVICE, cid, user={"id": copied.id})
        log.info(
            "user copied to another context",
            extra={"user": old.ox_name, "from_context": old.context_id, "context_id": cid},
        )
    delete_user(deps, old)
    return user


def delete_user(deps: Deps, placement: Placement) -> None:
    if delete_quietly(
        deps.ox,
        SERVICE,
        placement.context_id,
        f"user {placement.ox_name}",
        user={"id": placement.ox_id},
    ):
        log.info(
            "user deleted", extra={"user": placement.ox_name, "context_id": placement.context_id}
        )
