"""A first end-to-end pass: every kind once, and the call counts of the issue."""

from __future__ import annotations


def test_initial_objects_and_call_counts(harness):
    cid = harness.context()
    harness.profile()
    harness.run()
    harness.reset_calls()
    harness.user("anna", cid)
    harness.run()
    calls = harness.calls()
    assert sum(calls.values()) <= 2, calls  # a new user: lookup + create with module access
    assert harness.ox_user_names(cid) == {"anna"}

    harness.group("staff", ["anna"])
    harness.resource("beamer", cid)
    harness.run()
    anna = harness.ox_user(cid, "anna")
    assert harness.ox_groups(cid) == {"staff": [anna.id]}
    assert set(harness.ox_resources(cid)) == {"beamer"}

    # the same files again: reads only
    harness.reset_calls()
    harness.user("anna", cid)
    harness.group("staff", ["anna"])
    harness.resource("beamer", cid)
    harness.run()
    assert harness.writes() == {}
    assert harness.pending() == []
