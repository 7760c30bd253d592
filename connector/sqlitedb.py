"""Opening a versioned SQLite database and running transactions: shared by the
connector's state store and the emulator's OX store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from .model.errors import ConnectorError


class SchemaMismatch(ConnectorError):
    """The file holds another schema version than this program needs."""


def open_versioned(
    path: str,
    schema: str,
    version: int,
    *,
    check_same_thread: bool = True,
    durable: bool = False,
    migrations: Mapping[int, str] | None = None,
) -> sqlite3.Connection:
    """Connect (autocommit; explicit transactions), enable foreign keys, use WAL for files,
    create ``schema`` (which must define ``meta(key, value)``) and check its version.

    ``durable``: fsync every commit (synchronous=FULL). Without it a commit survives a
    process crash but may be lost on power loss.

    ``migrations``: SQL that takes a database of version n to n + 1, by n; a database of
    an older version is brought up to ``version`` step by step, each step in one
    transaction. ``schema`` creates only what is missing, so it must not index columns
    that a migration adds.

    Raises sqlite3.DatabaseError for a file that is not a database, SchemaMismatch for a
    database of another version (newer, or older without a migration)."""
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
    else:
        found = int(row[0])
        while found < version and migrations and found in migrations:
            _migrate(db, migrations[found], found + 1)
            found += 1
        if found != version:
            db.close()
            raise SchemaMismatch(f"schema version {row[0]}, this program needs {version}")
    return db


def _migrate(db: sqlite3.Connection, script: str, to: int) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        for statement in filter(str.strip, script.split(";")):
            db.execute(statement)
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (to,))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


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
