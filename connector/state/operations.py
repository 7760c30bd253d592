"""Operational records next to the state: the failure the queue waits on (stop mode,
with back-off), dead letters (continue mode) and the run status that ``health`` reports.
All live in the state database, so they are committed with the same guarantees."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from ..model.udm import queue_file_without_password_material
from .store import StateStore

BACKOFF_FIRST = 5.0  # seconds before the first retry of a failed file
BACKOFF_MAX = 600.0  # the bound: a stuck queue is retried at least every 10 minutes
FINGERPRINT_ROUNDS = 20_000  # PBKDF2 rounds of the settings hash: a few ms per run
_SALT = "settings_salt"


def backoff(attempts: int, first: float = BACKOFF_FIRST, bound: float = BACKOFF_MAX) -> float:
    """Seconds to wait after the n-th failed attempt: doubling, up to the bound."""
    return min(first * 2.0 ** max(attempts - 1, 0), bound)


@dataclass(frozen=True)
class Failure:
    file: str
    object_id: str | None
    error: str
    attempts: int
    first_failed: float
    last_attempt: float
    next_attempt: float
    settings_hash: str | None = None  # the settings it failed with (``settings_fingerprint``)


@dataclass(frozen=True)
class DeadLetter:
    seq: int
    file: str
    object_id: str | None
    udm_object_type: str | None
    dn: str | None
    content: bytes
    error: str
    failed_at: float
    attempts: int

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.seq,
            "file": self.file,
            "object_id": self.object_id,
            "udm_object_type": self.udm_object_type,
            "dn": self.dn,
            "error": self.error,
            "failed_at": self.failed_at,
            "attempts": self.attempts,
        }


class Operations:
    def __init__(self, store: StateStore):
        self.db = store.db

    # -- stop mode: back-off ------------------------------------------------------------------
    def failure(self, file: str) -> Failure | None:
        row = self.db.execute("SELECT * FROM failures WHERE file = ?", (file,)).fetchone()
        return None if row is None else Failure(**dict(row))

    def record_failure(
        self,
        file: str,
        object_id: str | None,
        error: str,
        now: float | None = None,
        first: float = BACKOFF_FIRST,
        bound: float = BACKOFF_MAX,
        settings_hash: str | None = None,
    ) -> Failure:
        now = time.time() if now is None else now
        old = self.failure(file)
        attempts = old.attempts + 1 if old else 1
        failure = Failure(
            file,
            object_id,
            error,
            attempts,
            old.first_failed if old else now,
            now,
            now + backoff(attempts, first, bound),
            settings_hash,
        )
        self.db.execute("DELETE FROM failures")  # the queue waits on one file at a time
        self.db.execute(
            "INSERT INTO failures (file, object_id, error, attempts, first_failed, "
            "last_attempt, next_attempt, settings_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                failure.file,
                failure.object_id,
                failure.error,
                failure.attempts,
                failure.first_failed,
                failure.last_attempt,
                failure.next_attempt,
                failure.settings_hash,
            ),
        )
        return failure

    def clear_failure(self, file: str | None = None) -> None:
        """Forget the failure the queue waits on (only if it is ``file``'s, when given)."""
        if file is None:
            self.db.execute("DELETE FROM failures")
        else:
            self.db.execute("DELETE FROM failures WHERE file = ?", (file,))

    def settings_fingerprint(self, material: bytes) -> str:
        """A salted hash of the settings a run works with (``material``, which holds the
        master password): stored with a failure, so that a run after a settings change
        tries the failed file at once. PBKDF2-SHA256 with a random salt of this state
        database, so that neither the password nor a plain hash of it is stored."""
        self.db.execute(  # once per state database
            "INSERT OR IGNORE INTO meta VALUES (?, ?)", (_SALT, secrets.token_hex(16))
        )
        salt = bytes.fromhex(
            self.db.execute("SELECT value FROM meta WHERE key = ?", (_SALT,)).scalar()
        )
        return hashlib.pbkdf2_hmac("sha256", material, salt, FINGERPRINT_ROUNDS).hex()

    def current_failure(self) -> Failure | None:
        row = self.db.execute("SELECT * FROM failures").fetchone()
        return None if row is None else Failure(**dict(row))

    # -- continue mode: dead letters -----------------------------------------------------------
    def add_dead_letter(
        self,
        file: str,
        content: bytes,
        error: str,
        object_id: str | None,
        udm_object_type: str | None,
        dn: str | None,
        now: float | None = None,
    ) -> int:
        """Set a change aside; a file that was put back by ``retry`` keeps counting. The
        file's bytes are kept without password material (still a re-playable file)."""
        content = queue_file_without_password_material(content)
        known = self.db.execute("SELECT seq FROM dead_letters WHERE file = ?", (file,)).fetchone()
        if known is not None:  # already set aside (a crash before its file was removed)
            return int(known[0])
        row = self.db.execute("SELECT attempts FROM requeued WHERE file = ?", (file,)).fetchone()
        attempts = row[0] + 1 if row else 1
        self.db.execute("DELETE FROM requeued WHERE file = ?", (file,))
        cursor = self.db.execute(
            "INSERT INTO dead_letters (file, object_id, udm_object_type, dn, content, error, "
            "failed_at, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                file,
                object_id,
                udm_object_type,
                dn,
                content,
                error,
                time.time() if now is None else now,
                attempts,
            ),
        )
        seq = cursor.lastrowid
        assert seq is not None  # set by every INSERT into a rowid table
        return seq

    def dead_letters(self, object_id: str | None = None) -> list[DeadLetter]:
        if object_id is None:
            rows = self.db.execute("SELECT * FROM dead_letters ORDER BY seq")
        else:
            rows = self.db.execute(
                "SELECT * FROM dead_letters WHERE object_id = ? ORDER BY seq", (object_id,)
            )
        return [DeadLetter(**dict(row)) for row in rows.fetchall()]

    def dead_letter(self, seq: int) -> DeadLetter | None:
        row = self.db.execute("SELECT * FROM dead_letters WHERE seq = ?", (seq,)).fetchone()
        return None if row is None else DeadLetter(**dict(row))

    def has_dead_letters(self, object_id: str) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM dead_letters WHERE object_id = ? LIMIT 1", (object_id,)
            ).fetchone()
            is not None
        )

    def remove_dead_letter(self, seq: int) -> None:
        self.db.execute("DELETE FROM dead_letters WHERE seq = ?", (seq,))

    def requeued(self, letter: DeadLetter) -> None:
        """The dead letter went back into the queue: forget it, keep its attempt count."""
        self.db.execute(
            "INSERT INTO requeued VALUES (?, ?) ON CONFLICT (file) DO UPDATE SET "
            "attempts = excluded.attempts",
            (letter.file, letter.attempts),
        )
        self.remove_dead_letter(letter.seq)

    def applied(self, file: str) -> None:
        self.db.execute("DELETE FROM requeued WHERE file = ?", (file,))

    def dead_letter_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM dead_letters").scalar())

    # -- run status (health) ---------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        return {
            row[0]: json.loads(row[1])
            for row in self.db.execute("SELECT key, value FROM status").fetchall()
        }

    def set_status(self, **values: Any) -> None:
        self.db.executemany(
            "INSERT INTO status VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = excluded.value",
            [(k, json.dumps(v)) for k, v in values.items()],
        )
