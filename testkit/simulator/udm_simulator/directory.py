"""The directory simulator: UDM's semantics for the modules the OX Connector listens to,
writing one converter-format queue file per LDAP change.

What it models (UCS 5 with the OX Connector app installed):

- DNs as UDM builds them, a random entryUUID per object that survives renames and moves;
- the defaults the app's extended attributes and hooks set (``isOxUser`` "Not",
  ``oxContext`` the default context, ``oxAccess`` "premium", ``oxDisplayName``
  "<firstname> <lastname>" and kept following first/last name while it still matches,
  ``oxLanguage``, ``oxTimeZone``, ``oxUserQuota`` "-1"; resources in the default context);
- UDM's refusals (``UDMError``): unknown properties, syntax, required and unchangeable
  properties, unique usernames / group names / context ids / mail addresses, removal of
  what is still referenced;
- OpenLDAP's refint overlay: a user's or group's new DN (rename, move) or removal is
  written into the groups and functional accounts that list it, and each of those gets
  its own queue file after the one of the changed object, as the listener sees it;
- a user's ``groups`` is the back-reference of the groups' ``users``; changing it on the
  user changes (and queues) those groups, as UDM does.

Every change writes exactly the files the App Center converter would write, in order; an
operation UDM refuses writes nothing and changes nothing.
"""

from __future__ import annotations

import copy
import itertools
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import dn as dnlib
from .converter import MAX_RUNS, run_like_converter
from .errors import (
    InvalidValue,
    NoSuchObject,
    ObjectExists,
    ObjectInUse,
    ValueMayNotChange,
    ValueRequired,
)
from .modules import (
    ACCESS_PROFILES,
    CONTEXTS,
    DEFAULT_ACCESS_PROFILES,
    FUNCTIONAL_ACCOUNTS,
    GROUPS,
    RESOURCES,
    RIGHTS,
    USERS,
    Module,
    module,
)
from .queuefiles import QueueWriter, document, queued
from .values import MAIL_MULTI, enabled, normalise, syntax_errors

FIRST_UID, FIRST_GID = 2000, 5000
DOMAIN_USERS_GID = 5001
WRITE_ONLY = {USERS: frozenset({"password"})}  # accepted, never stored or queued (a hash in LDAP)


@dataclass(frozen=True)
class UDMObject:
    """One directory object as UDM shows it. ``properties`` is the caller's own copy."""

    id: str  # entryUUID
    module: str
    dn: str
    properties: dict[str, Any] = field(hash=False)
    options: tuple[str, ...] = ()

    @property
    def position(self) -> str:
        """The container the object lives in."""
        return dnlib.parent(self.dn)

    def __getitem__(self, prop: str) -> Any:
        return self.properties[prop]


@dataclass
class _Entry:
    id: str
    module: Module
    dn: str
    props: dict[str, Any]  # without the derived user ``groups``
    options: tuple[str, ...]


class Directory:
    """An LDAP directory behind UDM, feeding the converter's queue dir.

    ``base`` is the LDAP base, ``default_context`` the OX default context (UCR
    ``ox/context/id``, the ``oxContext`` default), ``language``/``timezone`` the
    ``oxLanguage``/``oxTimeZone`` defaults the join script derives from the host.
    """

    def __init__(
        self,
        queue_dir: Path | str,
        base: str = "dc=example,dc=org",
        default_context: int = 10,
        *,
        language: str = "de_DE",
        timezone: str = "Europe/Berlin",
        clock: Callable[[], float] = time.time,
    ):
        self.queue_dir = Path(queue_dir)
        self.base = base
        self.default_context = int(default_context)
        self.language = language
        self.timezone = timezone
        self._writer = QueueWriter(self.queue_dir, clock)
        self._entries: dict[str, _Entry] = {}  # by entryUUID, in creation order
        self._by_dn: dict[tuple, str] = {}
        self._uids = itertools.count(FIRST_UID)
        self._gids = itertools.count(FIRST_GID + 100)  # below: the UCS default groups

    # -- reading -------------------------------------------------------------------------
    def get(self, dn: str) -> UDMObject:
        """The object at ``dn``; NoSuchObject if there is none."""
        return self._view(self._entry(dn))

    def find(self, dn: str) -> UDMObject | None:
        entry = self._find(dn)
        return None if entry is None else self._view(entry)

    def by_id(self, object_id: str) -> UDMObject:
        try:
            return self._view(self._entries[object_id])
        except KeyError:
            raise NoSuchObject(f"no object with entryUUID {object_id}") from None

    def objects(self, module_name: str) -> list[UDMObject]:
        """All objects of one module, in creation order."""
        mod = module(module_name)
        return [self._view(e) for e in self._entries.values() if e.module is mod]

    def default_position(self, module_name: str) -> str:
        return f"{module(module_name).container},{self.base}"

    def queued(self) -> list[Path]:
        """The queue files not yet consumed by the connector, oldest first."""
        return queued(self.queue_dir)

    # -- changing ------------------------------------------------------------------------
    def create(
        self, module_name: str, properties: dict[str, Any], position: str | None = None
    ) -> UDMObject:
        """Create an object (``udm <module> create``); returns it with UDM's defaults."""
        mod = module(module_name)
        given = self._normalised(mod, properties)
        props = {**mod.empty(), **given}
        self._apply_defaults(mod, props, given)
        position = self._position(mod, position)
        new_dn = dnlib.build(mod.rdn_attr, self._naming_value(mod, props), position)
        self._check(mod, props, new_dn, own=None)
        self._check_dn_free(mod, new_dn, own=None)
        wanted_groups = self._group_targets(mod, given)
        entry = _Entry(
            str(uuid.uuid4()),
            mod,
            new_dn,
            {k: v for k, v in props.items() if not self._derived(mod, k)},
            mod.options,
        )
        self._add(entry)
        self._queue(entry)
        if wanted_groups is not None:
            self._set_user_groups(entry, wanted_groups)
        return self._view(entry)

    def modify(self, dn: str, changes: dict[str, Any]) -> UDMObject:
        """Change properties (``udm <module> modify --set``). A new value of the naming
        property of users and groups renames the object (new DN, same entryUUID); None,
        "" or [] unset a property. A change that changes nothing writes no file."""
        entry = self._entry(dn)
        mod = entry.module
        given = self._normalised(mod, changes)
        old = self._props(entry)
        for prop in mod.unchangeable:
            if prop in given and given[prop] != old[prop]:
                raise ValueMayNotChange(
                    f'{mod.name} {entry.dn}: "{prop}" cannot be changed',
                    module=mod.name,
                    dn=entry.dn,
                    prop=prop,
                )
        props = {**old, **given}
        self._follow_display_name(mod, old, props, given)
        new_dn = dnlib.build(mod.rdn_attr, self._naming_value(mod, props), dnlib.parent(entry.dn))
        self._check(mod, props, new_dn, own=entry)
        self._check_dn_free(mod, new_dn, own=entry)
        wanted_groups = self._group_targets(mod, given)
        stored = {k: v for k, v in props.items() if not self._derived(mod, k)}
        if stored != entry.props or new_dn != entry.dn:
            old_dn = entry.dn
            entry.props = stored
            self._set_dn(entry, new_dn)
            self._queue(entry)
            if old_dn != new_dn:
                self._refint(old_dn, entry.dn)
        if wanted_groups is not None:
            self._set_user_groups(entry, wanted_groups)
        return self._view(entry)

    def move(self, dn: str, position: str) -> UDMObject:
        """Move the object to another container (``udm <module> move --position``)."""
        entry = self._entry(dn)
        new_dn = dnlib.build(
            entry.module.rdn_attr,
            self._naming_value(entry.module, entry.props),
            self._position(entry.module, position),
        )
        self._check_dn_free(entry.module, new_dn, own=entry)
        if new_dn != entry.dn:
            old_dn = entry.dn
            self._set_dn(entry, new_dn)
            self._queue(entry)
            self._refint(old_dn, entry.dn)
        return self._view(entry)

    def remove(self, dn: str) -> None:
        """Remove the object (``udm <module> remove``); queues ``object: null``."""
        entry = self._entry(dn)
        self._check_removable(entry)
        del self._entries[entry.id]
        del self._by_dn[dnlib.key(entry.dn)]
        self._writer.write(
            document(entry.id, entry.module.name, entry.dn, None, list(entry.options))
        )
        self._refint(entry.dn, None)

    def resync(self, dn: str) -> Path:
        """Queue the object as it is now, unchanged (a listener resync of one object)."""
        return self._queue(self._entry(dn))

    def sync(self, trigger: Callable[[], object], max_runs: int = MAX_RUNS) -> int:
        """Run the connector as the converter does until the queue is empty (see
        ``run_like_converter``); returns the number of runs, raises SyncError."""
        return run_like_converter(self.queue_dir, trigger, max_runs)

    def create_default_access_profiles(self) -> list[UDMObject]:
        """The seven access profiles the app's join script creates (none, webmail, ...,
        premium), each queued."""
        return [
            self.create(
                ACCESS_PROFILES,
                {"name": name, "displayName": display, **{r: r in granted for r in RIGHTS}},
            )
            for name, display, granted in DEFAULT_ACCESS_PROFILES
        ]

    # -- internals: lookup and views -----------------------------------------------------
    def _find(self, dn: str) -> _Entry | None:
        try:
            object_id = self._by_dn.get(dnlib.key(dn))
        except ValueError:
            return None
        return None if object_id is None else self._entries[object_id]

    def _entry(self, dn: str) -> _Entry:
        entry = self._find(dn)
        if entry is None:
            raise NoSuchObject(f"no such object: {dn}", dn=dn)
        return entry

    def _props(self, entry: _Entry) -> dict[str, Any]:
        props = copy.deepcopy(entry.props)
        if entry.module.name == USERS:
            props["groups"] = self._groups_of(entry.dn)
        return props

    def _view(self, entry: _Entry) -> UDMObject:
        return UDMObject(entry.id, entry.module.name, entry.dn, self._props(entry), entry.options)

    def _of(self, module_name: str) -> Iterable[_Entry]:
        return (e for e in self._entries.values() if e.module.name == module_name)

    def _groups_of(self, user_dn: str) -> list[str]:
        user = dnlib.key(user_dn)
        return [
            g.dn for g in self._of(GROUPS) if any(dnlib.key(m) == user for m in g.props["users"])
        ]

    @staticmethod
    def _derived(mod: Module, prop: str) -> bool:
        return mod.name == USERS and prop == "groups"

    # -- internals: input ----------------------------------------------------------------
    @staticmethod
    def _normalised(mod: Module, properties: dict[str, Any]) -> dict[str, Any]:
        skip = WRITE_ONLY.get(mod.name, frozenset())
        return {p: normalise(mod, p, v) for p, v in properties.items() if p not in skip}

    def _position(self, mod: Module, position: str | None) -> str:
        if position is None:
            return self.default_position(mod.name)
        try:
            below = dnlib.is_below(position, self.base)
        except ValueError:
            below = False
        if not below:
            raise InvalidValue(
                f'{mod.name}: position "{position}" is not a container below {self.base}',
                module=mod.name,
            )
        return position

    @staticmethod
    def _naming_value(mod: Module, props: dict[str, Any]) -> str:
        value = props.get(mod.naming)
        if value is None or not str(value).strip():
            raise ValueRequired(
                f'{mod.name}: "{mod.naming}" is required', module=mod.name, prop=mod.naming
            )
        return str(value)

    def _apply_defaults(self, mod: Module, props: dict[str, Any], given: dict[str, Any]) -> None:
        """What UDM, the app's extended attributes and its hooks fill in at creation."""

        def default(prop: str, value: Any) -> None:
            if prop not in given:
                props[prop] = value

        if mod.name == USERS:
            name = " ".join(p for p in (props["firstname"], props["lastname"]) if p)
            for prop, value in (
                ("isOxUser", "Not"),
                ("oxAccess", "premium"),
                ("oxContext", self.default_context),
                ("oxLanguage", self.language),
                ("oxTimeZone", self.timezone),
                ("oxUserQuota", "-1"),
                ("oxDisplayName", name or None),
                ("displayName", name or None),
                ("gecos", name or None),
                ("uidNumber", None),
                ("gidNumber", DOMAIN_USERS_GID),
                ("primaryGroup", f"cn=Domain Users,cn=groups,{self.base}"),
                ("unixhome", f"/home/{props['username']}"),
                ("shell", "/bin/bash"),
                ("disabled", "0"),
                ("locked", "0"),
            ):
                default(prop, value)
            if props["uidNumber"] is None:
                props["uidNumber"] = self._free_number(USERS, "uidNumber", self._uids)
        elif mod.name == GROUPS:
            default("isOxGroup", "Not")
            if props["gidNumber"] is None:
                props["gidNumber"] = self._free_number(GROUPS, "gidNumber", self._gids)
        elif mod.name == RESOURCES:
            default("oxContext", self.default_context)
            default("displayname", props["name"])
        elif mod.name == ACCESS_PROFILES:
            default("displayName", props["name"])  # the module's default "<name>"
            for right in RIGHTS:
                default(right, "FALSE")

    def _free_number(self, module_name: str, prop: str, numbers: Iterable[int]) -> int:
        used = {e.props.get(prop) for e in self._of(module_name)}
        return next(n for n in numbers if n not in used)

    @staticmethod
    def _follow_display_name(
        mod: Module, old: dict[str, Any], props: dict[str, Any], given: dict[str, Any]
    ) -> None:
        """The app's hook (Bug 34302): a display name that still is "<first> <last>"
        follows a change of first or last name."""
        if mod.name != USERS:
            return
        before = " ".join(p for p in (old["firstname"], old["lastname"]) if p)
        after = " ".join(p for p in (props["firstname"], props["lastname"]) if p)
        for prop in ("oxDisplayName", "displayName"):
            if prop not in given and old[prop] == before and before != after:
                props[prop] = after or None

    # -- internals: UDM's checks ---------------------------------------------------------
    def _check(self, mod: Module, props: dict[str, Any], new_dn: str, own: _Entry | None) -> None:
        where = f"{mod.name} {new_dn}"
        for prop, reason in syntax_errors(mod, props):
            raise InvalidValue(f'{where}: "{prop}" {reason}', module=mod.name, dn=new_dn, prop=prop)
        required = list(mod.required)
        if mod.name == USERS and enabled(props["isOxUser"]):
            # the app's oxAccess hook: an OX user needs these
            required += ["firstname", "mailPrimaryAddress", "oxDisplayName"]
        for prop in required:
            if props.get(prop) in (None, "", []):
                extra = " for an OX user (isOxUser OK)" if prop not in mod.required else ""
                raise ValueRequired(
                    f'{where}: "{prop}" is required{extra}', module=mod.name, dn=new_dn, prop=prop
                )
        self._check_unique(mod, props, new_dn, own)
        self._check_references(mod, props, new_dn)

    def _check_unique(
        self, mod: Module, props: dict[str, Any], new_dn: str, own: _Entry | None
    ) -> None:
        others = [e for e in self._entries.values() if e is not own]
        where = f"{mod.name} {new_dn}"
        if mod.name in (USERS, GROUPS):
            # UDM keeps usernames and group names apart (one uid/cn lock namespace)
            name = props[mod.naming].lower()
            for e in others:
                if e.module.name in (USERS, GROUPS) and e.props[e.module.naming].lower() == name:
                    what = "username" if e.module.name == USERS else "group name"
                    raise ObjectExists(
                        f'{where}: "{props[mod.naming]}" is already in use as {what} ({e.dn})',
                        module=mod.name,
                        dn=new_dn,
                        prop=mod.naming,
                    )
        if mod.name == CONTEXTS:
            for e in others:
                if e.module.name == CONTEXTS and e.props["contextid"] == props["contextid"]:
                    raise ObjectExists(
                        f"{where}: context id {props['contextid']} is already used by {e.dn}",
                        module=mod.name,
                        dn=new_dn,
                        prop="contextid",
                    )
        number = {USERS: "uidNumber", GROUPS: "gidNumber"}.get(mod.name)
        if number is not None and props.get(number) is not None:
            for e in others:
                if e.module is mod and e.props.get(number) == props[number]:
                    raise ObjectExists(
                        f"{where}: {number} {props[number]} is already used by {e.dn}",
                        module=mod.name,
                        dn=new_dn,
                        prop=number,
                    )
        taken = {address: (e, prop) for e in others for prop, address in _addresses(e)}
        for prop, address in _addresses_of(mod, props):
            if address in taken:
                holder, held_as = taken[address]
                raise ObjectExists(
                    f'{where}: mail address "{address}" ({prop}) is already '
                    f"used by {holder.dn} ({held_as})",
                    module=mod.name,
                    dn=new_dn,
                    prop=prop,
                )

    def _check_references(self, mod: Module, props: dict[str, Any], new_dn: str) -> None:
        """DN-valued properties must name existing objects of the right module."""
        targets = {
            (GROUPS, "users"): USERS,
            (FUNCTIONAL_ACCOUNTS, "users"): USERS,
            (FUNCTIONAL_ACCOUNTS, "groups"): GROUPS,
            (USERS, "groups"): GROUPS,
        }
        for (module_name, prop), target in targets.items():
            if mod.name != module_name:
                continue
            canonical = []
            for value in props.get(prop) or []:
                entry = self._find(value)
                if entry is None or entry.module.name != target:
                    raise InvalidValue(
                        f'{mod.name} {new_dn}: "{prop}": {value} is not a {target} object',
                        module=mod.name,
                        dn=new_dn,
                        prop=prop,
                    )
                canonical.append(entry.dn)
            props[prop] = list(dict.fromkeys(canonical))  # UDM stores each member once
        if mod.name == RESOURCES:
            admin = str(props["resourceadmin"])
            if not any(
                str(u.props["uidNumber"]) == admin and enabled(u.props["isOxUser"])
                for u in self._of(USERS)
            ):
                raise InvalidValue(
                    f'{mod.name} {new_dn}: "resourceadmin" {admin} is not the '
                    "uidNumber of an OX user",
                    module=mod.name,
                    dn=new_dn,
                    prop="resourceadmin",
                )

    def _check_dn_free(self, mod: Module, new_dn: str, own: _Entry | None) -> None:
        holder = self._find(new_dn)
        if holder is not None and holder is not own:
            raise ObjectExists(
                f"{mod.name}: an object {new_dn} already exists", module=mod.name, dn=new_dn
            )

    def _check_removable(self, entry: _Entry) -> None:
        mod, where = entry.module.name, f"{entry.module.name} {entry.dn}"
        users_and_resources = [*self._of(USERS), *self._of(RESOURCES)]
        if mod == CONTEXTS:
            cid = entry.props["contextid"]
            using = [e.dn for e in users_and_resources if e.props.get("oxContext") == cid]
            if using:
                raise ObjectInUse(
                    f"{where}: context {cid} is still used by {len(using)} "
                    f"object(s), e.g. {using[0]}",
                    module=mod,
                    dn=entry.dn,
                )
            if sum(1 for _ in self._of(CONTEXTS)) == 1:
                raise ObjectInUse(
                    f"{where}: the last OX context cannot be removed", module=mod, dn=entry.dn
                )
        elif mod == ACCESS_PROFILES:
            name = entry.props["name"]
            using = [u.dn for u in self._of(USERS) if u.props.get("oxAccess") == name]
            if using:
                raise ObjectInUse(
                    f'{where}: access profile "{name}" is still used by '
                    f"{len(using)} user(s), e.g. {using[0]}",
                    module=mod,
                    dn=entry.dn,
                )
        elif mod == USERS:
            uid = str(entry.props["uidNumber"])
            managed = [r.dn for r in self._of(RESOURCES) if str(r.props["resourceadmin"]) == uid]
            if managed:
                raise ObjectInUse(
                    f"{where}: the user administers the OX resource {managed[0]}",
                    module=mod,
                    dn=entry.dn,
                )

    # -- internals: writing --------------------------------------------------------------
    def _add(self, entry: _Entry) -> None:
        self._entries[entry.id] = entry
        self._by_dn[dnlib.key(entry.dn)] = entry.id

    def _set_dn(self, entry: _Entry, new_dn: str) -> None:
        del self._by_dn[dnlib.key(entry.dn)]
        entry.dn = new_dn
        self._by_dn[dnlib.key(new_dn)] = entry.id

    def _queue(self, entry: _Entry) -> Path:
        return self._writer.write(
            document(entry.id, entry.module.name, entry.dn, self._props(entry), list(entry.options))
        )

    def _refint(self, old_dn: str, new_dn: str | None) -> None:
        """OpenLDAP's refint overlay: replace (or drop) the DN in every member list that
        holds it; each changed object is a change of its own (a queue file)."""
        old = dnlib.key(old_dn)
        for entry in list(self._entries.values()):
            changed = False
            for prop in ("users", "groups"):
                if prop not in entry.module.multi or entry.module.name == USERS:
                    continue
                values = entry.props[prop]
                if any(dnlib.key(v) == old for v in values):
                    kept = [(new_dn if dnlib.key(v) == old else v) for v in values]
                    entry.props[prop] = [v for v in dict.fromkeys(kept) if v is not None]
                    changed = True
            if changed:
                self._queue(entry)

    def _group_targets(self, mod: Module, given: dict[str, Any]) -> list[_Entry] | None:
        """The groups a user should be in, when the caller sets the user's ``groups``."""
        if mod.name != USERS or "groups" not in given:
            return None
        return [self._entry(g) for g in given["groups"]]

    def _set_user_groups(self, user: _Entry, wanted: list[_Entry]) -> None:
        """UDM changes the groups (not the user) and each changed group is queued."""
        key = dnlib.key(user.dn)
        wanted_ids = {g.id for g in wanted}
        for group in list(self._of(GROUPS)):
            members = group.props["users"]
            has = any(dnlib.key(m) == key for m in members)
            if group.id in wanted_ids and not has:
                group.props["users"] = [*members, user.dn]
            elif group.id not in wanted_ids and has:
                group.props["users"] = [m for m in members if dnlib.key(m) != key]
            else:
                continue
            self._queue(group)


def _addresses_of(mod: Module, props: dict[str, Any]) -> list[tuple[str, str]]:
    """(property, lower-cased address) of the addresses UDM keeps unique across objects."""
    single = {
        USERS: ("mailPrimaryAddress",),
        RESOURCES: ("resourceMailAddress",),
        FUNCTIONAL_ACCOUNTS: ("mailPrimaryAddress",),
    }.get(mod.name, ())
    found = [(p, props[p].lower()) for p in single if props.get(p)]
    if mod.name == USERS:
        found += [(p, a.lower()) for p in MAIL_MULTI[:1] for a in props.get(p) or []]
    return list(dict.fromkeys(found))


def _addresses(entry: _Entry) -> list[tuple[str, str]]:
    return _addresses_of(entry.module, entry.props)
