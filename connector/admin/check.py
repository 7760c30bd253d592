"""``ox-connector check``: drift between OX and what the connector last applied.

For every context the connector manages it reads what OX holds (users in batches with
getMultipleData, groups, resources, functional-account entries) and compares it with the
desired state computed from the state store: *missing* (the connector placed it, OX lacks
it), *different* (OX differs in a managed field), *orphan* (in OX, in a managed context,
unknown to the connector; the context admin and OX's group "users" excepted).
``fix`` re-applies the stored objects of missing/different findings and, with ``prune``,
deletes orphans. Module access is not compared (one call per user): ``resync`` covers it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..desired.errors import InvalidAttribute
from ..desired.functional_account import desired_functional_account
from ..desired.group import desired_group, members_by_context
from ..desired.resource import desired_resource
from ..desired.user import desired_user
from ..ox import NotFound, as_dict
from ..queue import Change
from ..reconcile import Reconciler
from ..reconcile.compare import differing, user_changes
from ..reconcile.deps import Deps
from ..reconcile.functional_accounts import logins_by_context
from ..reconcile.groups import member_placement
from ..state.store import ObjectState

log = logging.getLogger("ox_connector.check")
BATCH = 100  # users per getMultipleData
USER, GROUP, RESOURCE, ACCOUNT = (
    "users/user",
    "groups/group",
    "oxresources/oxresources",
    "oxmail/functional_account",
)
DEFAULT_GROUP_ID = 1


@dataclass(frozen=True)
class Finding:
    problem: str  # missing | different | orphan
    udm_object_type: str
    context_id: int
    name: str
    object_id: str | None = None  # the directory object (None for orphans)
    dn: str | None = None
    ox_id: int | None = None
    fields: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


def managed_contexts(deps: Deps) -> list[int]:
    ids = {p.context_id for s in deps.store.all() for p in s.placements}
    return sorted(ids)


def check(
    deps: Deps,
    contexts: list[int] | None = None,
    progress: Callable[[str, int], None] = lambda what, cid: None,
) -> list[Finding]:
    findings: list[Finding] = []
    for cid in contexts if contexts is not None else managed_contexts(deps):
        stored = [s for s in deps.store.in_context(cid)]
        for kind, compare in (
            (USER, _users),
            (GROUP, _groups),
            (RESOURCE, _resources),
            (ACCOUNT, _accounts),
        ):
            progress(kind, cid)
            findings += compare(deps, cid, [s for s in stored if s.udm_object_type == kind])
    return findings


def _users(deps: Deps, cid: int, stored: list[ObjectState]) -> list[Finding]:
    ox, opts = deps.ox, deps.options
    ids = [u.id for u in ox.call("OXUserService", "listAll", ctx={"id": cid}) or []]
    actual: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), BATCH):
        batch = [{"id": i} for i in ids[start : start + BATCH]]
        for user in ox.call("OXUserService", "getMultipleData", ctx={"id": cid}, users=batch) or []:
            actual[user.id] = as_dict(user)

    def differences(state: ObjectState, user: dict[str, Any]) -> list[str]:
        try:
            wanted = desired_user(
                state.object,
                opts.defaults,
                opts.user_identifier,
                opts.user_fields,
                opts.imap_login,
                state.id,
                state.dn,
            )
        except InvalidAttribute:
            return []  # the run reports it where it is applied
        changes = user_changes({**wanted.fields, "name": wanted.name}, user)
        if user.get("maxQuota", -1) == -1:
            changes.pop("maxQuota", None)  # OX keeps none without a filestore (see users.py)
        return list(changes)

    return _compare(
        USER, cid, stored, actual, differences, own=lambda user: bool(user.get("contextadmin"))
    )


def _groups(deps: Deps, cid: int, stored: list[ObjectState]) -> list[Finding]:
    actual = {
        g["id"]: g
        for g in map(as_dict, deps.ox.call("OXGroupService", "listAll", ctx={"id": cid}) or [])
    }

    def differences(state: ObjectState, group: dict[str, Any]) -> list[str]:
        wanted = desired_group(state.object, deps.options.group_identifier)
        members = members_by_context(wanted.member_dns, lambda dn: member_placement(deps, dn))
        return [
            f
            for f, want, have in (
                ("name", wanted.name, group.get("name")),
                ("displayname", wanted.name, group.get("displayname")),
                ("members", members.get(cid, []), sorted(group.get("members") or [])),
            )
            if want != have
        ]

    return _compare(
        GROUP, cid, stored, actual, differences, own=lambda group: group["id"] == DEFAULT_GROUP_ID
    )


def _resources(deps: Deps, cid: int, stored: list[ObjectState]) -> list[Finding]:
    actual = {
        r["id"]: r
        for r in map(as_dict, deps.ox.call("OXResourceService", "listAll", ctx={"id": cid}) or [])
    }

    def differences(state: ObjectState, res: dict[str, Any]) -> list[str]:
        wanted = desired_resource(state.object, deps.options.default_context)
        return list(differing({"name": wanted.name, **wanted.fields}, res))

    return _compare(RESOURCE, cid, stored, actual, differences)


def _compare(
    kind: str,
    cid: int,
    stored: list[ObjectState],
    actual: dict[int, dict[str, Any]],
    differences: Callable[[ObjectState, dict[str, Any]], list[str]],
    own: Callable[[dict[str, Any]], bool] = lambda obj: False,
) -> list[Finding]:
    """Missing, different and orphan users, groups or resources of one context, by OX id.
    ``differences``: the managed fields OX has otherwise; ``own``: OX's own objects (the
    context admin, the group "users"), never orphans."""
    out, placed = [], set()
    for state in stored:
        p = state.placement(cid)
        placed.add(p.ox_id)
        obj = actual.get(p.ox_id)
        if obj is None:
            out.append(Finding("missing", kind, cid, p.ox_name, state.id, state.dn, p.ox_id))
            continue
        fields = differences(state, obj)
        if fields:
            out.append(
                Finding(
                    "different",
                    kind,
                    cid,
                    p.ox_name,
                    state.id,
                    state.dn,
                    p.ox_id,
                    tuple(sorted(fields)),
                )
            )
    for ox_id, obj in actual.items():
        if ox_id not in placed and not own(obj):
            out.append(Finding("orphan", kind, cid, obj.get("name") or str(ox_id), ox_id=ox_id))
    return out


def _accounts(deps: Deps, cid: int, stored: list[ObjectState]) -> list[Finding]:
    entries = [
        as_dict(a)
        for a in deps.ox.call("OXSecondaryAccountService", "list", context={"id": cid}) or []
    ]
    have: dict[tuple[str, int], dict[str, Any]] = {
        ((a.get("primaryAddress") or "").lower(), a["userId"]): a for a in entries
    }
    out, expected = [], set()
    for state in stored:
        account = desired_functional_account(state.object)
        logins = logins_by_context(deps, state.id, account).get(cid, {})
        for uid, login in logins.items():
            expected.add((account.address, uid))
            entry = have.get((account.address, uid))
            name = f"{account.address} (user {uid})"
            if entry is None:
                out.append(Finding("missing", ACCOUNT, cid, name, state.id, state.dn, uid))
            elif (entry.get("name"), entry.get("personal") or "", entry.get("login")) != (
                account.name,
                account.personal,
                login,
            ):
                out.append(
                    Finding(
                        "different",
                        ACCOUNT,
                        cid,
                        name,
                        state.id,
                        state.dn,
                        uid,
                        ("name", "personal", "login"),
                    )
                )
    for address, uid in have:
        if (address, uid) not in expected:
            out.append(
                Finding("orphan", ACCOUNT, cid, f"{address} (user {uid})", ox_id=uid, dn=address)
            )
    return out


def fix(
    deps: Deps, reconciler: Reconciler, findings: list[Finding], prune: bool = False
) -> dict[str, int]:
    """Re-apply the stored objects behind missing/different findings (each once); delete
    orphans only with ``prune``."""
    done = {"reapplied": 0, "pruned": 0}
    for object_id in dict.fromkeys(f.object_id for f in findings if f.object_id):
        state = deps.store.get(object_id)
        if state is None:
            continue
        reconciler.apply(
            Change(
                state.id,
                state.udm_object_type,
                state.dn,
                state.object,
                (),
                Path(f"check-{state.id}.json"),
                "check",
            )
        )
        done["reapplied"] += 1
    if prune:
        for f in (f for f in findings if f.problem == "orphan"):
            try:
                _delete_orphan(deps, f)
            except NotFound:
                pass
            done["pruned"] += 1
            log.info(
                "orphan deleted",
                extra={
                    "udm_object_type": f.udm_object_type,
                    "context_id": f.context_id,
                    "ox_name": f.name,
                },
            )
    return done


def _delete_orphan(deps: Deps, f: Finding) -> None:
    ctx = {"id": f.context_id}
    if f.udm_object_type == USER:
        deps.ox.call("OXUserService", "delete", ctx=ctx, user={"id": f.ox_id})
    elif f.udm_object_type == GROUP:
        deps.ox.call("OXGroupService", "delete", ctx=ctx, grp={"id": f.ox_id})
    elif f.udm_object_type == RESOURCE:
        deps.ox.call("OXResourceService", "delete", ctx=ctx, res={"id": f.ox_id})
    else:
        deps.ox.call(
            "OXSecondaryAccountService",
            "delete",
            primaryAddress=f.dn,
            context={"id": f.context_id},
            users=[{"id": f.ox_id}],
            groups=[],
        )
