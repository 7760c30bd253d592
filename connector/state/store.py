"""The connector's state: per UDM object (entryUUID) the last applied object, its DN and
where it lives in OX. Reconciliation reads it to know what to compare against and what
to remove; the runner commits it before it deletes the queue file (crash-safe order).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..files import SQLITE_COMPANIONS, private_file
from ..model.errors import ConnectorError
from ..model.kinds import Kind
from ..model.udm import (
    as_list,
    queue_file_without_password_material,
    without_password_material,
)
from ..sqlitedb import SchemaMismatch, SharedConnection, open_versioned

SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,                -- entryUUID
    udm_object_type TEXT NOT NULL,
    dn TEXT NOT NULL,
    object TEXT NOT NULL,               -- last applied UDM object, JSON
    updated REAL NOT NULL,              -- the row was last written
    fingerprint TEXT,                   -- JSON {part: hash} of the OX state last applied
    verified REAL,                      -- when OX was last read and made to match
    applied REAL                        -- when a change of this object was last applied
);
CREATE INDEX IF NOT EXISTS objects_dn ON objects (dn COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS objects_type ON objects (udm_object_type);
CREATE TABLE IF NOT EXISTS placements (
    id TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    context_id INTEGER NOT NULL,
    ox_id INTEGER,                      -- OX's id (user, group, resource, account)
    ox_name TEXT,
    PRIMARY KEY (id, context_id)
);
CREATE INDEX IF NOT EXISTS placements_context ON placements (context_id);
CREATE INDEX IF NOT EXISTS placements_ox ON placements (context_id, ox_id);
CREATE TABLE IF NOT EXISTS refs (       -- member DNs (users, groups) of groups / FAs
    id TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    dn TEXT NOT NULL COLLATE NOCASE
);
CREATE INDEX IF NOT EXISTS refs_dn ON refs (dn);
CREATE INDEX IF NOT EXISTS refs_id ON refs (id);
CREATE TABLE IF NOT EXISTS failures (   -- stop mode: the file the queue waits on
    file TEXT PRIMARY KEY,
    object_id TEXT,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    first_failed REAL NOT NULL,
    last_attempt REAL NOT NULL,
    next_attempt REAL NOT NULL,
    settings_hash TEXT                  -- the settings it failed with (salted hash)
);
CREATE TABLE IF NOT EXISTS dead_letters (  -- continue mode: changes set aside, in order
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    file TEXT NOT NULL,
    object_id TEXT,
    udm_object_type TEXT,
    dn TEXT,
    content BLOB NOT NULL,              -- the queue file's bytes, to put it back unchanged
    error TEXT NOT NULL,
    failed_at REAL NOT NULL,
    attempts INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_object ON dead_letters (object_id);
CREATE TABLE IF NOT EXISTS requeued (   -- dead letters put back: their attempt count
    file TEXT PRIMARY KEY,
    attempts INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS status (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# version -> the statements that bring a database of that version to the next one
_MIGRATIONS = {
    1: "ALTER TABLE objects ADD COLUMN fingerprint TEXT; "
    "ALTER TABLE objects ADD COLUMN verified REAL;",
    2: "ALTER TABLE objects ADD COLUMN applied REAL; "
    "UPDATE objects SET applied = updated; "
    "ALTER TABLE failures ADD COLUMN settings_hash TEXT;",
}


class StateError(ConnectorError):
    """The state database cannot be used (wrong schema, corrupt file); names the file."""


@dataclass(frozen=True)
class Placement:
    """Where an object lives in OX: one per context it exists in."""

    context_id: int
    ox_id: int | None
    ox_name: str | None


@dataclass(frozen=True)
class ObjectState:
    id: str
    udm_object_type: str
    dn: str
    object: dict[str, Any]
    placements: tuple[Placement, ...] = ()
    updated: float = field(default=0.0, compare=False)
    # what the connector last made OX hold (``KindHandler.fingerprint``), and when
    fingerprint: dict[str, str] = field(default_factory=dict, compare=False)
    verified: float | None = field(default=None, compare=False)
    # when a change of the object itself (its queue file, a resync, check --fix) was last
    # applied; not when it was re-applied for another object's change, or moved aside
    applied: float | None = field(default=None, compare=False)

    def placement(self, context_id: int) -> Placement | None:
        return next((p for p in self.placements if p.context_id == context_id), None)


class StateStore:
    """SQLite (WAL) in the state dir, one connection shared by the run's workers (each
    statement and each transaction under one lock). Writes happen inside ``transaction()``."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            # 0600 before SQLite opens it: its -wal, -shm and -journal files take the
            # database file's mode. An older, more open file is tightened.
            private_file(self.path, SQLITE_COMPANIONS)
            # durable: the queue file is deleted right after a commit, so the commit must
            # survive a power loss too, or the change would be lost from both.
            db = open_versioned(
                str(self.path),
                _SCHEMA,
                SCHEMA_VERSION,
                check_same_thread=False,
                durable=True,
                migrations=_MIGRATIONS,
            )
            self._db = SharedConnection(db)
            self._drop_stored_password_material()
        except (sqlite3.DatabaseError, SchemaMismatch) as exc:
            raise StateError(f"state database {self.path}: {exc}") from exc
        except OSError as exc:
            raise StateError(f"state database {self.path}: {exc.strerror}") from exc

    def _drop_stored_password_material(self) -> None:
        """Once per database: remove the password material that versions before 14 stored
        with the objects and dead letters, overwriting the freed pages."""
        done = "SELECT 1 FROM meta WHERE key = 'password_material_dropped'"
        if self._db.execute(done).fetchone() is not None:
            return
        self._db.execute("PRAGMA secure_delete = ON")
        with self.transaction():
            for row in self._db.execute("SELECT id, object FROM objects").fetchall():
                obj = json.loads(row["object"])
                if isinstance(obj, dict) and without_password_material(obj) is not obj:
                    self._db.execute(
                        "UPDATE objects SET object = ? WHERE id = ?",
                        (_object_json(obj), row["id"]),
                    )
            for row in self._db.execute("SELECT seq, content FROM dead_letters").fetchall():
                content = queue_file_without_password_material(bytes(row["content"]))
                if content != row["content"]:
                    self._db.execute(
                        "UPDATE dead_letters SET content = ? WHERE seq = ?", (content, row["seq"])
                    )
            self._db.execute("INSERT INTO meta VALUES ('password_material_dropped', '1')")
        self._db.execute("PRAGMA secure_delete = OFF")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the old pages leave the WAL

    def close(self) -> None:
        self._db.close()

    @property
    def db(self) -> SharedConnection:
        """The connection, for the operations records (``connector.state.operations``)."""
        return self._db

    def transaction(self) -> AbstractContextManager[None]:
        """Writes happen inside: ``with store.transaction(): ...``; other threads wait."""
        return self._db.transaction()

    def get(self, object_id: str) -> ObjectState | None:
        row = self._db.execute("SELECT * FROM objects WHERE id = ?", (object_id,)).fetchone()
        return None if row is None else self._state(row)

    def find_by_dn(self, dn: str) -> ObjectState | None:
        row = self._db.execute(
            "SELECT * FROM objects WHERE dn = ? COLLATE NOCASE", (dn,)
        ).fetchone()
        return None if row is None else self._state(row)

    def all(self, udm_object_type: str | None = None) -> Iterator[ObjectState]:
        if udm_object_type is None:
            rows = self._db.execute("SELECT * FROM objects ORDER BY id")
        else:
            rows = self._db.execute(
                "SELECT * FROM objects WHERE udm_object_type = ? ORDER BY id", (udm_object_type,)
            )
        for row in rows.fetchall():
            yield self._state(row)

    def in_context(self, context_id: int) -> Iterator[ObjectState]:
        """Every object with a placement in this context (context moves, drift checks)."""
        rows = self._db.execute(
            "SELECT o.* FROM objects o JOIN placements p ON p.id = o.id "
            "WHERE p.context_id = ? ORDER BY o.id",
            (context_id,),
        ).fetchall()
        for row in rows:
            yield self._state(row)

    def placed_at(self, udm_object_type: str, context_id: int, ox_id: int) -> str | None:
        """The id of the object of this type that owns OX object ``ox_id`` in the context."""
        row = self._db.execute(
            "SELECT o.id FROM objects o JOIN placements p ON p.id = o.id "
            "WHERE p.context_id = ? AND p.ox_id = ? AND o.udm_object_type = ?",
            (context_id, ox_id, udm_object_type),
        ).fetchone()
        return None if row is None else row[0]

    def referencing(self, dn: str) -> Iterator[ObjectState]:
        """Objects (groups, functional accounts) whose member list holds ``dn``."""
        rows = self._db.execute(
            "SELECT DISTINCT o.* FROM objects o JOIN refs r ON r.id = o.id WHERE r.dn = ? "
            "ORDER BY o.id",
            (dn,),
        ).fetchall()
        for row in rows:
            yield self._state(row)

    def forget_verification(self, object_ids: list[str]) -> None:
        """The next apply of these objects reads all of OX whatever the verify window says
        (their fingerprint and verification time are dropped)."""
        self._db.executemany(
            "UPDATE objects SET fingerprint = NULL, verified = NULL WHERE id = ?",
            [(object_id,) for object_id in object_ids],
        )

    def drop_context(self, context_id: int) -> None:
        """Forget every placement in a deleted context (OX deleted its contents)."""
        self._db.execute("DELETE FROM placements WHERE context_id = ?", (context_id,))

    def put(self, state: ObjectState, *, applied: bool = False) -> None:
        """Store the object; ``applied``: a change of this object itself was just applied
        (stamped now; otherwise the stored time stays)."""
        now = time.time()
        self._db.execute(
            "INSERT INTO objects (id, udm_object_type, dn, object, updated, fingerprint, "
            "verified, applied) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "udm_object_type = excluded.udm_object_type, dn = excluded.dn, "
            "object = excluded.object, updated = excluded.updated, "
            "fingerprint = excluded.fingerprint, verified = excluded.verified, "
            "applied = COALESCE(excluded.applied, objects.applied)",
            (
                state.id,
                state.udm_object_type,
                state.dn,
                _object_json(state.object),
                now,
                json.dumps(state.fingerprint, sort_keys=True) if state.fingerprint else None,
                state.verified,
                now if applied else None,
            ),
        )
        self._db.execute("DELETE FROM placements WHERE id = ?", (state.id,))
        self._db.executemany(
            "INSERT INTO placements VALUES (?, ?, ?, ?)",
            [(state.id, p.context_id, p.ox_id, p.ox_name) for p in state.placements],
        )
        self._db.execute("DELETE FROM refs WHERE id = ?", (state.id,))
        self._db.executemany(
            "INSERT INTO refs VALUES (?, ?)", [(state.id, dn) for dn in _member_dns(state)]
        )

    def delete(self, object_id: str) -> None:
        self._db.execute("DELETE FROM objects WHERE id = ?", (object_id,))

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM objects").scalar())

    def _state(self, row: sqlite3.Row) -> ObjectState:
        placements = self._db.execute(
            "SELECT context_id, ox_id, ox_name FROM placements WHERE id = ? ORDER BY context_id",
            (row["id"],),
        ).fetchall()
        return ObjectState(
            row["id"],
            row["udm_object_type"],
            row["dn"],
            json.loads(row["object"]),
            tuple(Placement(*p) for p in placements),
            row["updated"],
            json.loads(row["fingerprint"]) if row["fingerprint"] else {},
            row["verified"],
            row["applied"],
        )


def _object_json(obj: dict[str, Any]) -> str:
    """The stored form of a UDM object: without password material (``PASSWORD_PROPERTIES``,
    which the connector never needs: OX users log in through UCS)."""
    return json.dumps(without_password_material(obj), sort_keys=True, ensure_ascii=False)


MEMBER_LISTS: dict[str, tuple[str, ...]] = {
    Kind.GROUP.value: ("users",),
    Kind.FUNCTIONAL_ACCOUNT.value: ("users", "groups"),
}


def _member_dns(state: ObjectState) -> list[str]:
    """Member DNs of a group (``users``) or functional account (``users``, ``groups``)."""
    obj = state.object
    found: set[str] = set()
    for key in MEMBER_LISTS.get(state.udm_object_type, ()):
        found.update(m for m in as_list(obj.get(key)) if isinstance(m, str))
    return sorted(found)
