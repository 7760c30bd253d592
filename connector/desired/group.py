"""UDM ``groups/group`` -> the OX groups it should be: one per context that has enabled
members, with those members (pure; member look-ups are passed in)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import values

OX_DEFAULT_GROUP = "users"  # OX's own group of all users: a UDM group of that name is not synced


@dataclass(frozen=True)
class DesiredGroup:
    enabled: bool
    name: str
    member_dns: tuple[str, ...]

    @property
    def synced(self) -> bool:
        return self.enabled and self.name.lower() != OX_DEFAULT_GROUP


def desired_group(obj: dict[str, Any], identifier: str = "name") -> DesiredGroup:
    name = values.single_text(identifier, obj.get(identifier), "the OX group name")
    name = values.clean(identifier, name, one_line=True)
    members = values.many("users", obj.get("users"), "a list of user DNs")
    return DesiredGroup(
        values.enabled_flag("isOxGroup", obj.get("isOxGroup")), name, tuple(dict.fromkeys(members))
    )


def members_by_context(
    member_dns: tuple[str, ...], placement_of: Callable[[str], tuple[int, int] | None]
) -> dict[int, list[int]]:
    """OX member ids per context. ``placement_of(dn)`` gives (context id, OX user id) of a
    synced, enabled user, else None (unknown, disabled or not yet provisioned users are not
    members, as OX cannot hold them)."""
    out: dict[int, list[int]] = {}
    for dn in member_dns:
        placed = placement_of(dn)
        if placed is not None:
            out.setdefault(placed[0], []).append(placed[1])
    return {cid: sorted(set(ids)) for cid, ids in out.items()}
