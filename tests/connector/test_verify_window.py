"""No-op events cost nothing (``OX_CONNECTOR_VERIFY_AFTER``): a change whose desired OX
state is the one last applied, for an object OX was read for within the window, makes no
SOAP call; anything else is read, compared and written as before. Over HTTP against the
emulator, counting its calls."""

from __future__ import annotations

import dataclasses
import time

import pytest

from connector.state.store import StateStore

from .harness import Harness, ready, user_dn
from .test_operations import cli

WINDOW = "3600"


def store_of(h: Harness) -> StateStore:
    return StateStore(h.state / "ox-connector.sqlite")


def run_counted(h: Harness) -> dict[str, int]:
    h.reset_calls()
    result = h.run_cli()
    assert result.returncode == 0, result.stderr
    assert h.pending() == []
    return h.calls()


@pytest.fixture
def windowed(harness: Harness) -> Harness:
    harness.extra_env["OX_CONNECTOR_VERIFY_AFTER"] = WINDOW
    return harness


def test_unchanged_objects_again_make_no_call_within_the_window(windowed):
    h = windowed
    cid = ready(h)
    for name in ("ann", "bob"):
        h.user(name, cid)
    h.group("crew", ["ann", "bob"])
    h.resource("room", cid)
    assert run_counted(h)  # the first apply reads and writes
    for name in ("ann", "bob"):
        h.user(name, cid)
    h.group("crew", ["ann", "bob"])
    h.resource("room", cid)
    assert run_counted(h) == {}


def test_a_change_of_no_ox_field_makes_no_call(windowed):
    h = windowed
    cid = ready(h)
    h.user("cid1", cid)
    run_counted(h)
    # what UCS sends for a password change or a logon: properties OX does not hold
    h.user("cid1", cid, shell="/bin/zsh", sambaPwdLastSet="1764681000", userPassword=["{crypt}x"])
    assert run_counted(h) == {}


def test_a_changed_field_is_read_and_written_without_reading_module_access(windowed):
    h = windowed
    cid = ready(h)
    h.user("dora", cid)
    run_counted(h)
    h.user("dora", cid, organisation="Dora AG")
    calls = run_counted(h)
    assert calls == {"OXUserService.getData": 1, "OXUserService.change": 1}
    assert h.ox_user(cid, "dora").company == "Dora AG"
    # a changed access profile is read and written
    h.user("dora", cid, organisation="Dora AG", oxAccess="none")
    calls = run_counted(h)
    assert calls.get("OXUserService.getModuleAccess") == 1
    assert calls.get("OXUserService.changeByModuleAccess") == 1


def test_after_the_window_the_object_is_read_again_and_drift_is_repaired(windowed):
    h = windowed
    cid = ready(h)
    h.user("eve", cid, organisation="Eve Ltd")
    run_counted(h)
    user = h.ox_user(cid, "eve")
    # drift: someone changed OX behind the connector's back
    h.ox.user.change(
        ctx={"id": cid}, usrdata={"id": user.id, "company": "Other"}, auth=h.admin(cid)
    )
    h.user("eve", cid, organisation="Eve Ltd")
    assert run_counted(h) == {}  # within the window: trusted (check finds drift any time)
    assert h.ox_user(cid, "eve").company == "Other"
    # the window runs out: the same file reads OX again and repairs it
    store = store_of(h)
    try:
        state = store.find_by_dn(user_dn("eve"))
        assert state is not None and state.verified is not None
        with store.transaction():
            store.put(dataclasses.replace(state, verified=time.time() - int(WINDOW) - 1))
    finally:
        store.close()
    h.user("eve", cid, organisation="Eve Ltd")
    calls = run_counted(h)
    assert calls.get("OXUserService.getData") == 1 and calls.get("OXUserService.change") == 1
    assert h.ox_user(cid, "eve").company == "Eve Ltd"


def test_window_zero_reads_every_object_as_before(harness):
    harness.extra_env["OX_CONNECTOR_VERIFY_AFTER"] = "0"
    cid = ready(harness)
    harness.user("fay", cid)
    run_counted(harness)
    harness.user("fay", cid)
    calls = run_counted(harness)
    assert calls.get("OXUserService.getData") == 1
    assert harness.writes() == {}


def test_resync_reads_ox_although_the_window_has_not_run_out(windowed):
    h = windowed
    cid = ready(h)
    h.user("gus", cid, organisation="Gus Inc")
    run_counted(h)
    user = h.ox_user(cid, "gus")
    h.ox.user.change(
        ctx={"id": cid}, usrdata={"id": user.id, "company": "Drift"}, auth=h.admin(cid)
    )
    h.reset_calls()
    result = cli(h, "resync", "--dn", user_dn("gus"))
    assert result.returncode == 0, result.stderr
    assert h.ox_user(cid, "gus").company == "Gus Inc"
    assert h.calls().get("OXUserService.getModuleAccess") == 1  # all of it is read again


def test_a_member_moving_context_changes_the_group_although_its_file_is_unchanged(windowed):
    h = windowed
    cid = ready(h)
    other = h.context()
    h.run()
    h.user("hal", cid)
    h.user("ida", cid)
    h.group("team", ["hal", "ida"])
    run_counted(h)
    h.user("ida", other)  # moves; the group's own file is not queued again
    run_counted(h)
    hal, ida = h.ox_user(cid, "hal"), h.ox_user(other, "ida")
    assert h.ox_groups(cid) == {"team": [hal.id]}
    assert h.ox_groups(other) == {"team": [ida.id]}
    h.group("team", ["hal", "ida"])  # the unchanged group file: its state was refreshed
    assert run_counted(h) == {}


def test_many_users_are_read_in_batches_ahead_of_their_steps(harness):
    """Without a window every user is read, but with getMultipleData ahead of the steps
    (one call per batch and context), and module access only when the rights changed."""
    harness.extra_env.update(OX_CONNECTOR_VERIFY_AFTER="0", OX_CONNECTOR_WORKERS="8")
    cid = ready(harness)
    names = [f"bulk{i:02d}" for i in range(60)]
    for name in names:
        harness.user(name, cid)
    run_counted(harness)
    for name in names:  # the same files again
        harness.user(name, cid)
    assert run_counted(harness) == {"OXUserService.getMultipleData": 1}
    for name in names:  # one field changed for every user
        harness.user(name, cid, organisation="Bulk GmbH")
    calls = run_counted(harness)
    assert calls == {"OXUserService.getMultipleData": 1, "OXUserService.change": 60}
    assert {harness.ox_user(cid, n).company for n in names} == {"Bulk GmbH"}
