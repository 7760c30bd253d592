"""The planner: kind order, context deletions last, coalescing."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.queue import Change, Kind, Plan, Step, make_plan, rank

Q = Path("/queue")


def ch(id_: str, kind: Kind, ts: int, delete: bool = False) -> Change:
    stamp = f"2024-05-02-10-11-12-{ts:06d}"
    return Change(
        id=id_,
        udm_object_type=kind.value,
        dn=f"cn={id_},dc=example,dc=org",
        object=None if delete else {"name": id_, "ts": ts},
        options=(),
        path=Q / f"{stamp}.json",
        timestamp=stamp,
    )


def order(p: Plan) -> list[tuple[str, int]]:
    return [(s.change.id, s.change.object["ts"] if s.change.object else -1) for s in p.steps]


def test_empty():
    assert make_plan([]) == Plan(())


def test_kind_order_beats_timestamps():
    changes = [
        ch("res", Kind.RESOURCE, 1),
        ch("fa", Kind.FUNCTIONAL_ACCOUNT, 2),
        ch("grp", Kind.GROUP, 3),
        ch("usr", Kind.USER, 4),
        ch("ap", Kind.ACCESS_PROFILE, 5),
        ch("ctx", Kind.CONTEXT, 6),
    ]
    assert [s.change.id for s in make_plan(changes).steps] == [
        "ctx",
        "ap",
        "usr",
        "grp",
        "fa",
        "res",
    ]


def test_context_deletions_last():
    changes = [
        ch("ctx-old", Kind.CONTEXT, 1, delete=True),
        ch("ctx-new", Kind.CONTEXT, 2),
        ch("usr", Kind.USER, 3, delete=True),
        ch("res", Kind.RESOURCE, 4),
    ]
    assert [s.change.id for s in make_plan(changes).steps] == ["ctx-new", "usr", "res", "ctx-old"]


def test_timestamp_order_within_a_kind_regardless_of_input_order():
    changes = [ch("u3", Kind.USER, 3), ch("u1", Kind.USER, 1), ch("u2", Kind.USER, 2, delete=True)]
    assert [s.change.id for s in make_plan(changes).steps] == ["u1", "u2", "u3"]


def test_coalesces_to_the_newest_and_supersedes_the_rest():
    a1, a2, a3 = ch("a", Kind.USER, 1), ch("a", Kind.USER, 5), ch("a", Kind.USER, 9)
    b = ch("b", Kind.USER, 3)
    p = make_plan([a3, b, a1, a2])
    assert p.steps == (Step(b), Step(a3, (a1.path, a2.path)))
    assert p.steps[1].paths == (a1.path, a2.path, a3.path)


def test_coalesced_step_runs_at_its_newest_position():
    # b (t2) is older than a's newest (t3): it is applied first, never overtaken.
    p = make_plan([ch("a", Kind.GROUP, 1), ch("b", Kind.GROUP, 2), ch("a", Kind.GROUP, 3)])
    assert order(p) == [("b", 2), ("a", 3)]


def test_create_then_delete_is_a_delete():
    create, delete = ch("u", Kind.USER, 1), ch("u", Kind.USER, 2, delete=True)
    assert make_plan([create, delete]).steps == (Step(delete, (create.path,)),)


def test_delete_then_recreate_is_a_create():
    delete, create = ch("u", Kind.USER, 1, delete=True), ch("u", Kind.USER, 2)
    assert make_plan([delete, create]).steps == (Step(create, (delete.path,)),)


def test_context_create_then_delete_goes_last():
    create, delete = ch("c", Kind.CONTEXT, 1), ch("c", Kind.CONTEXT, 5, delete=True)
    user = ch("u", Kind.USER, 3)
    assert make_plan([create, user, delete]).steps == (Step(user), Step(delete, (create.path,)))


def test_context_delete_then_recreate_goes_first():
    delete, create = ch("c", Kind.CONTEXT, 1, delete=True), ch("c", Kind.CONTEXT, 5)
    user = ch("u", Kind.USER, 3)
    assert make_plan([delete, user, create]).steps == (Step(create, (delete.path,)), Step(user))


def test_same_path_twice_is_a_programming_error():
    c = ch("a", Kind.USER, 1)
    with pytest.raises(ValueError, match="given twice"):
        make_plan([c, c])


# -- properties -------------------------------------------------------------------------

IDS = st.sampled_from([f"id{i}" for i in range(6)])


@st.composite
def queues(draw) -> list[Change]:
    # Few ids and timestamps so that coalescing and equal-timestamp ties happen often;
    # paths are unique (one file per name), timestamps may repeat via a name suffix.
    n = draw(st.integers(0, 25))
    out = []
    for i in range(n):
        kind = draw(st.sampled_from(list(Kind)))
        ts = f"2024-05-02-10-11-12-{draw(st.integers(0, 9)):06d}"
        path = Q / f"{ts}-{i:03d}.json"  # unique name; stem ties broken by name
        out.append(
            Change(
                id=draw(IDS),
                udm_object_type=kind.value,
                dn="cn=x",
                object=None if draw(st.booleans()) else {"i": i},
                options=(),
                path=path,
                timestamp=ts,
            )
        )
    return draw(st.permutations(out))


@settings(max_examples=100, deadline=None)
@given(queues())
def test_property_plan(changes):
    p = make_plan(changes)
    steps = p.steps

    # each id at most once among the steps
    step_ids = [s.change.id for s in steps]
    assert len(step_ids) == len(set(step_ids))

    # every input path exactly once: applied or superseded
    consumed = [path for s in steps for path in s.paths]
    assert sorted(consumed) == sorted(c.path for c in changes)

    # the applied change of an id is its newest file; superseded files are its older ones
    by_path = {c.path: c for c in changes}
    for s in steps:
        same_id = [c for c in changes if c.id == s.change.id]
        assert s.change == max(same_id, key=lambda c: c.sort_key)
        assert all(by_path[q].id == s.change.id for q in s.superseded)
        assert all(by_path[q].sort_key < s.change.sort_key for q in s.superseded)

    # kind order, context deletions last, timestamps ascending within a kind
    ranks = [rank(s.change) for s in steps]
    assert ranks == sorted(ranks)
    seen_context_delete = False
    for s in steps:
        is_ctx_delete = s.change.kind is Kind.CONTEXT and s.change.is_delete
        assert is_ctx_delete or not seen_context_delete
        seen_context_delete |= is_ctx_delete
    for a, b in pairwise(steps):
        if rank(a.change) == rank(b.change):
            assert a.change.sort_key < b.change.sort_key


@settings(max_examples=100, deadline=None)
@given(queues())
def test_property_input_order_does_not_matter(changes):
    assert make_plan(changes) == make_plan(reversed(changes))
