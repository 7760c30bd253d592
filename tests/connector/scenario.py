"""A multi-kind provisioning scenario in two phases, and a name-based snapshot of OX.

Phase 1 (the base): context A, two access profiles, users, a group and two resources.
Phase 2 (the changes): a new context B, new users in both contexts (one edited three times,
one queued before its context's file would matter), an access-profile change that must
reach existing users, a user moved A -> B, a user disabled, a user deleted, groups spanning
both contexts (one queued before its members), a resource moved A -> B and a new one.

The snapshot identifies everything by name (OX ids and context ids differ between runs on
different context sets): ``{"A": {"users": {...}, "groups": {...}, "resources": {...}}}``.
"""

from __future__ import annotations

from typing import Any

from zeep.helpers import serialize_object

from .harness import Harness, user_dn

BASIC = {"name": "basic", "webmail": "TRUE", "contacts": "TRUE", "calendar": "TRUE"}
BASIC_WITH_TASKS = {**BASIC, "tasks": "TRUE"}
USER_KEYS = (
    "display_name",
    "given_name",
    "sur_name",
    "primaryEmail",
    "email1",
    "company",
    "mailenabled",
    "imapServer",
    "smtpServer",
    "language",
    "timezone",
)


def phase1(h: Harness) -> dict[str, int]:
    """The base: 11 files. Returns the context slots ({"A": cid})."""
    a = h.context()
    h.profile()
    h.profile(BASIC)
    for name in ("ed", "mover", "victim", "sleeper"):
        h.user(name, a)
    h.user("bea", a, oxAccess="basic")
    h.group("team", ["ed", "mover", "victim"])
    h.resource("van", a)
    h.resource("room", a)
    return {"A": a}


def phase2(h: Harness, slots: dict[str, int]) -> dict[str, int]:
    """The changes: 29 files. Returns the context slots ({"A": .., "B": ..})."""
    a = slots["A"]
    h.group("crew", ["n6", "n7", "sleeper"])  # before its members exist
    b = h.context()
    h.profile(BASIC_WITH_TASKS)  # bea (phase 1) and n3/n8 must end with tasks
    for i in range(1, 9):
        h.user(f"n{i}", a if i <= 4 else b, **({"oxAccess": "basic"} if i in (3, 8) else {}))
    h.user("ed", a, oxDisplayName="Ed the First")
    h.user("ed", a, oxDisplayName="Ed Edited", organisation="ACME")
    h.user("n2", a, lastname="Second")
    h.user("n2", a, lastname="Third", mailAlternativeAddress=["n2.alias@example.org"])
    h.user("mover", b, oxDisplayName="Mover Moved")
    h.user("sleeper", a, isOxUser="Not")
    h.delete("users/user", user_dn("victim"))
    h.group("team", ["ed", "mover", "n1", "n5", "victim"])
    h.group("all", [f"n{i}" for i in range(1, 9)])
    h.group("all", [f"n{i}" for i in range(1, 9)] + ["ed", "bea"])
    h.user("n9", b)
    h.user("n10", a, oxAccess="basic")
    h.group("crew", ["n6", "n7", "sleeper", "n9"])
    h.resource("van", b, description="moved")
    h.resource("desk", b)
    h.resource("room", a, displayname="Big Room")
    h.user("n4", a, isOxUser="Not")
    h.user("n4", a)  # re-enabled in the same queue: the newest wins
    return {"A": a, "B": b}


def snapshot(h: Harness, slots: dict[str, int]) -> dict[str, Any]:
    """OX as seen through the reference clients, by names, per context slot."""
    return {slot: _context_snapshot(h, cid) for slot, cid in sorted(slots.items())}


def _context_snapshot(h: Harness, cid: int) -> dict[str, Any]:
    ox, ctx, auth = h.ox, {"id": cid}, h.admin(cid)
    ids = ox.user.listAll(ctx=ctx, auth=auth) or []
    users = (
        ox.user.getMultipleData(ctx=ctx, users=[{"id": u.id} for u in ids], auth=auth)
        if ids
        else []
    )
    names = {u.id: u.name for u in users}
    out_users = {}
    for u in users:
        if u.contextadmin:
            continue
        data = serialize_object(u, dict)
        access = serialize_object(
            ox.user.getModuleAccess(ctx=ctx, user={"id": u.id}, auth=auth), dict
        )
        out_users[u.name] = {
            **{k: data.get(k) for k in USER_KEYS},
            "aliases": sorted(data.get("aliases") or []),
            "access": sorted(k for k, v in access.items() if v is True),
        }
    groups = ox.group.listAll(ctx=ctx, auth=auth) or []
    out_groups = {
        g.name: sorted(names.get(m, f"<unknown id {m}>") for m in g.members or [])
        for g in groups
        if g.id != 1
    }
    resources = ox.resource.listAll(ctx=ctx, auth=auth) or []
    out_resources = {
        r.name: {"displayname": r.displayname, "email": r.email, "description": r.description or ""}
        for r in resources
    }
    return {"users": out_users, "groups": out_groups, "resources": out_resources}
