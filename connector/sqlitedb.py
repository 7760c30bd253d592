"""Opening a versioned SQLite database and running transactions: shared by the
connector's state store and the emulator's OX store."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

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

    Raises sqlite3.DatabaseError for a file that is not a database, SchemaMismatch for a
    database of another version. ``migrations``: version -> the script that brings a
    database of that version to the next (an older file is brought up to ``version``)."""
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
            with transaction(db):
                for statement in migrations[found].split(";"):
                    if statement.strip():
                        db.execute(statement)
                found += 1
                db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (found,))
        if found != version:
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


class Result:
    """A statement's rows, fetched while the connection was held, and its cursor figures."""

    def __init__(self, rows: list[sqlite3.Row], lastrowid: int | None, rowcount: int):
        self.rows = rows
        self.lastrowid = lastrowid
        self.rowcount = rowcount

    def fetchone(self) -> sqlite3.Row | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        """The first column of the first row (``SELECT COUNT(*) ...``)."""
        return self.rows[0][0]

    def fetchall(self) -> list[sqlite3.Row]:
        return self.rows

    def __iter__(self) -> Iterator[sqlite3.Row]:
        return iter(self.rows)


class SharedConnection:
    """One connection for several threads (the connector's workers): each statement, and
    each transaction as a whole, runs under one lock, so no thread's statement lands in
    another thread's transaction and no cursor is read while another thread executes."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self._lock = threading.RLock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        with self._lock:
            cursor = self._db.execute(sql, params)
            return Result(cursor.fetchall(), cursor.lastrowid, cursor.rowcount)

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> Result:
        with self._lock:
            cursor = self._db.executemany(sql, params)
            return Result([], cursor.lastrowid, cursor.rowcount)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock, transaction(self._db):
            yield

    def close(self) -> None:
        with self._lock:
            self._db.close()
