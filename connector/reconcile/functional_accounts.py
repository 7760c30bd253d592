"""``oxmail/functional_account``: one OX secondary account per member user, in that
user's context. Members are the account's users plus the users of its groups, as the
state store knows them (provisioned, enabled users only).

Desired state per context: list the accounts with this address, then create only the
missing members' accounts, update changed ones and delete the ones of users who are no
longer members; nothing is deleted and re-created wholesale.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Hashable
from typing import Any

from ..desired.errors import InvalidAttribute
from ..desired.functional_account import DesiredFunctionalAccount, desired_functional_account
from ..desired.templates import user_lookup
from ..model.change import ObjectChange
from ..model.kinds import Kind
from ..model.udm import as_list
from ..ox import AuthenticationFailed
from ..state.store import ObjectState, Placement
from .deps import Deps
from .handler import Finding, KindHandler, digest
from .ownership import context_gone

log = logging.getLogger("ox_connector.reconcile")


class FunctionalAccountHandler(KindHandler):
    kind = Kind.FUNCTIONAL_ACCOUNT
    has_drift_check = True

    def apply(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any], prior: ObjectState | None
    ) -> ObjectState:
        account = desired_functional_account(obj)
        wanted = logins_by_context(deps, object_id, account)
        _sync(deps, _old_addresses(prior), account, wanted)
        placements = tuple(Placement(cid, None, account.address) for cid in sorted(wanted))
        return ObjectState(object_id, self.kind.value, dn, obj, placements)

    def delete(self, deps: Deps, object_id: str, dn: str, prior: ObjectState | None) -> None:
        _sync(deps, _old_addresses(prior), None, {})

    def fingerprint(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any]
    ) -> dict[str, str]:
        """The account and, per context, its members' OX ids and logins."""
        account = desired_functional_account(obj)
        return {"account": digest((account, logins_by_context(deps, object_id, account)))}

    def conflict_keys(
        self, deps: Deps, change: ObjectChange, prior: ObjectState | None
    ) -> frozenset[Hashable]:
        """OX keeps one account per address and user: the addresses before and after."""
        keys = set(super().conflict_keys(deps, change, prior))
        if change.object is not None:
            with contextlib.suppress(InvalidAttribute):
                keys.add(("account", desired_functional_account(change.object).address))
        keys |= {("account", address) for address in _old_addresses(prior).values() if address}
        return frozenset(keys)

    def drift(self, deps: Deps, cid: int, stored: list[ObjectState]) -> list[Finding]:
        have: dict[tuple[str, int], dict[str, Any]] = {
            ((a.get("primaryAddress") or "").lower(), a["userId"]): a
            for a in deps.ox.accounts.list(cid)
        }
        out: list[Finding] = []
        expected = set()
        for state in stored:
            account = desired_functional_account(state.object)
            logins = logins_by_context(deps, state.id, account).get(cid, {})
            for uid, login in logins.items():
                expected.add((account.address, uid))
                entry = have.get((account.address, uid))
                name = f"{account.address} (user {uid})"
                found = (state.id, state.dn, uid)
                if entry is None:
                    out.append(Finding("missing", self.kind.value, cid, name, *found))
                elif _differs(entry, account, login):
                    fields = ("name", "personal", "login")
                    out.append(Finding("different", self.kind.value, cid, name, *found, fields))
        for address, uid in have:
            if (address, uid) not in expected:
                name = f"{address} (user {uid})"
                # an orphan has no directory object: its address stands where the DN would
                out.append(Finding("orphan", self.kind.value, cid, name, ox_id=uid, dn=address))
        return out

    def delete_orphan(self, deps: Deps, finding: Finding) -> None:
        if finding.ox_id is not None and finding.dn is not None:
            deps.ox.accounts.delete(finding.context_id, finding.dn, user_ids=[finding.ox_id])


def logins_by_context(
    deps: Deps, object_id: str, account: DesiredFunctionalAccount
) -> dict[int, dict[int, str]]:
    """context id -> {OX user id: login} for every provisioned member."""
    out: dict[int, dict[int, str]] = {}
    template = deps.options.fa_login
    for user in _members(deps, account):
        placement = user.placements[0]
        if placement.ox_id is None:
            continue
        lookup = {
            **user_lookup(user.id, user.dn, user.object),
            "fa_entry_uuid": object_id,
            "fa_email_address": account.address,
        }
        out.setdefault(placement.context_id, {})[placement.ox_id] = template.render(lookup)
    return out


def _old_addresses(prior: ObjectState | None) -> dict[int, str | None]:
    return {p.context_id: p.ox_name for p in prior.placements} if prior else {}


def _sync(
    deps: Deps,
    old: dict[int, str | None],
    account: DesiredFunctionalAccount | None,
    wanted: dict[int, dict[int, str]],
) -> None:
    for cid in sorted(set(wanted) | set(old)):
        _sync_context(deps, cid, account, wanted.get(cid, {}), old.get(cid))


def _members(deps: Deps, account: DesiredFunctionalAccount) -> list[ObjectState]:
    user_dns = list(account.user_dns)
    for group_dn in account.group_dns:
        group = deps.store.find_by_dn(group_dn)
        if group is not None and group.udm_object_type == Kind.GROUP.value:
            user_dns += [m for m in as_list(group.object.get("users")) if isinstance(m, str)]
    found: dict[str, ObjectState] = {}
    for user_dn in dict.fromkeys(user_dns):
        user = deps.store.find_by_dn(user_dn)
        if user is not None and user.udm_object_type == Kind.USER.value and user.placements:
            found.setdefault(user.id, user)
    return list(found.values())


def _differs(entry: dict[str, Any], account: DesiredFunctionalAccount, login: str) -> bool:
    have = (entry.get("name"), entry.get("personal") or "", entry.get("login"))
    return have != (account.name, account.personal, login)


def _sync_context(
    deps: Deps,
    cid: int,
    account: DesiredFunctionalAccount | None,
    logins: dict[int, str],
    old_address: str | None,
) -> None:
    if old_address and (account is None or old_address != account.address or not logins):
        _delete_everywhere(deps, cid, old_address)
        if account is None or not logins:
            return
    if account is None or not logins:
        return
    address = account.address
    have: dict[int, dict[str, Any]] = {}
    for listed in deps.ox.accounts.list(cid):
        if (listed.get("primaryAddress") or "").lower() == address:
            have[listed["userId"]] = listed
    where = {"address": address, "context_id": cid}
    for uid in sorted(set(have) - set(logins)):
        deps.ox.accounts.delete(cid, address, user_ids=[uid])
        log.info("functional account removed from user", extra={**where, "ox_id": uid})
    for uid, login in sorted(logins.items()):
        entry = have.get(uid)
        if entry is None:
            deps.ox.accounts.create(cid, account.account_data(login), [uid])
            log.info("functional account added to user", extra={**where, "ox_id": uid})
        elif _differs(entry, account, login):
            data = {"name": account.name, "personal": account.personal, "login": login}
            deps.ox.accounts.update(cid, address, data, [uid])
            log.info("functional account changed", extra={**where, "ox_id": uid})


def _delete_everywhere(deps: Deps, cid: int, address: str) -> None:
    """Remove the address's accounts from every user of the context (OX's group 0)."""
    try:
        deps.ox.accounts.delete(cid, address, group_ids=[deps.ox.accounts.ALL_USERS])
    except AuthenticationFailed:
        if context_gone(deps, cid):
            return  # the context, and the accounts with it, are gone
        raise
    log.info(
        "functional account removed from context", extra={"address": address, "context_id": cid}
    )
