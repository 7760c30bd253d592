"""Opening a versioned SQLite database and running transactions: shared by the
connector's state store and the emulator's OX store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from .model.errors import ConnectorError


class SchemaMismatch(ConnectorError):
    """The file holds another schema version than this program needs."""


def open_versioned(
    path: str, schema: str, version: int, *, check_same_thread: bool = True, durable: bool = False
) -> sqlite3.Connection:
    """Connect (autocommit; explicit transactions), enable foreign keys, use WAL for files,
    create ``schema`` (which must define ``meta(key, value)``) and check its version.

    ``durable``: fsync every commit (synchronous=FULL). Without it a commit survives a
    process crash but may be lost on power loss.

    Raises sqlite3.DatabaseError for a file that is not a database, SchemaMismatch for a
    database of another version."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=check_same_thread)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys = ON")
    if path != ":memory:":
        db.execute("PRAGMA journal_mode = WAL")
        # WAL keeps the file consistent either way; FULL also keeps the last commit.
        db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
    db.executescript(schema)
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (version,))
    elif int(row[0]) != version:
        db.close()
        raise SchemaMismatch(f"schema version {row[0]}, this program needs {version}")
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK when the block raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
