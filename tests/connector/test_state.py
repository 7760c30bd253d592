"""The state store (SQLite) and the credentials file (contexts.json)."""

from __future__ import annotations

import json
import multiprocessing
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.model.udm import is_password_property
from connector.state.credentials import (
    Credentials,
    CredentialsError,
    CredentialsFile,
    generate_password,
)
from connector.state.store import ObjectState, Placement, StateError, StateStore


@pytest.fixture
def store(tmp_path):
    s = StateStore(tmp_path / "state.sqlite")
    yield s
    s.close()


def user(uid="u1", dn="uid=anna,cn=users,dc=example,dc=org", **obj):
    return ObjectState(
        uid, "users/user", dn, {"username": "anna", **obj}, (Placement(10, 3, "anna"),)
    )


def test_put_get_roundtrip_and_dn_lookup(store):
    with store.transaction():
        store.put(user(mailPrimaryAddress="anna@example.org"))
    got = store.get("u1")
    assert got == user(mailPrimaryAddress="anna@example.org")
    assert got.placement(10) == Placement(10, 3, "anna") and got.placement(11) is None
    assert store.find_by_dn("UID=anna,cn=users,dc=example,dc=org").id == "u1"
    assert store.get("nope") is None


def test_put_replaces_object_and_placements(store):
    with store.transaction():
        store.put(user())
        store.put(
            ObjectState(
                "u1",
                "users/user",
                "uid=anna2,cn=users,dc=example,dc=org",
                {"username": "anna2"},
                (Placement(11, 4, "anna2"),),
            )
        )
    got = store.get("u1")
    assert got.dn.startswith("uid=anna2") and got.placements == (Placement(11, 4, "anna2"),)
    assert [s.id for s in store.in_context(10)] == []
    assert [s.id for s in store.in_context(11)] == ["u1"]


def test_failed_transaction_leaves_nothing(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.put(user())
        raise RuntimeError("crash before commit")
    assert store.get("u1") is None and store.count() == 0


def test_delete_and_listing_by_type(store):
    with store.transaction():
        store.put(user("u1"))
        store.put(ObjectState("g1", "groups/group", "cn=staff,cn=groups,dc=x", {"name": "staff"}))
        store.delete("u1")
    assert [s.id for s in store.all()] == ["g1"]
    assert [s.id for s in store.all("users/user")] == []


def test_state_survives_reopen(tmp_path):
    path = tmp_path / "state.sqlite"
    first = StateStore(path)
    with first.transaction():
        first.put(user())
    first.close()
    again = StateStore(path)
    assert again.get("u1") == user()
    again.close()


def test_corrupt_or_foreign_database_is_named(tmp_path):
    bad = tmp_path / "state.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError, match=str(bad)):
        StateStore(bad)


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=20),
        st.one_of(
            st.none(), st.text(), st.integers(), st.booleans(), st.lists(st.text(), max_size=4)
        ),
        max_size=10,
    )
)
def test_any_json_object_roundtrips(tmp_path_factory, obj):
    s = StateStore(tmp_path_factory.mktemp("h") / "s.sqlite")
    with s.transaction():
        s.put(ObjectState("x", "users/user", "uid=x,dc=y", obj))
    # as it was, less password material (never stored: tests/connector/test_hardening_run.py)
    assert s.get("x").object == {k: v for k, v in obj.items() if not is_password_property(k)}
    s.close()


# credentials file ----------------------------------------------------------------------


def test_credentials_written_0600_sorted_in_upstream_format(tmp_path):
    f = CredentialsFile(tmp_path / "secrets" / "contexts.json")
    f.set(10, Credentials("oxadmin", "pw10"))
    f.set("master", Credentials("oxadminmaster", "mpw"))
    f.set(2, Credentials("oxadmin-context2", "pw2"))
    mode = stat.S_IMODE(f.path.stat().st_mode)
    assert mode == 0o600
    data = json.loads(f.path.read_text())
    assert list(data) == ["10", "2", "master"]
    assert data["10"] == {"adminuser": "oxadmin", "adminpass": "pw10"}
    assert f.context(2) == Credentials("oxadmin-context2", "pw2")
    assert f.master().login == "oxadminmaster"
    f.remove(2)
    assert f.context(2) is None and f.context(10) is not None
    assert [p.name for p in f.path.parent.iterdir()] == ["contexts.json"]  # no temp left


def test_missing_file_is_empty(tmp_path):
    assert CredentialsFile(tmp_path / "none.json").load() == {}


@pytest.mark.parametrize(
    "content,expected",
    [
        ("{not json", "not valid JSON (line 1, column 2)"),
        ("[]", "expected a JSON object"),
        ('{"10": {"adminuser": "oxadmin"}}', 'entry "10" needs string "adminuser" and "adminpass"'),
        ('{"ctx": {"adminuser": "a", "adminpass": "b"}}', 'entry "ctx" is neither'),
    ],
)
def test_malformed_file_names_file_and_entry(tmp_path, content, expected):
    path = tmp_path / "contexts.json"
    path.write_text(content)
    with pytest.raises(CredentialsError) as exc_info:
        CredentialsFile(path).load()
    assert str(path) in str(exc_info.value) and expected in str(exc_info.value)


def test_passwords_stay_out_of_repr_and_errors(tmp_path):
    creds = Credentials("oxadmin", "very-secret")
    assert "very-secret" not in repr(creds)
    path = tmp_path / "contexts.json"
    path.write_text('{"10": {"adminuser": "oxadmin", "adminpass": 42}}')
    with pytest.raises(CredentialsError) as exc_info:
        CredentialsFile(path).load()
    assert "42" not in str(exc_info.value).replace(str(path), "")


def test_generated_passwords_are_long_and_distinct():
    pws = {generate_password() for _ in range(20)}
    assert len(pws) == 20 and all(len(p) == 64 and p.isalnum() for p in pws)


def _writer(path, n):
    f = CredentialsFile(path)
    for i in range(n):
        f.set(1000 + i, Credentials("a", "b"))


def test_concurrent_reader_never_sees_a_partial_file(tmp_path):
    path = tmp_path / "contexts.json"
    CredentialsFile(path).set("master", Credentials("m", "p"))
    proc = multiprocessing.get_context("spawn").Process(target=_writer, args=(path, 200))
    proc.start()
    reader = CredentialsFile(path)
    while proc.is_alive():
        assert reader.master() == Credentials("m", "p")  # raises on a torn read
    proc.join()
    assert proc.exitcode == 0


SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE objects (id TEXT PRIMARY KEY, udm_object_type TEXT NOT NULL, dn TEXT NOT NULL,
    object TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE failures (file TEXT PRIMARY KEY, object_id TEXT, error TEXT NOT NULL,
    attempts INTEGER NOT NULL, first_failed REAL NOT NULL, last_attempt REAL NOT NULL,
    next_attempt REAL NOT NULL);
INSERT INTO objects VALUES ('u1', 'users/user', 'uid=anna,dc=x', '{"username": "anna"}', 1000.0);
INSERT INTO failures VALUES ('f.json', NULL, 'boom', 2, 1.0, 2.0, 3.0);
"""


def test_a_version_1_database_is_migrated_in_place(tmp_path):
    """Version 2 added the fingerprint and when OX was last read, version 3 when a change
    of the object was last applied and the settings hash of a failure: an existing state
    database is upgraded step by step, its records kept."""
    import sqlite3

    from connector.state.operations import Operations
    from connector.state.store import SCHEMA_VERSION

    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_V1)
    db.close()
    store = StateStore(path)
    try:
        version = store.db.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        assert int(version.scalar()) == SCHEMA_VERSION == 3
        old = store.get("u1")
        assert (old.object, old.applied, old.verified) == ({"username": "anna"}, 1000.0, None)
        failure = Operations(store).current_failure()
        assert (failure.file, failure.attempts, failure.settings_hash) == ("f.json", 2, None)
        with store.transaction():
            store.put(user("u2"))  # e.g. a group re-applied for its member's change
            store.put(user("u3"), applied=True)  # its own change
        assert store.get("u2").applied is None and store.get("u3").applied is not None
        with store.transaction():
            store.put(user("u3"))  # stored again, not applied: the time stays
        assert store.get("u3").applied is not None
    finally:
        store.close()
    StateStore(path).close()  # opening it again: no second migration
