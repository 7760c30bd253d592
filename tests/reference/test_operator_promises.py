"""The promises an operator can observe, checked from outside as an operator would:

- a change OX refuses stays queued and is reported (``ox-connector health``, the log
  line), and fixing the object in the directory drains the queue;
- applying the same state again (``resync``) changes nothing in OX: the same
  objects with the same ids, and (where OX's calls can be counted) not one write call;
- a run killed in the middle and started again ends in the same OX state as a clean run.

Each test names what it needs to observe beyond OX (``@pytest.mark.observes``); a backend
that cannot observe it leaves the test out, and the summary says why.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from udm_simulator import USERS, UDMObject

from .backends import KILL_LATENCY_MS, Backend

# The kill points (c): seeded, so a failure can be replayed; OX_TEST_KILL_SEED varies them.
KILL_SEED = int(os.environ.get("OX_TEST_KILL_SEED", "20261203"))
# (phase killed, the share of that phase's SOAP calls after which the run is killed). With
# 8 workers the last calls of a phase overlap: late kills stay well before its end.
KILL_CASES = {
    "create-early": ("create", (0.05, 0.25)),
    "create-late": ("create", (0.55, 0.8)),
    "change-middle": ("change", (0.3, 0.6)),
}


# -- (a) a change OX refuses -------------------------------------------------------------------


def stuck_on_a_refused_user(backend: Backend) -> tuple[UDMObject, str, dict[str, Any]]:
    """A user OX refuses (a name with "ü": UDM's uid_umlauts allows it, OX's
    CHECK_USER_UID_REGEXP does not), after one it took; returns the user, an acceptable
    name for it, and ``health --json`` once the queue is stuck on it."""
    fine = backend.user()
    backend.sync()
    assert fine["username"] in backend.ox.users(backend.default_context)
    refused_name, fixed_name = backend.unique("jürgen"), backend.unique("juergen")
    user = backend.user(refused_name, mailPrimaryAddress=backend.mail(fixed_name))
    backend.wait_until_stuck()
    code, health = backend.health()
    assert (code, health["status"]) == (2, "CRITICAL"), health
    assert health["consecutive_errors"] >= 1, health
    return user, fixed_name, health


@pytest.mark.observes("admin_command")
def test_a_change_ox_refuses_stays_queued_is_reported_and_drains_once_fixed(backend):
    cid = backend.default_context
    user, fixed_name, health = stuck_on_a_refused_user(backend)
    waiting = health["waiting_on"]
    stuck = waiting["file"]
    assert stuck in [p.name for p in backend.queued()]
    assert {k: waiting[k] for k in ("udm_object_type", "dn", "object_id")} == {
        "udm_object_type": "users/user",
        "dn": user.dn,
        "object_id": user.id,
    }
    assert "Illegal chars" in waiting["error"] and "ü" in waiting["error"], waiting
    for named in (stuck, user.dn, user.id):
        assert named in health["summary"], health["summary"]
    assert f"queue skip {stuck}" in health["hint"]
    assert backend.ox.user(cid, user["username"]) is None

    # the operator fixes the object in the directory: its newer file replaces the stuck one
    renamed = backend.modify(user.dn, {"username": fixed_name})
    backend.sync()
    assert backend.queued() == []
    in_ox = backend.ox.user(cid, fixed_name)
    assert in_ox is not None and in_ox["primaryEmail"] == backend.mail(fixed_name)
    assert backend.ox.user(cid, user["username"]) is None
    code, health = backend.health()
    assert code != 2 and health["waiting_on"] is None, health
    assert health["consecutive_errors"] == 0, health  # the successful run reset the count
    assert renamed.id == user.id


@pytest.mark.observes("admin_command", "log")
def test_a_change_ox_refuses_is_logged_with_its_file_dn_and_error(backend):
    user, _, health = stuck_on_a_refused_user(backend)
    stuck = health["waiting_on"]["file"]
    failed = [
        r
        for r in backend.log_records()
        if str(r.get("msg", "")).startswith("change failed") and r.get("file") == stuck
    ]
    assert failed, f"no log line `change failed ...` for {stuck}"
    line = failed[-1]
    assert (line["level"], line["dn"], line["udm_object_type"]) == ("error", user.dn, USERS)
    assert "Illegal chars" in line["error"] and f"queue skip {stuck}" in line["hint"]


# -- (b) the same state again ------------------------------------------------------------------


def populated(backend: Backend) -> tuple[list[int], list[UDMObject]]:
    """Objects of every kind, applied, in a context of their own and the default one;
    returns both context ids and the objects."""
    context = backend.context(oxQuota=2048)
    cid = int(context["contextid"])
    profile = backend.access_profile(rights=["oxwebmail", "oxcalendar", "oxcontacts"])
    anna = backend.user(
        context=cid,
        oxAccess=profile["name"],
        mailAlternativeAddress=[backend.mail(backend.unique("alias"))],
        phone=["+49 421 22232-0"],
        oxDisplayName="Anna Ärger",
    )
    bert = backend.user(context=cid, firstname="Bert", oxAccess="webmail")
    carl = backend.user(firstname="Carl")
    objects = [
        context,
        profile,
        anna,
        bert,
        carl,
        backend.group(members=[anna, bert]),
        backend.group(members=[carl]),
        backend.resource(anna, context=cid, description="Room with a view"),
        backend.functional_account(users=[anna, bert]),
    ]
    backend.sync()
    return [backend.default_context, cid], objects


def ox_state_with_ids(backend: Backend, cids: list[int]) -> dict[str, Any]:
    """The snapshot plus the OX ids of users, groups and resources."""
    ox = backend.ox
    return {
        "snapshot": ox.snapshot(cids),
        "ids": {
            cid: {
                "users": {n: u["id"] for n, u in ox.users(cid).items()},
                "groups": {n: g["id"] for n, g in ox.groups(cid).items()},
                "resources": {n: r["id"] for n, r in ox.resources(cid).items()},
            }
            for cid in cids
        },
    }


@pytest.mark.observes("admin_command")
def test_a_resync_leaves_ox_as_it_was_ids_included(backend):
    cids, objects = populated(backend)
    before = ox_state_with_ids(backend, cids)
    assert before["snapshot"][cids[1]]["users"] and before["snapshot"][cids[1]]["resources"]

    assert backend.resync(objects) == len(objects)

    assert backend.queued() == []
    assert ox_state_with_ids(backend, cids) == before


@pytest.mark.observes("admin_command", "ox_calls")
def test_a_resync_makes_no_write_call(backend):
    _, objects = populated(backend)
    writes, calls = backend.ox_writes(), backend.ox_calls()

    assert backend.resync(objects) == len(objects)

    assert backend.ox_calls() > calls  # it did read OX again
    assert backend.ox_writes() - writes == Counter()


# -- (c) a run killed in the middle ------------------------------------------------------------


class Scenario:
    """The same directory changes on any backend, every name made from ``prefix`` (so
    that two backends' OX states compare after ``normalized``): two contexts, users,
    groups, a resource and a functional account; then renames, a move, a removal, a
    disabled user, membership and attribute changes, new users."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.prefix = backend.unique("k")
        self.objects: dict[str, UDMObject] = {}
        self.cids: list[int] = []

    def name(self, short: str) -> str:
        return f"{self.prefix}{short}"

    def user(self, short: str, cid: int, **props: Any) -> None:
        self.objects[short] = self.backend.user(
            self.name(short), context=cid, lastname=short.title(), **props
        )

    def create(self) -> None:
        b = self.backend
        a, c = (int(b.context()["contextid"]) for _ in range(2))
        self.cids = [a, c]
        for short in ("ed", "mover", "victim", "bea", "sleeper"):
            self.user(short, a, firstname=short.title())
        for short in ("n1", "n2"):
            self.user(short, c, firstname=short.title())
        o = self.objects
        o["team"] = b.group(self.name("team"), members=[o["ed"], o["mover"], o["victim"]])
        o["crew"] = b.group(self.name("crew"), members=[o["n1"], o["n2"], o["mover"]])
        o["room"] = b.resource(
            o["ed"], self.name("room"), context=a, displayname="Room", description="first"
        )
        o["fa"] = b.functional_account(self.name("fa"), users=[o["ed"], o["bea"], o["n1"]])

    def change(self) -> None:
        b, o = self.backend, self.objects
        a, c = self.cids
        o["ed"] = b.modify(o["ed"].dn, {"username": self.name("eddie"), "lastname": "Renamed"})
        o["mover"] = b.modify(o["mover"].dn, {"oxContext": c, "firstname": "Moved"})
        b.remove(o["victim"].dn)
        b.modify(o["sleeper"].dn, {"isOxUser": "Not"})
        self.user("n3", a, firstname="New")
        self.user("n4", c, firstname="New")
        o["team"] = b.modify(o["team"].dn, {"users": [o["ed"].dn, o["n3"].dn, o["bea"].dn]})
        o["room"] = b.modify(o["room"].dn, {"description": "second"})
        o["fa"] = b.modify(o["fa"].dn, {"users": [o["ed"].dn, o["n4"].dn]})
        b.modify(self.objects["n1"].dn, {"oxAccess": "webmail"})

    def phases(self) -> dict[str, Callable[[], None]]:
        return {"create": self.create, "change": self.change}

    def normalized(self) -> list[Any]:
        """OX's state of the scenario's contexts, in order, with the prefix, the context
        ids and the entryUUIDs (in functional accounts' logins) replaced by placeholders."""
        snapshot = self.backend.ox.snapshot(self.cids)
        patterns = [
            (re.escape(self.prefix), "<p>"),
            *((re.escape(o.id), f"<{short}>") for short, o in self.objects.items()),
            *((rf"(?<!\d){cid}(?!\d)", f"<c{i}>") for i, cid in enumerate(self.cids)),
        ]
        return [_replaced(snapshot[cid], patterns) for cid in self.cids]


def differences(got: Any, expected: Any, path: str = "") -> list[str]:
    """Where two snapshots differ, one line per leaf (a failure names the fields)."""
    if isinstance(got, dict) and isinstance(expected, dict):
        return [
            line
            for key in sorted(set(got) | set(expected), key=str)
            for line in (
                differences(got[key], expected[key], f"{path}/{key}")
                if key in got and key in expected
                else [f"{path}/{key}: only {'after the kill' if key in got else 'clean'}"]
            )
        ]
    if isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected):
        return [
            line
            for i, (g, e) in enumerate(zip(got, expected, strict=True))
            for line in differences(g, e, f"{path}[{i}]")
        ]
    return [] if got == expected else [f"{path}: after the kill {got!r}, clean {expected!r}"]


def _replaced(value: Any, patterns: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for pattern, placeholder in patterns:
            value = re.sub(pattern, placeholder, value)
        return value
    if isinstance(value, dict):
        return {_replaced(k, patterns): _replaced(v, patterns) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replaced(v, patterns) for v in value]
    return value


@pytest.mark.observes("ox_calls", "killed_run")
@pytest.mark.parametrize("case", list(KILL_CASES))
def test_a_run_killed_in_the_middle_and_started_again_ends_as_a_clean_run(
    backend, second_backend, case
):
    killed_phase, (low, high) = KILL_CASES[case]
    rng = random.Random(f"{KILL_SEED}-{case}")
    clean, crashed = Scenario(second_backend), Scenario(backend)
    calls: dict[str, int] = {}
    for phase, apply in clean.phases().items():
        apply()
        before = second_backend.ox_calls()
        second_backend.sync()
        calls[phase] = second_backend.ox_calls() - before
    expected = clean.normalized()
    a, c = expected
    assert set(a["users"]) == {f"<p>{n}" for n in ("eddie", "bea", "n3")}, a["users"].keys()
    assert set(c["users"]) == {f"<p>{n}" for n in ("n1", "n2", "n4", "mover")}
    assert a["groups"]["<p>team"]["members"] == sorted(f"<p>{n}" for n in ("bea", "eddie", "n3"))
    assert c["groups"]["<p>crew"]["members"] == sorted(f"<p>{n}" for n in ("mover", "n1", "n2"))
    assert a["resources"]["<p>room"]["description"] == "second"
    fa = "<p>fa@example.org"
    assert [a["functional_accounts"][fa]["users"], c["functional_accounts"][fa]["users"]] == [
        ["<p>eddie"],
        ["<p>n4"],
    ]

    for phase, apply in crashed.phases().items():
        apply()
        if phase == killed_phase:
            after = max(1, int(calls[phase] * rng.uniform(low, high)))
            log = backend.killed_run(after, rng.uniform(0, KILL_LATENCY_MS / 1000))
            assert '"run started"' in log and '"run finished"' not in log, log
            assert backend.queued(), "the killed run left nothing to do"
        backend.sync()  # started again (as the next trigger would)

    assert backend.queued() == []
    got = crashed.normalized()
    assert got == expected, "\n".join(differences(got, expected))


# -- continue mode: one bad object does not hold up the others -------------------------------


@pytest.mark.observes("continue_mode", "admin_command")
def test_in_continue_mode_a_refused_change_is_a_dead_letter_and_the_rest_goes_on(
    continue_backend,
):
    """OX_CONNECTOR_STOP_ON_ERROR=false: the change OX refuses is set aside as a dead
    letter (named in `errors list` and by `health`), everything else reaches OX in the
    same run, a later change of that object follows it there (never applied out of
    order), and `errors retry --all` after the directory is fixed brings it to OX."""
    backend = continue_backend
    cid = backend.default_context
    refused, fixed = backend.unique("jürgen"), backend.unique("juergen")
    user = backend.user(refused, mailPrimaryAddress=backend.mail(fixed))
    other = backend.user()
    staff = backend.group(members=[user, other])
    backend.sync()
    assert backend.queued() == []
    assert backend.ox.user(cid, other["username"]) is not None
    assert backend.ox.user(cid, refused) is None
    assert backend.ox.groups(cid)[staff["name"]]["members"] == [other["username"]]

    letters = json.loads(backend.admin("errors", "list", "--json").stdout)
    assert [(d["udm_object_type"], d["dn"]) for d in letters] == [(USERS, user.dn)]
    assert "Illegal chars" in letters[0]["error"]
    code, health = backend.health()
    assert code == 1 and health["dead_letters"] == 1, health

    backend.modify(user.dn, {"username": fixed})
    backend.sync()
    assert backend.ox.user(cid, fixed) is None, "applied before the dead letter it follows"
    assert len(json.loads(backend.admin("errors", "list", "--json").stdout)) == 2

    retried = backend.admin("errors", "retry", "--all")
    assert retried.returncode == 0, retried.stderr
    backend.sync()
    assert backend.ox.user(cid, fixed)["primaryEmail"] == backend.mail(fixed)
    assert json.loads(backend.admin("errors", "list", "--json").stdout) == []
    assert backend.ox.groups(cid)[staff["name"]]["members"] == sorted([fixed, other["username"]])
