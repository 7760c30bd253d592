"""The emulator's OX state in SQLite: contexts, principals (users, groups, resources share
one id sequence per context), group memberships, login mappings, secondary accounts.

One connection, one lock: every SOAP call runs in one transaction and is rolled back when
it faults, as an OX call is atomic.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connector.sqlitedb import SchemaMismatch, open_versioned, transaction

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contexts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_mappings (
    mapping TEXT PRIMARY KEY COLLATE NOCASE,
    cid INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS principals (
    cid INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'group', 'resource')),
    name TEXT NOT NULL COLLATE NOCASE,
    display_name TEXT,
    mail TEXT,
    data TEXT NOT NULL,
    PRIMARY KEY (cid, id),
    UNIQUE (cid, kind, name)
);
CREATE INDEX IF NOT EXISTS principals_display ON principals (cid, kind, display_name);
CREATE INDEX IF NOT EXISTS principals_mail ON principals (cid, mail);
CREATE TABLE IF NOT EXISTS memberships (
    cid INTEGER NOT NULL,
    group_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    PRIMARY KEY (cid, group_id, user_id),
    FOREIGN KEY (cid, group_id) REFERENCES principals(cid, id) ON DELETE CASCADE,
    FOREIGN KEY (cid, user_id) REFERENCES principals(cid, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS memberships_user ON memberships (cid, user_id);
CREATE TABLE IF NOT EXISTS accounts (
    cid INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    primary_address TEXT NOT NULL COLLATE NOCASE,
    data TEXT NOT NULL,
    PRIMARY KEY (cid, user_id, id),
    UNIQUE (cid, user_id, primary_address),
    FOREIGN KEY (cid, user_id) REFERENCES principals(cid, id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS changes (cid INTEGER PRIMARY KEY, count INTEGER NOT NULL);
""" + "".join(
    # Every write to a context's rows counts, so that a client can tell whether a
    # context changed since it last read it (GET /emulator/changes). No foreign key:
    # the count outlives the context, and a new context of that id counts on.
    f"""
CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_counts AFTER {event} ON {table}
BEGIN
    INSERT INTO changes VALUES ({row}.{cid}, 1)
        ON CONFLICT (cid) DO UPDATE SET count = count + 1;
END;
"""
    for table, cid in (
        ("contexts", "id"),
        ("login_mappings", "cid"),
        ("principals", "cid"),
        ("memberships", "cid"),
        ("accounts", "cid"),
    )
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
)


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), default=_bytes_to_json)


def _bytes_to_json(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b": value.hex()}
    raise TypeError(f"cannot store {type(value).__name__}")


def _load(text: str) -> dict[str, Any]:
    return json.loads(text, object_hook=lambda d: bytes.fromhex(d["$b"]) if "$b" in d else d)


class Store:
    def __init__(self, path: str):
        try:
            self._db = open_versioned(path, _SCHEMA, SCHEMA_VERSION, check_same_thread=False)
        except (sqlite3.DatabaseError, SchemaMismatch) as exc:
            raise RuntimeError(f"emulator database {path}: {exc}") from exc
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock, transaction(self._db):
            yield

    def changes(self) -> dict[int, int]:
        """Per context id, how many rows of it were written so far (never decreases)."""
        with self._lock:
            return dict(self._db.execute("SELECT cid, count FROM changes ORDER BY cid").fetchall())

    # contexts ---------------------------------------------------------------------------
    def context(self, cid: int) -> dict[str, Any] | None:
        row = self._db.execute("SELECT * FROM contexts WHERE id = ?", (cid,)).fetchone()
        return self._context_row(row)

    def context_exists(self, cid: int) -> bool:
        return (
            self._db.execute("SELECT 1 FROM contexts WHERE id = ?", (cid,)).fetchone() is not None
        )

    def context_by_name(self, name: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT * FROM contexts WHERE name = ?", (name,)).fetchone()
        return self._context_row(row)

    def contexts(self) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT * FROM contexts ORDER BY id").fetchall()
        return [self._context_row(r) for r in rows]

    def _context_row(self, row) -> dict[str, Any] | None:
        if row is None:
            return None
        ctx = _load(row["data"])
        ctx.update(id=row["id"], name=row["name"], loginMappings=self.login_mappings(row["id"]))
        return ctx

    def put_context(self, ctx: dict[str, Any]) -> None:
        data = {k: v for k, v in ctx.items() if k not in ("id", "name", "loginMappings")}
        self._db.execute(
            "INSERT INTO contexts (id, name, data) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data",
            (ctx["id"], ctx["name"], _dump(data)),
        )

    def delete_context(self, cid: int) -> None:
        self._db.execute("DELETE FROM accounts WHERE cid = ?", (cid,))
        self._db.execute("DELETE FROM memberships WHERE cid = ?", (cid,))
        self._db.execute("DELETE FROM principals WHERE cid = ?", (cid,))
        self._db.execute("DELETE FROM contexts WHERE id = ?", (cid,))

    def login_mappings(self, cid: int) -> list[str]:
        rows = self._db.execute(
            "SELECT mapping FROM login_mappings WHERE cid = ? ORDER BY rowid", (cid,)
        )
        return [r[0] for r in rows]

    def mapping_owner(self, mapping: str) -> int | None:
        row = self._db.execute(
            "SELECT cid FROM login_mappings WHERE mapping = ?", (mapping,)
        ).fetchone()
        return None if row is None else row[0]

    def set_login_mappings(self, cid: int, mappings: list[str]) -> None:
        self._db.execute("DELETE FROM login_mappings WHERE cid = ?", (cid,))
        self._db.executemany(
            "INSERT INTO login_mappings VALUES (?, ?)", [(m, cid) for m in dict.fromkeys(mappings)]
        )

    def next_principal_id(self, cid: int) -> int:
        """OX's per-context principal sequence, shared by users, groups and resources."""
        ctx = self.context(cid)
        ctx["next_id"] = ctx.get("next_id", 1) + 1
        self.put_context(ctx)
        return ctx["next_id"] - 1

    # principals -------------------------------------------------------------------------
    def principal(
        self, cid: int, kind: str, pid: int | None = None, name: str | None = None
    ) -> dict[str, Any] | None:
        if pid:
            row = self._db.execute(
                "SELECT * FROM principals WHERE cid = ? AND kind = ? AND id = ?", (cid, kind, pid)
            ).fetchone()
        else:
            row = self._db.execute(
                "SELECT * FROM principals WHERE cid = ? AND kind = ? AND name = ?",
                (cid, kind, name),
            ).fetchone()
        return None if row is None else self._principal_row(row)

    def principal_names(self, cid: int, pid: int) -> tuple[str, str | None] | None:
        """(name, display name) of a principal without loading its data."""
        row = self._db.execute(
            "SELECT name, json_extract(data, '$.displayname') FROM principals "
            "WHERE cid = ? AND id = ?",
            (cid, pid),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def principals(self, cid: int, kind: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT * FROM principals WHERE cid = ? AND kind = ? ORDER BY id", (cid, kind)
        )
        return [self._principal_row(r) for r in rows]

    @staticmethod
    def _principal_row(row) -> dict[str, Any]:
        obj = _load(row["data"])
        obj.update(id=row["id"], name=row["name"])
        return obj

    def put_principal(
        self, cid: int, kind: str, obj: dict[str, Any], display_name: str | None, mail: str | None
    ) -> None:
        data = {k: v for k, v in obj.items() if k not in ("id", "name")}
        self._db.execute(
            "INSERT INTO principals (cid, id, kind, name, display_name, mail, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (cid, id) DO UPDATE SET "
            "name = excluded.name, display_name = excluded.display_name, "
            "mail = excluded.mail, data = excluded.data",
            (
                cid,
                obj["id"],
                kind,
                obj["name"],
                display_name,
                mail.lower() if mail else None,
                _dump(data),
            ),
        )

    def delete_principal(self, cid: int, pid: int) -> None:
        self._db.execute("DELETE FROM accounts WHERE cid = ? AND user_id = ?", (cid, pid))
        self._db.execute(
            "DELETE FROM memberships WHERE cid = ? AND (group_id = ? OR user_id = ?)",
            (cid, pid, pid),
        )
        self._db.execute("DELETE FROM principals WHERE cid = ? AND id = ?", (cid, pid))

    def display_name_owner(self, cid: int, display_name: str) -> int | None:
        row = self._db.execute(
            "SELECT id FROM principals WHERE cid = ? AND kind = 'user' AND display_name = ?",
            (cid, display_name),
        ).fetchone()
        return None if row is None else row[0]

    def mail_owners(self, cid: int, mail: str) -> list[tuple[str, int]]:
        rows = self._db.execute(
            "SELECT kind, id FROM principals WHERE cid = ? AND mail = ? ORDER BY id",
            (cid, mail.lower()),
        )
        return [(r[0], r[1]) for r in rows]

    # memberships ------------------------------------------------------------------------
    def members(self, cid: int, group_id: int) -> list[int]:
        rows = self._db.execute(
            "SELECT user_id FROM memberships WHERE cid = ? AND group_id = ? ORDER BY user_id",
            (cid, group_id),
        )
        return [r[0] for r in rows]

    def set_members(self, cid: int, group_id: int, user_ids) -> None:
        self._db.execute("DELETE FROM memberships WHERE cid = ? AND group_id = ?", (cid, group_id))
        self.add_members(cid, group_id, user_ids)

    def add_members(self, cid: int, group_id: int, user_ids) -> None:
        self._db.executemany(
            "INSERT OR IGNORE INTO memberships VALUES (?, ?, ?)",
            [(cid, group_id, uid) for uid in user_ids],
        )

    def remove_members(self, cid: int, group_id: int, user_ids) -> None:
        self._db.executemany(
            "DELETE FROM memberships WHERE cid = ? AND group_id = ? AND user_id = ?",
            [(cid, group_id, uid) for uid in user_ids],
        )

    def groups_of(self, cid: int, user_id: int) -> list[int]:
        rows = self._db.execute(
            "SELECT group_id FROM memberships WHERE cid = ? AND user_id = ? ORDER BY group_id",
            (cid, user_id),
        )
        return [r[0] for r in rows]

    # secondary accounts -----------------------------------------------------------------
    def accounts(self, cid: int, user_id: int) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT * FROM accounts WHERE cid = ? AND user_id = ? ORDER BY id", (cid, user_id)
        )
        return [
            {
                **_load(r["data"]),
                "contextId": cid,
                "userId": user_id,
                "id": r["id"],
                "primaryAddress": r["primary_address"],
            }
            for r in rows
        ]

    def account_id_for(self, cid: int, user_id: int, primary_address: str) -> int | None:
        row = self._db.execute(
            "SELECT id FROM accounts WHERE cid = ? AND user_id = ? AND primary_address = ?",
            (cid, user_id, primary_address),
        ).fetchone()
        return None if row is None else row[0]

    def put_account(self, cid: int, user_id: int, account: dict[str, Any]) -> int:
        aid = account.get("id")
        if aid is None:
            row = self._db.execute(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM accounts WHERE cid = ? AND user_id = ?",
                (cid, user_id),
            ).fetchone()
            aid = row[0]  # the primary account is 0, secondaries start at 1
        data = {
            k: v
            for k, v in account.items()
            if k not in ("id", "contextId", "userId", "primaryAddress")
        }
        self._db.execute(
            "INSERT OR REPLACE INTO accounts VALUES (?, ?, ?, ?, ?)",
            (cid, user_id, aid, account["primaryAddress"], _dump(data)),
        )
        return aid

    def delete_account(self, cid: int, user_id: int, aid: int) -> None:
        self._db.execute(
            "DELETE FROM accounts WHERE cid = ? AND user_id = ? AND id = ?", (cid, user_id, aid)
        )
