"""``oxmail/functional_account``: one OX secondary account per member user, in that
user's context. Members are the account's users plus the users of its groups, as the
state store knows them (provisioned, enabled users only).

Desired state per context: list the accounts with this address, then create only the
missing members' accounts, update changed ones and delete the ones of users who are no
longer members; nothing is deleted and re-created wholesale.
"""

from __future__ import annotations

import logging
from typing import Any

from ..desired.functional_account import DesiredFunctionalAccount, desired_functional_account
from ..desired.templates import user_lookup
from ..ox import AuthenticationFailed
from ..state.store import ObjectState, Placement
from .deps import Deps
from .oxcalls import as_dict, context_exists

log = logging.getLogger("ox_connector.reconcile")
SERVICE = "OXSecondaryAccountService"
TYPE = "oxmail/functional_account"
ALL_USERS = {"id": 0}  # OX's group 0: every user of the context


def apply_functional_account(
    deps: Deps, object_id: str, dn: str, obj: dict[str, Any] | None, prior: ObjectState | None
) -> ObjectState | None:
    old = {p.context_id: p.ox_name for p in prior.placements} if prior else {}
    account = desired_functional_account(obj) if obj is not None else None
    wanted = logins_by_context(deps, object_id, account) if account else {}
    for cid in sorted(set(wanted) | set(old)):
        _sync_context(deps, cid, account, wanted.get(cid, {}), old.get(cid))
    if account is None:
        return None
    return ObjectState(
        object_id,
        TYPE,
        dn,
        obj,
        tuple(Placement(cid, None, account.address) for cid in sorted(wanted)),
    )


def logins_by_context(
    deps: Deps, object_id: str, account: DesiredFunctionalAccount
) -> dict[int, dict[int, str]]:
    """context id -> {OX user id: login} for every provisioned member."""
    out: dict[int, dict[int, str]] = {}
    template = deps.options.fa_login
    for user in _members(deps, account):
        placement = user.placements[0]
        lookup = {
            **user_lookup(user.id, user.dn, user.object),
            "fa_entry_uuid": object_id,
            "fa_email_address": account.address,
        }
        out.setdefault(placement.context_id, {})[placement.ox_id] = template.render(lookup)
    return out


def _members(deps: Deps, account: DesiredFunctionalAccount) -> list[ObjectState]:
    user_dns = list(account.user_dns)
    for group_dn in account.group_dns:
        group = deps.store.find_by_dn(group_dn)
        if group is not None and group.udm_object_type == "groups/group":
            user_dns += [m for m in group.object.get("users") or [] if isinstance(m, str)]
    found: dict[str, ObjectState] = {}
    for user_dn in dict.fromkeys(user_dns):
        user = deps.store.find_by_dn(user_dn)
        if user is not None and user.udm_object_type == "users/user" and user.placements:
            found.setdefault(user.id, user)
    return list(found.values())


def _sync_context(
    deps: Deps,
    cid: int,
    account: DesiredFunctionalAccount | None,
    logins: dict[int, str],
    old_address: str | None,
) -> None:
    context = {"id": cid}
    if old_address and (account is None or old_address != account.address or not logins):
        _delete_everywhere(deps, cid, old_address)
        if account is None or not logins:
            return
    if not logins:
        return
    have = {}
    for entry in deps.ox.call(SERVICE, "list", context=context) or []:
        entry = as_dict(entry)
        if (entry.get("primaryAddress") or "").lower() == account.address:
            have[entry["userId"]] = entry
    for uid in sorted(set(have) - set(logins)):
        deps.ox.call(
            SERVICE,
            "delete",
            primaryAddress=account.address,
            context=context,
            users=[{"id": uid}],
            groups=[],
        )
        log.info(
            "functional account removed from user",
            extra={"address": account.address, "context_id": cid, "ox_id": uid},
        )
    for uid, login in sorted(logins.items()):
        entry = have.get(uid)
        if entry is None:
            deps.ox.call(
                SERVICE,
                "create",
                accountDataOnCreate=account.account_data(login),
                context=context,
                users=[{"id": uid}],
                groups=[],
            )
            log.info(
                "functional account added to user",
                extra={"address": account.address, "context_id": cid, "ox_id": uid},
            )
        elif (entry.get("name"), entry.get("personal") or "", entry.get("login")) != (
            account.name,
            account.personal,
            login,
        ):
            deps.ox.call(
                SERVICE,
                "update",
                primaryAddress=account.address,
                accountDataUpdate={
                    "name": account.name,
                    "personal": account.personal,
                    "login": login,
                },
                context=context,
                users=[{"id": uid}],
                groups=[],
            )
            log.info(
                "functional account changed",
                extra={"address": account.address, "context_id": cid, "ox_id": uid},
            )


def _delete_everywhere(deps: Deps, cid: int, address: str) -> None:
    """Remove the address's accounts from every user of the context (OX's group 0)."""
    try:
        deps.ox.call(
            SERVICE,
            "delete",
            primaryAddress=address,
            context={"id": cid},
            users=[],
            groups=[ALL_USERS],
        )
    except AuthenticationFailed:
        if deps.ox.master is not None and not context_exists(deps.ox, cid):
            return  # the context, and the accounts with it, are gone
        raise
    log.info(
        "functional account removed from context", extra={"address": address, "context_id": cid}
    )
