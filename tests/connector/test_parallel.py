"""Parallel apply (``OX_CONNECTOR_WORKERS``): steps overlap at OX, and still kinds follow
one another, steps that share a name or address never overlap and end as in a sequential
run, the state store matches OX, and the error modes keep their promises.

Against the emulator over HTTP, with per-call latency so that calls can overlap; the
emulator reports the most SOAP calls it served at once (``max_in_flight``).
"""

from __future__ import annotations

import pytest

from connector.state.store import StateStore

from .harness import (
    Harness,
    finished,
    log_records,
    ready,
    udm_user,
    user_dn,
)

LATENCY_MS = 20
KIND_ORDER = ["users/user", "groups/group", "oxresources/oxresources"]

pytestmark = pytest.mark.usefixtures("clean_faults")


def run_with(h: Harness, workers: int, **env: str):
    h.extra_env.update(OX_CONNECTOR_WORKERS=str(workers), OX_CONNECTOR_LOG_LEVEL="DEBUG", **env)
    h.emulator.control("faults", {"latency_ms": LATENCY_MS})
    h.reset_calls()
    try:
        return h.run_cli()
    finally:
        h.emulator.control("faults", {"latency_ms": 0})


def applied(stderr: str) -> list[dict]:
    return [r for r in log_records(stderr, strict=True) if r["msg"] == "applied"]


def test_steps_overlap_and_the_kinds_still_follow_one_another(harness):
    cid = ready(harness)
    names = [f"par{i:02d}" for i in range(16)]
    for name in names:
        harness.user(name, cid)
    harness.group("evens", names[::2])
    harness.group("odds", names[1::2])
    harness.resource("beamer", cid)
    result = run_with(harness, 8)
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []
    assert harness.ox_user_names(cid) == set(names)
    ids = {n: harness.ox_user(cid, n).id for n in names}
    assert harness.ox_groups(cid) == {
        "evens": sorted(ids[n] for n in names[::2]),
        "odds": sorted(ids[n] for n in names[1::2]),
    }
    assert set(harness.ox_resources(cid)) == {"beamer"}
    # calls overlapped, never more than the workers
    assert 2 <= harness.emulator.control("stats")["max_in_flight"] <= 8
    # a kind starts only when every step of the kind before it has finished
    kinds = [r["udm_object_type"] for r in applied(result.stderr)]
    assert kinds == sorted(kinds, key=KIND_ORDER.index)
    assert finished(result.stderr)["applied"] == 16 + 2 + 1
    # the state store, written by eight workers, says where each user is in OX
    store = StateStore(harness.state / "ox-connector.sqlite")
    try:
        stored = {s.placements[0].ox_name: s.placements[0].ox_id for s in store.all("users/user")}
    finally:
        store.close()
    assert stored == ids


def test_one_worker_makes_one_call_at_a_time(harness):
    cid = ready(harness)
    for i in range(4):
        harness.user(f"seq{i}", cid)
    result = run_with(harness, 1)
    assert result.returncode == 0, result.stderr
    assert harness.emulator.control("stats")["max_in_flight"] == 1
    assert harness.ox_user_names(cid) == {f"seq{i}" for i in range(4)}


def test_names_and_addresses_passed_around_end_as_in_a_sequential_run(changeable):
    """Two users swap names, two swap primary addresses, among independent users that keep
    the workers busy: the conflicting steps wait for each other (or park one holder)."""
    h = changeable
    cid = h.context()
    h.profile()

    def person(login: str, who: str, mail: str) -> dict:
        return udm_user(login, cid, oxDisplayName=f"Person {who}", mailPrimaryAddress=mail)

    h.write("users/user", user_dn("aa"), person("aa", "A", "a@example.org"))
    h.write("users/user", user_dn("bb"), person("bb", "B", "b@example.org"))
    h.write("users/user", user_dn("cc"), person("cc", "C", "c@example.org"))
    h.write("users/user", user_dn("dd"), person("dd", "D", "d@example.org"))
    h.run()
    before = {n: h.ox_user(cid, n).id for n in ("aa", "bb", "cc", "dd")}
    a_id, b_id = h.ids[user_dn("aa").lower()], h.ids[user_dn("bb").lower()]
    fillers = [f"fill{i}" for i in range(10)]
    for name in fillers[:5]:
        h.user(name, cid)
    h.write("users/user", user_dn("aa"), person("aa", "B", "b@example.org"), object_id=b_id)
    h.write("users/user", user_dn("bb"), person("bb", "A", "a@example.org"), object_id=a_id)
    h.write("users/user", user_dn("cc"), person("cc", "C", "d@example.org"))
    h.write("users/user", user_dn("dd"), person("dd", "D", "c@example.org"))
    for name in fillers[5:]:
        h.user(name, cid)
    result = run_with(h, 8)
    assert result.returncode == 0, result.stderr
    assert h.pending() == []
    assert (h.ox_user(cid, "bb").id, h.ox_user(cid, "aa").id) == (before["aa"], before["bb"])
    assert h.ox_user(cid, "bb").primaryEmail == "a@example.org"
    assert h.ox_user(cid, "aa").primaryEmail == "b@example.org"
    cc, dd = h.ox_user(cid, "cc"), h.ox_user(cid, "dd")
    assert (cc.id, dd.id) == (before["cc"], before["dd"])
    assert (cc.primaryEmail, dd.primaryEmail) == ("d@example.org", "c@example.org")
    assert h.ox_user_names(cid) == {"aa", "bb", "cc", "dd", *fillers}


def test_stop_mode_keeps_the_failing_file_and_starts_no_later_kind(harness):
    cid = ready(harness)
    users = {f"ok{i:02d}": harness.user(f"ok{i:02d}", cid) for i in range(6)}
    bad = harness.user("bad", cid, birthday="31.02.1990")
    users |= {f"ok{i:02d}": harness.user(f"ok{i:02d}", cid) for i in range(6, 12)}
    group = harness.group("all", [f"ok{i:02d}" for i in range(12)])
    room = harness.resource("room", cid)
    result = run_with(harness, 8)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    left = set(harness.pending())
    # the failing file stays, and nothing of a later kind was started
    assert {bad.name, group.name, room.name} <= left
    assert harness.ox_groups(cid) == {} and harness.ox_resources(cid) == {}
    # a user file is gone exactly when its user is in OX (started steps finished)
    in_ox = harness.ox_user_names(cid)
    for name, path in users.items():
        assert path.exists() == (name not in in_ox), name
    stops = [
        r
        for r in log_records(result.stderr, strict=True)
        if r["msg"].startswith("change failed; the run stops here")
    ]
    assert [r["file"] for r in stops] == [bad.name]
    assert "birthday" in stops[0]["error"]
    # the next run (birthday fixed) applies the rest
    harness.user("bad", cid)
    result = run_with(harness, 8)
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []
    assert len(harness.ox_groups(cid)["all"]) == 12


def test_continue_mode_sets_the_failure_aside_and_applies_the_rest(harness):
    cid = ready(harness)
    names = [f"co{i:02d}" for i in range(10)]
    for name in names[:5]:
        harness.user(name, cid)
    bad = harness.user("bad", cid, birthday="31.02.1990")
    for name in names[5:]:
        harness.user(name, cid)
    harness.group("crew", names)
    result = run_with(harness, 8, OX_CONNECTOR_STOP_ON_ERROR="false")
    assert result.returncode == 0, result.stderr
    assert harness.pending() == []
    assert harness.ox_user_names(cid) == set(names)
    assert len(harness.ox_groups(cid)["crew"]) == 10
    assert finished(result.stderr)["dead_lettered"] == 1
    letters = [r for r in log_records(result.stderr) if r["msg"] == "dead letter"]
    assert [r["file"] for r in letters] == [bad.name]
