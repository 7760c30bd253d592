"""The interface every kind handler implements, and the drift finding it reports."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from ..model.change import ObjectChange
from ..model.kinds import Kind
from ..state.store import ObjectState, Placement
from .deps import Deps
from .errors import NameHeldByOther


@dataclass(frozen=True)
class Finding:
    """One drift between OX and what the connector last applied (``ox-connector check``)."""

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


class KindHandler:
    """How one UDM kind becomes OX objects. One instance per kind, in ``registry``.

    ``apply`` and ``delete`` make OX match and return what the state store keeps; they read
    OX before writing, so applying the same object twice writes nothing the second time.
    The rest has defaults for kinds that hold no names or addresses in OX (contexts,
    access profiles) and have nothing ``check`` compares.
    """

    kind: ClassVar[Kind]
    has_drift_check: ClassVar[bool] = False  # does ``drift`` compare OX objects in contexts?

    def apply(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any], prior: ObjectState | None
    ) -> ObjectState:
        """Make OX hold this object as it is now; the state to store for it."""
        raise NotImplementedError

    def delete(self, deps: Deps, object_id: str, dn: str, prior: ObjectState | None) -> None:
        """Remove what the object placed in OX (``prior``: its stored state, if any)."""
        raise NotImplementedError

    def conflict_keys(
        self, deps: Deps, change: ObjectChange, prior: ObjectState | None
    ) -> frozenset[Hashable]:
        """What applying this change may touch besides OX objects no other step touches:
        the object itself, the names and mail addresses it holds before and after, the
        stored objects it re-applies. Two steps sharing a key never run at the same time,
        and keep their queue order. An unusable value adds nothing: that step fails."""
        return frozenset({("object", change.id)})

    def fingerprint(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any]
    ) -> dict[str, str]:
        """Digests of the OX state this object asks for (with what it depends on, such as
        its members' OX ids), by part. While they equal the stored ones and OX was read
        less than ``verify_after`` ago, applying the object again changes nothing and is
        skipped. Empty: always apply (kinds that cost no OX call when unchanged)."""
        return {}

    def prefetch(self, deps: Deps, changes: list[tuple[ObjectChange, ObjectState | None]]) -> None:
        """Read ahead, in batches, what the coming ``apply`` calls of these changes will
        read one by one (users: getMultipleData). Nothing to do for most kinds."""

    def releases(self, deps: Deps, held: NameHeldByOther, obj: dict[str, Any]) -> bool:
        """Would this object, changed to ``obj``, give up the name or address it holds?"""
        return False

    def park(self, deps: Deps, held: NameHeldByOther) -> str:
        """Move the holder's OX object to a temporary name or address; returns it."""
        raise held

    def referring(
        self, deps: Deps, dns: list[str], prior: ObjectState | None, new: ObjectState | None
    ) -> Iterable[tuple[Kind, list[str]]]:
        """Kinds whose stored objects derive from this one and must be re-applied after
        it changed as from ``prior`` to ``new``, each with the member DNs to look for."""
        return ()

    def drift(self, deps: Deps, cid: int, stored: list[ObjectState]) -> list[Finding]:
        """Missing, different and orphan OX objects of this kind in one context."""
        return []

    def delete_orphan(self, deps: Deps, finding: Finding) -> None:
        """Delete an OX object of this kind that no directory object owns."""
        raise NotImplementedError(f"{self.kind.value} has no orphans to delete")


def is_fresh(deps: Deps, state: ObjectState) -> bool:
    """Was OX read for this object less than ``verify_after`` seconds ago?"""
    if state.verified is None or deps.options.verify_after <= 0:
        return False
    return 0 <= time.time() - state.verified < deps.options.verify_after


def digest(value: Any) -> str:
    """A stable digest of a desired state (dataclasses, dicts, lists, dates, bytes)."""
    text = json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(str(v) for v in value)
    if isinstance(value, bytes):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    return value


def referring_keys(deps: Deps, dns: Iterable[str], depth: int = 2) -> set[Hashable]:
    """Keys of the stored objects listing these DNs as members (groups, functional
    accounts), and, ``depth`` 2, of those listing such a group: what a change of a member
    may re-apply."""
    keys: set[Hashable] = set()
    frontier = [dn for dn in dns if dn]
    for _ in range(depth):
        found = [state for dn in frontier for state in deps.store.referencing(dn)]
        keys |= {("object", state.id) for state in found}
        frontier = [state.dn for state in found]
    return keys


def only_placement(state: ObjectState | None) -> Placement | None:
    """The placement of an object that lives in one context (users, resources)."""
    return state.placements[0] if state and state.placements else None


def compare_by_id(
    kind: Kind,
    cid: int,
    stored: list[ObjectState],
    actual: dict[int, dict[str, Any]],
    differences: Callable[[ObjectState, dict[str, Any]], list[str]],
    own: Callable[[dict[str, Any]], bool] = lambda obj: False,
) -> list[Finding]:
    """Missing, different and orphan users, groups or resources of one context, by OX id.
    ``differences``: the managed fields OX has otherwise; ``own``: OX's own objects (the
    context admin, the group "users"), never orphans."""
    out: list[Finding] = []
    placed: set[int | None] = set()
    for state in stored:
        p = state.placement(cid)
        if p is None:
            continue
        placed.add(p.ox_id)
        obj = actual.get(p.ox_id) if p.ox_id is not None else None
        name = p.ox_name or ""
        if obj is None:
            out.append(Finding("missing", kind.value, cid, name, state.id, state.dn, p.ox_id))
            continue
        fields = differences(state, obj)
        if fields:
            out.append(
                Finding(
                    "different",
                    kind.value,
                    cid,
                    name,
                    state.id,
                    state.dn,
                    p.ox_id,
                    tuple(sorted(fields)),
                )
            )
    for ox_id, obj in actual.items():
        if ox_id not in placed and not own(obj):
            name = obj.get("name") or str(ox_id)
            out.append(Finding("orphan", kind.value, cid, name, ox_id=ox_id))
    return out
