"""Model-based test: random sequences of directory changes, and after every sync OX must
hold exactly what a plain Python model of the directory says it should.

``OXModelMachine`` (a Hypothesis ``RuleBasedStateMachine``) drives one backend per run
(``make_backend`` below builds it as ``conftest.backend`` does: embedded, or the UCS of
``OX_TEST_BACKEND=ucs``) through:

- contexts: create (with or without a quota), change the quota, remove (UDM refuses
  while users or resources use it);
- users: create (in any context, OX-enabled or not, with some mapped attributes,
  alternative addresses, a display name or UDM's "<first> <last>"), change first / last /
  display name (UDM's hook lets a display name that still is "<first> <last>" follow),
  set or unset mapped attributes, change the alternatives and the primary address
  (new ones, addresses other objects gave up before, the own primary as an alternative,
  an alternative promoted to primary), rename (also to names freed earlier), swap two
  users' names or primary addresses (three UDM changes through a new value, as an admin
  must do it), move to another context, enable / disable (``isOxUser``), remove (UDM
  refuses for a resource's admin);
- groups: create, rename, swap two groups' names, change members, enable / disable
  (``isOxGroup``), remove;
- resources: create, change display name / description / mail / admin, move to another
  context, remove;
- UDM's refusals on purpose: a username, group name or mail address that is taken.

Names and addresses come from ``backend.unique()``; freed ones are reused on purpose, so
that one connector run can see an object take what another one gave up. The machine
syncs after every ``cadence`` changes (1-5, drawn per run) and when the ``sync`` rule
fires, and once more at the end; after each sync it compares OX with the model, per
context: the context (name, quota), every user field by field (``USER_FIELDS`` and the
attributes in ``ATTRIBUTES``), every group's members by user name, every resource, and
that renames and changes keep the OX objects (ids) of users, groups and resources. On
the embedded backend a context the emulator counted no write to since it was last read
(``GET /emulator/changes``) is compared as read then, without reading it again: what the
model expects may have changed, OX's content has not. The final check of each run reads
every context, and on the ucs backend every check does. The
model is this module's own reading of the specification (``README.md``, the Univention
connector 2.1's behaviour): nothing of the connector's desired-state code
is used to compute expectations.

Examples and steps: the profile ``reference-ci`` (default) runs ``CI_EXAMPLES`` runs of
up to ``CI_STEPS`` steps, derandomized (the same sequences on every CI run: red means a
change broke them, not an unlucky draw); ``reference-thorough`` the profile's own
``max_examples`` and ``stateful_step_count``, new sequences each time;
``OX_TEST_STATE_MACHINE_EXAMPLES`` / ``_STEPS`` override both.
Each run prints one line (``pytest -s`` shows them) and the test a total and the steps
per rule; the test records ``state_machine_runs`` / ``state_machine_steps`` as properties
(junit XML), and every step is a Hypothesis ``event``.

A failure prints the shortest sequence Hypothesis found (``state = OXModelMachine()``,
then one line per rule with its arguments) and the OX differences. Shrinking runs a
fresh backend per attempt: expect minutes; the CI profile shrinks only the first
failure it finds (``report_multiple_bugs=False``), the thorough one all of them.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pytest
import requests
from hypothesis import Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from udm_simulator import (
    GROUPS,
    RESOURCES,
    USERS,
    InvalidValue,
    ObjectExists,
    ObjectInUse,
    UDMError,
)

from .backends import (
    EMBEDDED,
    UCS,
    Backend,
    EmbeddedBackend,
    UCSBackend,
    UCSConfig,
    selected_backend,
)
from .strategies import LIST_FIELDS, TEXT_FIELDS, attribute_values, names, texts

CI_EXAMPLES, CI_STEPS = 40, 50
MAX_EXTRA_CONTEXTS = 3  # contexts besides the default one, at a time

# The mapped users/user attributes the machine sets and unsets -> their OX fields.
ATTRIBUTES: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        **{
            p: (TEXT_FIELDS[p],)
            for p in (
                "title",
                "organisation",
                "oxDepartment",
                "city",
                "oxEmail2",
                "oxUserfield01",
                "oxNote",
            )
        },
        "phone": (LIST_FIELDS["phone", 0], LIST_FIELDS["phone", 1]),
    }
)
# The OX user fields compared besides the attributes (and "name", the key).
USER_FIELDS = ("given_name", "sur_name", "display_name", "primaryEmail", "email1", "aliases")
# How a rule picks a name or an address: a new one, or (an int) one given up earlier.
FRESH = "new"
REUSE = st.integers(0, 31)


def freshly_or_reused() -> st.SearchStrategy[Any]:
    return st.one_of(st.just(FRESH), REUSE)


# -- the model ---------------------------------------------------------------------------------


@dataclass
class Context:
    key: str
    cid: int
    dn: str | None  # None: the backend's default context (never changed or removed here)
    quota: int | None = None
    removed: bool = False


@dataclass
class User:
    key: str
    dn: str
    uid: str  # uidNumber, what resourceadmin refers to
    username: str
    context: str  # a Context key
    enabled: bool
    first: str
    last: str
    display: str
    primary: str
    alternatives: list[str]
    attributes: dict[str, Any]  # ATTRIBUTES set (absent = unset)
    ox_id: int | None = None  # seen at the last check
    new_ox_object: bool = True  # since the last check: may OX have a new id for it?

    def aliases(self) -> list[str]:
        return sorted({self.primary, *self.alternatives})


@dataclass
class Group:
    key: str
    dn: str
    name: str
    enabled: bool
    members: list[str]  # User keys
    ox_ids: dict[int, int] = field(default_factory=dict)  # cid -> id at the last check
    new_ox_object: bool = True  # since the last check: may a context's group be new?


@dataclass
class Resource:
    key: str
    dn: str
    name: str
    context: str
    displayname: str
    description: str | None
    email: str
    admin: str  # User key
    ox_id: int | None = None
    new_ox_object: bool = True


def display_of(first: str, last: str) -> str:
    return " ".join(p for p in (first, last) if p)


@dataclass
class Model:
    """What the directory holds, and from it what OX must hold."""

    contexts: dict[str, Context] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    free_names: list[str] = field(default_factory=list)  # usernames / group names given up
    free_rooms: list[str] = field(default_factory=list)  # resource names given up
    free_mails: list[str] = field(default_factory=list)  # addresses given up
    used_names: set[str] = field(default_factory=set)  # every name this run used

    def extra_contexts(self) -> int:
        """Contexts besides the default one that still exist."""
        return sum(c.dn is not None and not c.removed for c in self.contexts.values())

    # -- UDM's uniqueness rules --------------------------------------------------------------
    def name_holder(self, name: str) -> str | None:
        """The user or group that has this name (UDM: one namespace, case-insensitive)."""
        for obj in (*self.users.values(), *self.groups.values()):
            if (obj.username if isinstance(obj, User) else obj.name).lower() == name.lower():
                return obj.key
        return None

    def mails_in_use(self) -> set[str]:
        used = {r.email for r in self.resources.values()}
        for u in self.users.values():
            used |= {u.primary, *u.alternatives}
        return used

    def context_in_use(self, key: str) -> bool:
        return any(o.context == key for o in (*self.users.values(), *self.resources.values()))

    def administers(self, user_key: str) -> list[str]:
        return [r.key for r in self.resources.values() if r.admin == user_key]

    def is_ox_user(self, user_key: str) -> bool:
        return user_key in self.users and self.users[user_key].enabled

    # -- freed names and addresses -----------------------------------------------------------
    def release_name(self, name: str) -> None:
        self.free_names.append(name)

    def release_mails(self, addresses: Iterable[str]) -> None:
        still = self.mails_in_use()
        for a in addresses:
            if a not in still and a not in self.free_mails:
                self.free_mails.append(a)

    def groups_of(self, user_key: str) -> list[Group]:
        return [g for g in self.groups.values() if user_key in g.members]

    # -- OX ----------------------------------------------------------------------------------
    def expected(self, key: str) -> dict[str, Any]:
        """What OX must hold in the (live) context ``key``."""
        users = {
            u.username: expected_user(u)
            for u in self.users.values()
            if u.enabled and u.context == key
        }
        groups = {}
        for g in self.groups.values():
            members = sorted(
                self.users[m].username
                for m in g.members
                if self.users[m].enabled and self.users[m].context == key
            )
            if g.enabled and members:  # no OX group in a context without OX members
                groups[g.name] = {"displayname": g.name, "members": members}
        resources = {
            r.name: {"displayname": r.displayname, "description": r.description, "email": r.email}
            for r in self.resources.values()
            if r.context == key
        }
        return {"users": users, "groups": groups, "resources": resources}


def expected_user(u: User) -> dict[str, Any]:
    out = {
        "given_name": u.first,
        "sur_name": u.last,
        "display_name": u.display,
        "primaryEmail": u.primary,
        "email1": u.primary,
        "aliases": u.aliases(),
    }
    for prop, fields in ATTRIBUTES.items():
        value = u.attributes.get(prop)
        values = value if isinstance(value, list) else [value]
        for i, f in enumerate(fields):
            out[f] = values[i] if i < len(values) else None
    return out


def _text(value: Any) -> Any:
    """OX's unset text: None or "" (both mean empty)."""
    return value if value not in ("", None) else None


def actual_user(ox_user: dict[str, Any]) -> dict[str, Any]:
    out = {f: _text(ox_user.get(f)) for f in USER_FIELDS if f != "aliases"}
    out["aliases"] = sorted(set(ox_user.get("aliases") or []))
    for fields in ATTRIBUTES.values():
        out.update({f: _text(ox_user.get(f)) for f in fields})
    return out


def differences(expected: dict[str, Any], actual: dict[str, Any], path: str = "") -> list[str]:
    """Readable differences of two nested dicts (for assertion messages)."""
    out = []
    for k in sorted(set(expected) | set(actual), key=str):
        where = f"{path}{k}"
        if k not in actual:
            out.append(f"{where}: missing in OX (expected {expected[k]!r})")
        elif k not in expected:
            out.append(f"{where}: in OX but not expected ({actual[k]!r})")
        elif isinstance(expected[k], dict) and isinstance(actual[k], dict):
            out += differences(expected[k], actual[k], where + ".")
        elif expected[k] != actual[k]:
            out.append(f"{where}: expected {expected[k]!r}, OX has {actual[k]!r}")
    return out


@dataclass
class RunStats:
    steps: int = 0
    changes: int = 0
    syncs: int = 0
    refusals: int = 0
    reads: int = 0  # contexts read from OX by the checks
    reused: int = 0  # contexts compared as read before (no write to them since)
    seconds: float = 0.0
    counts: str = ""
    rules: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        return (
            f"state machine run: {self.steps} steps ({self.changes} directory changes, "
            f"{self.refusals} UDM refusals, {self.syncs} syncs checked, "
            f"{self.reads} contexts read, {self.reused} unchanged), "
            f"{self.counts}, {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class Reading:
    """What a check read of one OX context: the context (None: OX has none of that id)
    and its ``OXInspector.contents``."""

    context: dict[str, Any] | None
    contents: dict[str, dict[str, dict[str, Any]]]


def change_counts(backend: Backend) -> dict[int, int] | None:
    """The emulator's count of writes per context id (``GET /emulator/changes``), None
    where there is none: a real OX (the ucs backend) is always read in full."""
    if not isinstance(backend, EmbeddedBackend):
        return None
    response = requests.get(f"{backend.world.url}/emulator/changes", timeout=10)
    response.raise_for_status()
    return {int(cid): n for cid, n in response.json()["contexts"].items()}


class SyncFailed(AssertionError):
    """The connector could not apply the changes (the backend's sync failed)."""


# -- the machine -------------------------------------------------------------------------------


class OXModelMachine(RuleBasedStateMachine):
    contexts = Bundle("contexts")
    users = Bundle("users")
    groups = Bundle("groups")
    resources = Bundle("resources")

    def __init__(self, make_backend: Callable[[], Backend], report: Callable[[RunStats], None]):
        super().__init__()
        self.backend = make_backend()
        self.report = report
        self.model = Model()
        self.model.contexts["default"] = Context("default", self.backend.default_context, None)
        self.cadence = 1
        self.pending = 0  # changes since the last sync
        self.stats = RunStats()
        self.started = time.monotonic()
        self._keys = 0
        # cid -> (the emulator's change count when it was read, what was read)
        self.readings: dict[int, tuple[int | None, Reading]] = {}

    # -- helpers -----------------------------------------------------------------------------
    def _key(self, prefix: str) -> str:
        self._keys += 1
        return f"{prefix}{self._keys}"

    def _step(self, name: str) -> None:
        self.stats.steps += 1
        self.stats.rules[name] += 1
        event(f"rule {name}")

    def _changed(self) -> None:
        self.stats.changes += 1
        self.pending += 1

    def _refused(self, expected: type[UDMError], action: Callable[[], Any], why: str) -> None:
        """UDM must refuse ``action`` (the embedded backend: with exactly ``expected``)."""
        try:
            action()
        except UDMError as exc:
            if self.backend.name == EMBEDDED:
                assert isinstance(exc, expected), (
                    f"UDM refused ({why}) with {type(exc).__name__}, expected "
                    f"{expected.__name__}: {exc}"
                )
        else:
            raise AssertionError(f"UDM accepted what it must refuse: {why}")
        self.stats.refusals += 1
        event(f"UDM refused: {expected.__name__}")

    def _name(self, how: Any, prefix: str, pool: list[str]) -> str:
        """A new name, or (``how`` an int) one given up earlier if any is still free."""
        while isinstance(how, int) and pool:
            name = pool.pop(how % len(pool))
            if not self.model.name_holder(name) and not any(
                r.name.lower() == name.lower() for r in self.model.resources.values()
            ):
                event("reused a name")
                return name
        name = self.backend.unique(prefix)
        self.model.used_names.add(name)
        return name

    def _mail(self, how: Any) -> str:
        used = self.model.mails_in_use()
        while isinstance(how, int) and self.model.free_mails:
            address = self.model.free_mails.pop(how % len(self.model.free_mails))
            if address not in used:
                event("reused an address")
                return address
        return self.backend.mail(self.backend.unique("m"))

    def _cid(self, key: str) -> int:
        return self.model.contexts[key].cid

    # -- setup and syncing -------------------------------------------------------------------
    @initialize(target=contexts, cadence=st.integers(1, 5))
    def start(self, cadence):
        """Sync after every ``cadence`` changes; the default context is a context too."""
        self._step("start")
        self.cadence = cadence
        return "default"

    @initialize(
        target=users,
        people=st.lists(
            st.tuples(names(), names(), st.sampled_from([True, True, True, False])),
            min_size=1,
            max_size=3,
        ),
    )
    def some_people(self, people):
        """A few users in the default context to start from (OX users unless False)."""
        self._step("some_people")
        keys = []
        for first, last, enabled in people:
            keys.append(
                self._create_user("default", first, last, None, {}, [], FRESH, FRESH, enabled)
            )
        return multiple(*keys)

    @precondition(lambda self: self.pending > 0)
    @rule()
    def sync(self):
        self._step("sync")
        self.sync_and_check()

    @invariant()
    def synced_every_few_changes(self):
        if self.pending >= self.cadence:
            self.sync_and_check()

    def sync_and_check(self, read_all: bool = False) -> None:
        """Sync, then compare every context of the model with OX. A context the emulator
        counted no write to since the last check is compared as read then (unchanged
        content, nothing to read); ``read_all`` reads every context again."""
        try:
            self.backend.sync()
        except pytest.fail.Exception as exc:
            # pytest.fail(pytrace=False) would hide Hypothesis's notes (the sequence)
            raise SyncFailed(str(exc)) from None
        self.pending = 0
        self.stats.syncs += 1
        counts = None if read_all else change_counts(self.backend)  # before reading OX
        problems = []
        for ctx in self.model.contexts.values():
            problems += self.check_context(ctx, self.read(ctx, counts))
        for g in self.model.groups.values():
            g.new_ox_object = False
        assert not problems, "OX differs from the model:\n  " + "\n  ".join(problems)

    def read(self, ctx: Context, counts: dict[int, int] | None) -> Reading:
        """OX's context ``ctx``: the last reading if ``counts`` (None: unknown) shows no
        write to it since, else read now (and kept with its count)."""
        if counts is not None and ctx.cid in self.readings:
            count, reading = self.readings[ctx.cid]
            if count == counts.get(ctx.cid):
                self.stats.reused += 1
                return reading
        found = self.backend.ox.context(ctx.cid)
        contents = (
            self.backend.ox.contents(ctx.cid) if found is not None and not ctx.removed else {}
        )
        reading = Reading(found, contents)
        self.stats.reads += 1
        if counts is not None:
            self.readings[ctx.cid] = (counts.get(ctx.cid), reading)
        return reading

    def check_context(self, ctx: Context, reading: Reading) -> list[str]:
        where = f"context {ctx.cid} ({ctx.key})"
        found = reading.context
        if ctx.removed:
            return [] if found is None else [f"{where}: removed in UDM, still in OX"]
        if found is None:
            return [f"{where}: missing in OX"]
        problems = []
        if ctx.dn is not None:  # the default context is the backend's, not the model's
            problems += [
                f"{where}: {p}"
                for p in differences(
                    {"name": f"context{ctx.cid}", "maxQuota": ctx.quota, "enabled": True},
                    {k: found.get(k) for k in ("name", "maxQuota", "enabled")},
                )
            ]
        ox_users = reading.contents["users"]
        ox_groups = reading.contents["groups"]
        ox_resources = reading.contents["resources"]
        if self.backend.name != EMBEDDED:
            # a live system holds objects of others (in its default context): ours only
            mine = self.model.used_names
            ox_users = {n: u for n, u in ox_users.items() if n in mine}
            ox_groups = {n: g for n, g in ox_groups.items() if n in mine}
            ox_resources = {n: r for n, r in ox_resources.items() if n in mine}
        actual = {
            "users": {n: actual_user(u) for n, u in ox_users.items()},
            "groups": {
                n: {"displayname": g["displayname"], "members": g["members"]}
                for n, g in ox_groups.items()
            },
            "resources": {
                n: {
                    "displayname": _text(r.get("displayname")),
                    "description": _text(r.get("description")),
                    "email": _text(r.get("email")),
                }
                for n, r in ox_resources.items()
            },
        }
        problems += [f"{where}: {p}" for p in differences(self.model.expected(ctx.key), actual)]
        problems += [
            f"{where}: {p}" for p in self.check_ids(ctx, ox_users, ox_groups, ox_resources)
        ]
        return problems

    def check_ids(self, ctx: Context, ox_users, ox_groups, ox_resources) -> list[str]:
        """Renames and changes keep the OX object (its id); only context moves, a disable
        and enable, or a group's last member leaving a context may replace it."""
        problems = []
        for u in self.model.users.values():
            if u.context == ctx.key and u.enabled and u.username in ox_users:
                now = ox_users[u.username]["id"]
                if not u.new_ox_object and u.ox_id is not None and now != u.ox_id:
                    problems.append(f"user {u.username}: OX id {u.ox_id} became {now}")
                u.ox_id, u.new_ox_object = now, False
        for g in self.model.groups.values():
            if g.name in ox_groups:
                now = ox_groups[g.name]["id"]
                if not g.new_ox_object and g.ox_ids.get(ctx.cid) not in (None, now):
                    problems.append(f"group {g.name}: OX id {g.ox_ids[ctx.cid]} became {now}")
                g.ox_ids[ctx.cid] = now
            else:
                g.ox_ids.pop(ctx.cid, None)
        for r in self.model.resources.values():
            if r.context == ctx.key and r.name in ox_resources:
                now = ox_resources[r.name]["id"]
                if not r.new_ox_object and r.ox_id is not None and now != r.ox_id:
                    problems.append(f"resource {r.name}: OX id {r.ox_id} became {now}")
                r.ox_id, r.new_ox_object = now, False
        return problems

    def teardown(self):
        failing = sys.exc_info()[0] is not None  # a step failed: report that, not more
        try:
            if not failing:
                self.sync_and_check(read_all=True)
        finally:
            m = self.model
            self.stats.seconds = time.monotonic() - self.started
            self.stats.counts = (
                f"{sum(not c.removed for c in m.contexts.values())} contexts, "
                f"{len(m.users)} users ({sum(u.enabled for u in m.users.values())} in OX), "
                f"{len(m.groups)} groups, {len(m.resources)} resources at the end"
            )
            event("steps per run", str(self.stats.steps))
            event("syncs per run", str(self.stats.syncs))
            print(self.stats.line())
            self.report(self.stats)
            self.backend.close()

    def _touch_groups_of(self, user_key: str) -> None:
        """A user's membership in OX changes (moved, enabled, disabled, removed): a
        group may vanish from a context and come back with a new id."""
        for g in self.model.groups_of(user_key):
            g.new_ox_object = True

    # -- contexts ----------------------------------------------------------------------------
    @precondition(lambda self: self.model.extra_contexts() < MAX_EXTRA_CONTEXTS)
    @rule(target=contexts, quota=st.one_of(st.none(), st.integers(1, 10**6)))
    def create_context(self, quota):
        self._step("create_context")
        props = {} if quota is None else {"oxQuota": quota}
        obj = self.backend.context(**props)
        key = self._key("c")
        self.model.contexts[key] = Context(key, int(obj["contextid"]), obj.dn, quota)
        self._changed()
        return key

    @precondition(lambda self: self.model.extra_contexts() > 0)
    @rule(ctx=contexts, quota=st.one_of(st.none(), st.integers(1, 10**6)))
    def change_context_quota(self, ctx, quota):
        self._step("change_context_quota")
        c = self.model.contexts[ctx]
        if c.dn is None:
            return  # the default context belongs to the backend (a UCS: to the system)
        self.backend.modify(c.dn, {"oxQuota": quota})
        c.quota = quota
        self._changed()

    @precondition(lambda self: self.model.extra_contexts() > 0)
    @rule(target=contexts, ctx=consumes(contexts))
    def remove_context(self, ctx):
        self._step("remove_context")
        c = self.model.contexts[ctx]
        if c.dn is None:
            return multiple(ctx)  # the default context stays
        if self.model.context_in_use(ctx):
            self._refused(
                ObjectInUse,
                lambda: self.backend.remove(c.dn),
                f"removing context {c.cid} while users or resources use it",
            )
            return multiple(ctx)
        self.backend.remove(c.dn)
        c.removed = True
        self._changed()
        return multiple()

    # -- users -------------------------------------------------------------------------------
    @rule(
        target=users,
        ctx=contexts,
        first=names(),
        last=names(),
        display=st.one_of(st.none(), texts()),
        attributes=st.fixed_dictionaries({}, optional={p: attribute_values(p) for p in ATTRIBUTES}),
        alternatives=st.lists(st.one_of(st.just(FRESH), st.just("own primary"), REUSE), max_size=3),
        name=freshly_or_reused(),
        mail=freshly_or_reused(),
        enabled=st.sampled_from([True, True, True, False]),
    )
    def create_user(self, ctx, first, last, display, attributes, alternatives, name, mail, enabled):
        self._step("create_user")
        return self._create_user(
            ctx, first, last, display, attributes, alternatives, name, mail, enabled
        )

    def _create_user(
        self,
        ctx: str,
        first: str,
        last: str,
        display: str | None,
        attributes: dict[str, Any],
        alternatives: list[Any],
        name: Any,
        mail: Any,
        enabled: bool,
    ) -> str:
        username = self._name(name, "u", self.model.free_names)
        primary = self._mail(mail)
        alts: list[str] = []
        for how in alternatives:
            if how == "own primary":
                alts.append(primary)
            else:
                a = self._mail(how)
                alts.append(a if a != primary else self._mail(FRESH))
        props = {
            "username": username,
            "firstname": first,
            "lastname": last,
            "mailPrimaryAddress": primary,
            "mailAlternativeAddress": alts,
            "isOxUser": "OK" if enabled else "Not",
            "oxAccess": "premium",
            **attributes,
        }
        if ctx != "default":
            props["oxContext"] = self._cid(ctx)  # else UDM's default: the default context
        if display is not None:
            props["oxDisplayName"] = display
        obj = self.backend.create(USERS, props)
        key = self._key("u")
        self.model.users[key] = User(
            key,
            obj.dn,
            str(obj["uidNumber"]),
            username,
            ctx,
            enabled,
            first,
            last,
            display if display is not None else display_of(first, last),
            primary,
            list(dict.fromkeys(alts)),
            dict(attributes),
        )
        self._changed()
        return key

    @rule(
        user=users,
        first=st.one_of(st.none(), names()),
        last=st.one_of(st.none(), names()),
        display=st.one_of(st.none(), texts()),
    )
    def change_names(self, user, first, last, display):
        self._step("change_names")
        u = self.model.users[user]
        changes = {
            p: v
            for p, v in (("firstname", first), ("lastname", last), ("oxDisplayName", display))
            if v is not None
        }
        if not changes:
            return
        self.backend.modify(u.dn, changes)
        new_first, new_last = first or u.first, last or u.last
        before, after = display_of(u.first, u.last), display_of(new_first, new_last)
        if display is not None:
            u.display = display
        elif u.display == before and before != after:
            u.display = after  # the app's hook (Bug 34302): the display name follows
        u.first, u.last = new_first, new_last
        self._changed()

    @rule(
        user=users,
        attributes=st.fixed_dictionaries(
            {}, optional={p: st.one_of(st.none(), attribute_values(p)) for p in ATTRIBUTES}
        ),
    )
    def change_attributes(self, user, attributes):
        """Set (a value) or unset (None) some mapped attributes."""
        self._step("change_attributes")
        if not attributes:
            return
        u = self.model.users[user]
        self.backend.modify(u.dn, attributes)
        for prop, value in attributes.items():
            if value is None:
                u.attributes.pop(prop, None)
            else:
                u.attributes[prop] = value
        self._changed()

    @rule(
        user=users,
        alternatives=st.lists(
            st.one_of(st.just(FRESH), st.just("keep"), st.just("own primary"), REUSE), max_size=3
        ),
    )
    def set_alternatives(self, user, alternatives):
        """Replace the alternative addresses: kept ones, new ones, freed ones, the primary."""
        self._step("set_alternatives")
        u = self.model.users[user]
        kept = iter(u.alternatives)
        alts = []
        for how in alternatives:
            if how == "keep":
                a = next(kept, None)
                if a is not None:
                    alts.append(a)
            elif how == "own primary":
                alts.append(u.primary)
            else:
                alts.append(self._mail(how))
        alts = list(dict.fromkeys(alts))
        old = u.alternatives
        self.backend.modify(u.dn, {"mailAlternativeAddress": alts})
        u.alternatives = alts
        self.model.release_mails(old)
        self._changed()

    @rule(
        user=users,
        how=st.one_of(st.just(FRESH), st.just("an alternative"), REUSE),
        keep_old=st.booleans(),
    )
    def change_primary(self, user, how, keep_old):
        """A new primary address: new, freed, or one of the user's alternatives; the old
        one is given up or (``keep_old``) becomes an alternative."""
        self._step("change_primary")
        u = self.model.users[user]
        old = u.primary
        if how == "an alternative" and u.alternatives:
            primary = u.alternatives[0]
        else:
            primary = self._mail(how if how != "an alternative" else FRESH)
        alts = list(dict.fromkeys([*u.alternatives, old])) if keep_old else u.alternatives
        changes = {"mailPrimaryAddress": primary}
        if alts != u.alternatives:
            changes["mailAlternativeAddress"] = alts
        self.backend.modify(u.dn, changes)
        u.primary, u.alternatives = primary, alts
        self.model.release_mails([old])
        self._changed()

    @rule(user=users, name=freshly_or_reused())
    def rename_user(self, user, name):
        self._step("rename_user")
        u = self.model.users[user]
        old = u.username
        new = self._name(name, "u", self.model.free_names)
        obj = self.backend.modify(u.dn, {"username": new})
        u.username, u.dn = new, obj.dn
        self.model.release_name(old)
        self._changed()

    @rule(user=users, other=users)
    def swap_usernames(self, user, other):
        """Two users exchange their names the only way UDM allows: three renames, the
        first to a new name (all in one connector run unless a sync falls between)."""
        self._step("swap_usernames")
        if user == other:
            return
        u, o = self.model.users[user], self.model.users[other]
        first, second = u.username, o.username
        temporary = self._name(FRESH, "u", self.model.free_names)
        u.dn = self.backend.modify(u.dn, {"username": temporary}).dn
        o.dn = self.backend.modify(o.dn, {"username": first}).dn
        u.dn = self.backend.modify(u.dn, {"username": second}).dn
        u.username, o.username = second, first
        self.model.release_name(temporary)
        for _ in range(3):
            self._changed()

    @rule(user=users, other=users)
    def swap_primary_addresses(self, user, other):
        """Two users exchange their primary addresses (through a new one, as in UDM)."""
        self._step("swap_primary_addresses")
        u, o = self.model.users[user], self.model.users[other]
        first, second = u.primary, o.primary
        if user == other or first in u.alternatives or second in o.alternatives:
            return  # (UDM would refuse an address its holder keeps as an alternative)
        temporary = self._mail(FRESH)
        self.backend.modify(u.dn, {"mailPrimaryAddress": temporary})
        self.backend.modify(o.dn, {"mailPrimaryAddress": first})
        self.backend.modify(u.dn, {"mailPrimaryAddress": second})
        u.primary, o.primary = second, first
        self.model.release_mails([temporary])
        for _ in range(3):
            self._changed()

    @rule(user=users, ctx=contexts)
    def move_user(self, user, ctx):
        """Another oxContext: OX copies the user there and deletes the source."""
        self._step("move_user")
        u = self.model.users[user]
        if ctx == u.context:
            return
        self.backend.modify(u.dn, {"oxContext": self._cid(ctx)})
        u.context, u.new_ox_object = ctx, True
        self._touch_groups_of(user)
        self._changed()

    @rule(user=users, enabled=st.booleans())
    def set_user_enabled(self, user, enabled):
        self._step("set_user_enabled")
        u = self.model.users[user]
        self.backend.modify(u.dn, {"isOxUser": "OK" if enabled else "Not"})
        if enabled != u.enabled:
            u.enabled, u.new_ox_object = enabled, True
            self._touch_groups_of(user)
        self._changed()

    @rule(target=users, user=consumes(users))
    def remove_user(self, user):
        self._step("remove_user")
        u = self.model.users[user]
        if self.model.administers(user):
            self._refused(
                ObjectInUse,
                lambda: self.backend.remove(u.dn),
                f"removing {u.username}, the admin of a resource",
            )
            return multiple(user)
        self.backend.remove(u.dn)
        self._touch_groups_of(user)
        for g in self.model.groups_of(user):  # refint
            g.members.remove(user)
        del self.model.users[user]
        self.model.release_name(u.username)
        self.model.release_mails([u.primary, *u.alternatives])
        self._changed()
        return multiple()

    @rule(
        user=users,
        other=users,
        how=st.sampled_from(
            [
                "create a user of its name",
                "rename to its name",
                "take its primary address",
                "take it as an alternative",
            ]
        ),
    )
    def take_what_another_user_has(self, user, other, how):
        """UDM refuses a taken username or address; of one's own, the primary may be an
        alternative as well, and setting a value again changes nothing."""
        self._step("take_what_another_user_has")
        u, o = self.model.users[user], self.model.users[other]
        if how == "create a user of its name":
            props = {
                "username": o.username,
                "firstname": "X",
                "lastname": "Y",
                "mailPrimaryAddress": self._mail(FRESH),
                "isOxUser": "OK",
            }
            self._refused(
                ObjectExists,
                lambda: self.backend.create(USERS, props),
                f"a second user named {o.username}",
            )
        elif how == "rename to its name":
            if user == other:
                self.backend.modify(u.dn, {"username": u.username})  # nothing changes
                return
            self._refused(
                ObjectExists,
                lambda: self.backend.modify(u.dn, {"username": o.username}),
                f"renaming {u.username} to {o.username}",
            )
        elif how == "take its primary address":
            if user == other:
                self.backend.modify(u.dn, {"mailPrimaryAddress": u.primary})
                return
            self._refused(
                ObjectExists,
                lambda: self.backend.modify(u.dn, {"mailPrimaryAddress": o.primary}),
                f"{u.username} taking the address of {o.username}",
            )
        else:
            if o.primary in u.alternatives:
                return
            alts = [*u.alternatives, o.primary]
            if user == other:  # the own primary as an alternative: allowed
                self.backend.modify(u.dn, {"mailAlternativeAddress": alts})
                u.alternatives = alts
                self._changed()
                return
            self._refused(
                ObjectExists,
                lambda: self.backend.modify(u.dn, {"mailAlternativeAddress": alts}),
                f"{u.username} taking the address of {o.username} as alternative",
            )

    # -- groups ------------------------------------------------------------------------------
    @rule(
        target=groups,
        first=users,
        others=st.lists(st.integers(0, 63), max_size=3),
        with_members=st.sampled_from([True, True, True, False]),
        enabled=st.sampled_from([True, True, True, False]),
        name=freshly_or_reused(),
    )
    def create_group(self, first, others, with_members, enabled, name):
        """``others`` pick further users (by position among all users)."""
        self._step("create_group")
        members = self._members(first, others) if with_members else []
        group_name = self._name(name, "g", self.model.free_names)
        obj = self.backend.create(
            GROUPS,
            {
                "name": group_name,
                "isOxGroup": "OK" if enabled else "Not",
                "users": [self.model.users[m].dn for m in members],
            },
        )
        key = self._key("g")
        self.model.groups[key] = Group(key, obj.dn, group_name, enabled, members)
        self._changed()
        return key

    def _members(self, first: str, others: list[int]) -> list[str]:
        keys = list(self.model.users)
        return list(dict.fromkeys([first, *(keys[i % len(keys)] for i in others)]))

    @rule(group=groups, name=freshly_or_reused())
    def rename_group(self, group, name):
        self._step("rename_group")
        g = self.model.groups[group]
        old = g.name
        new = self._name(name, "g", self.model.free_names)
        obj = self.backend.modify(g.dn, {"name": new})
        g.name, g.dn = new, obj.dn
        self.model.release_name(old)
        self._changed()

    @rule(group=groups, other=groups)
    def swap_group_names(self, group, other):
        """Two groups exchange their names: three renames, the first to a new name."""
        self._step("swap_group_names")
        if group == other:
            return
        g, h = self.model.groups[group], self.model.groups[other]
        first, second = g.name, h.name
        temporary = self._name(FRESH, "g", self.model.free_names)
        g.dn = self.backend.modify(g.dn, {"name": temporary}).dn
        h.dn = self.backend.modify(h.dn, {"name": first}).dn
        g.dn = self.backend.modify(g.dn, {"name": second}).dn
        g.name, h.name = second, first
        self.model.release_name(temporary)
        for _ in range(3):
            self._changed()

    @rule(
        group=groups,
        first=users,
        others=st.lists(st.integers(0, 63), max_size=3),
        empty=st.sampled_from([False, False, False, True]),
    )
    def set_group_members(self, group, first, others, empty):
        self._step("set_group_members")
        g = self.model.groups[group]
        members = [] if empty else self._members(first, others)
        self.backend.modify(g.dn, {"users": [self.model.users[m].dn for m in members]})
        g.members, g.new_ox_object = members, True
        self._changed()

    @rule(group=groups, enabled=st.booleans())
    def set_group_enabled(self, group, enabled):
        self._step("set_group_enabled")
        g = self.model.groups[group]
        self.backend.modify(g.dn, {"isOxGroup": "OK" if enabled else "Not"})
        if enabled != g.enabled:
            g.enabled, g.new_ox_object = enabled, True
        self._changed()

    @rule(group=consumes(groups))
    def remove_group(self, group):
        self._step("remove_group")
        g = self.model.groups.pop(group)
        self.backend.remove(g.dn)
        self.model.release_name(g.name)
        self._changed()

    @rule(group=groups, user=users)
    def rename_group_to_a_username(self, group, user):
        self._step("rename_group_to_a_username")
        g, u = self.model.groups[group], self.model.users[user]
        self._refused(
            ObjectExists,
            lambda: self.backend.modify(g.dn, {"name": u.username}),
            f"renaming group {g.name} to the username {u.username}",
        )

    # -- resources ---------------------------------------------------------------------------
    @rule(
        target=resources,
        admin=users,
        ctx=contexts,
        displayname=st.one_of(st.none(), texts()),
        description=st.one_of(st.none(), texts()),
        name=freshly_or_reused(),
        mail=freshly_or_reused(),
    )
    def create_resource(self, admin, ctx, displayname, description, name, mail):
        self._step("create_resource")
        room = self._name(name, "room", self.model.free_rooms)
        address = self._mail(mail)
        props = {
            "name": room,
            "resourceMailAddress": address,
            "resourceadmin": self.model.users[admin].uid,
            "oxContext": self._cid(ctx),
        }
        if displayname is not None:
            props["displayname"] = displayname
        if description is not None:
            props["description"] = description
        if not self.model.is_ox_user(admin):
            self._refused(
                InvalidValue,
                lambda: self.backend.create(RESOURCES, props),
                "a resource administered by a user who is not an OX user",
            )
            self.model.free_rooms.append(room)
            self.model.release_mails([address])
            return multiple()
        obj = self.backend.create(RESOURCES, props)
        key = self._key("r")
        self.model.resources[key] = Resource(
            key, obj.dn, room, ctx, displayname or room, description, address, admin
        )
        self._changed()
        return key

    @rule(
        resource=resources,
        admin=st.one_of(st.none(), users),
        displayname=st.one_of(st.none(), texts()),
        description=st.one_of(st.none(), st.just(""), texts()),
        mail=st.one_of(st.none(), st.just(FRESH), REUSE),
    )
    def change_resource(self, resource, admin, displayname, description, mail):
        """Change some of display name, description ("" unsets), address, admin (UDM
        checks on every change that the admin is an OX user)."""
        self._step("change_resource")
        r = self.model.resources[resource]
        changes: dict[str, Any] = {}
        if admin is not None:
            changes["resourceadmin"] = self.model.users[admin].uid
        if displayname is not None:
            changes["displayname"] = displayname
        if description is not None:
            changes["description"] = description
        address = self._mail(mail) if mail is not None else None
        if address is not None:
            changes["resourceMailAddress"] = address
        if not self._change_resource(r, changes, admin or r.admin):
            if address is not None:
                self.model.release_mails([address])
            return
        if displayname is not None:
            r.displayname = displayname
        if description is not None:
            r.description = description or None
        if address is not None:
            old, r.email = r.email, address
            self.model.release_mails([old])

    def _change_resource(self, r: Resource, changes: dict[str, Any], admin: str) -> bool:
        """Apply ``changes`` (admin: the User key the resource then has); False when UDM
        refused them (as it must when that admin is not an OX user) or there are none."""
        if not changes:
            return False
        if not self.model.is_ox_user(admin):
            self._refused(
                InvalidValue,
                lambda: self.backend.modify(r.dn, changes),
                f"changing resource {r.name} whose admin is not an OX user",
            )
            return False
        self.backend.modify(r.dn, changes)
        r.admin = admin
        self._changed()
        return True

    @rule(resource=resources, ctx=contexts)
    def move_resource(self, resource, ctx):
        self._step("move_resource")
        r = self.model.resources[resource]
        if ctx == r.context:
            return
        if self._change_resource(r, {"oxContext": self._cid(ctx)}, r.admin):
            r.context, r.new_ox_object = ctx, True

    @rule(resource=consumes(resources))
    def remove_resource(self, resource):
        self._step("remove_resource")
        r = self.model.resources.pop(resource)
        self.backend.remove(r.dn)
        self.model.free_rooms.append(r.name)
        self.model.release_mails([r.email])
        self._changed()


# -- the test ----------------------------------------------------------------------------------


def machine_settings() -> settings:
    """The active reference profile's settings (conftest loads it for this directory),
    with the CI profile's example and step counts set to what a model run needs. CI runs
    the same sequences every time (derandomized: a red CI means a change broke them, not
    a lucky draw) and shrinks only the first failure; the thorough profile explores new
    sequences on every run."""
    profile = settings.default
    ci = os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci"
    if ci:
        examples, steps = CI_EXAMPLES, CI_STEPS
    else:
        examples, steps = profile.max_examples, profile.stateful_step_count
    examples = int(os.environ.get("OX_TEST_STATE_MACHINE_EXAMPLES") or examples)
    steps = int(os.environ.get("OX_TEST_STATE_MACHINE_STEPS") or steps)
    # the explain phase re-runs a failure traced: minutes against a live connector
    phases = [p for p in profile.phases if p is not Phase.explain]
    return settings(
        profile,
        max_examples=examples,
        stateful_step_count=steps,
        phases=phases,
        report_multiple_bugs=profile.report_multiple_bugs and not ci,
        derandomize=profile.derandomize or ci,
    )


def test_ox_follows_random_directory_changes(request, tmp_path_factory, record_property):
    """OX equals the model after every sync, for random sequences of changes."""

    # as conftest's ``backend`` fixture does, but once per state-machine run
    if selected_backend() == UCS:
        config, services = UCSConfig.from_env(), request.getfixturevalue("ox_services")

        def make_backend() -> Backend:
            return UCSBackend(config, services)
    else:
        world = request.getfixturevalue("embedded_world")

        def make_backend() -> Backend:
            return EmbeddedBackend(tmp_path_factory.mktemp("state-machine"), world)

    runs: list[RunStats] = []
    started = time.monotonic()
    chosen = machine_settings()
    print(
        f"state machine: up to {chosen.max_examples} runs of {chosen.stateful_step_count} "
        f"steps ({os.environ.get('HYPOTHESIS_PROFILE', 'ci')} profile)"
    )
    try:
        run_state_machine_as_test(
            lambda: OXModelMachine(make_backend, runs.append), settings=chosen
        )
    finally:  # also after a failure: the runs include Hypothesis's shrinking attempts
        steps = sum(r.steps for r in runs)
        record_property("state_machine_runs", len(runs))
        record_property("state_machine_steps", steps)
        print(
            f"state machine: {len(runs)} runs, {steps} steps, "
            f"{sum(r.changes for r in runs)} directory changes, "
            f"{sum(r.refusals for r in runs)} UDM refusals, "
            f"{sum(r.syncs for r in runs)} syncs checked, "
            f"{sum(r.reads for r in runs)} contexts read, "
            f"{sum(r.reused for r in runs)} unchanged, "
            f"{time.monotonic() - started:.0f} s"
        )
        rules = sum((r.rules for r in runs), Counter())
        print(
            "state machine steps per rule: "
            + ", ".join(f"{name} {n}" for name, n in rules.most_common())
        )
