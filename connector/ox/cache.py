"""What the connector keeps of OX's WSDLs between runs, without zeep.

``WSDLCache`` is one SQLite file in the state dir (mode 0600) with two tables:

- ``documents``: the WSDL document of each URL, with the time it was downloaded and its
  SHA-256. A document is *fresh* for ``timeout`` seconds (24 h by default, None =
  forever); after that it counts as missing and is downloaded again. zeep's Transport
  reads and writes documents through ``get`` and ``add``.
- ``codecs``: the lean codec compiled from a document (``connector.ox.schema``), keyed by
  the document's SHA-256 and the compiler's format version.

So a run asks for the fresh digest of a service's WSDL URL and the codec of that digest:
two small reads, no download, no WSDL parse. When the document has expired it is
downloaded again; only if its digest changed (OX was upgraded) is a codec compiled anew.
``discard`` (``OXConnection.forget``) drops the document of a URL whose replies no longer
fit, so the next use downloads it.

``MemoryDocuments`` is the same without a file, for a connection without a state dir.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from ..files import SQLITE_COMPANIONS, private_file

DEFAULT_WSDL_CACHE_TTL = 24 * 3600

_SCHEMA = """
DROP TABLE IF EXISTS request;  -- zeep's own cache table, which this file held before
CREATE TABLE IF NOT EXISTS documents (
    url TEXT PRIMARY KEY,
    fetched REAL NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS codecs (
    sha256 TEXT NOT NULL,
    format INTEGER NOT NULL,
    plan TEXT NOT NULL,
    PRIMARY KEY (sha256, format)
);
"""


def digest_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class Documents(Protocol):
    """What OXConnection needs of a document store (zeep's Transport: add and get)."""

    def add(self, url: str, content: bytes) -> None: ...

    def get(self, url: str) -> bytes | None: ...

    def digest(self, url: str) -> str | None: ...

    def discard(self, url: str) -> None: ...

    def codec(self, sha256: str, fmt: int) -> str | None: ...

    def add_codec(self, sha256: str, fmt: int, plan: str) -> None: ...


class WSDLCache:
    """The on-disk store (see the module doc), with hit and miss counters of ``get`` and
    ``digest`` and a listing of the URLs held."""

    def __init__(self, path: str | Path, timeout: int | None = DEFAULT_WSDL_CACHE_TTL):
        self.path = Path(path)
        self.timeout = timeout
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._ready = False

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if not self._ready:
                # 0600 like every file in the state dir (SQLite's journal takes its mode);
                # an older, more open file is tightened
                private_file(self.path, SQLITE_COMPANIONS)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                if not self._ready:
                    db.executescript(_SCHEMA)
                    self._ready = True
                yield db
            finally:
                db.close()

    def _fresh_after(self) -> float:
        return float("-inf") if self.timeout is None else time.time() - self.timeout

    def _count(self, found: bool) -> None:
        if found:
            self.hits += 1
        else:
            self.misses += 1

    def add(self, url: str, content: bytes) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO documents (url, fetched, sha256, content) "
                "VALUES (?, ?, ?, ?)",
                (url, time.time(), digest_of(content), content),
            )

    def get(self, url: str) -> bytes | None:
        """The fresh document of ``url``, or None."""
        with self._db() as db:
            row = db.execute(
                "SELECT content FROM documents WHERE url = ? AND fetched > ?",
                (url, self._fresh_after()),
            ).fetchone()
        self._count(row is not None)
        return bytes(row[0]) if row is not None else None

    def digest(self, url: str) -> str | None:
        """The SHA-256 of the fresh document of ``url`` (without reading it), or None."""
        with self._db() as db:
            row = db.execute(
                "SELECT sha256 FROM documents WHERE url = ? AND fetched > ?",
                (url, self._fresh_after()),
            ).fetchone()
        self._count(row is not None)
        return str(row[0]) if row is not None else None

    def urls(self) -> list[str]:
        with self._db() as db:
            return [row[0] for row in db.execute("SELECT url FROM documents ORDER BY url")]

    def discard(self, url: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM documents WHERE url = ?", (url,))

    def codec(self, sha256: str, fmt: int) -> str | None:
        with self._db() as db:
            row = db.execute(
                "SELECT plan FROM codecs WHERE sha256 = ? AND format = ?", (sha256, fmt)
            ).fetchone()
        return str(row[0]) if row is not None else None

    def add_codec(self, sha256: str, fmt: int, plan: str) -> None:
        """Store a codec; codecs of documents no longer held go (an upgraded OX's old
        WSDL, an older compiler's format)."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT OR REPLACE INTO codecs (sha256, format, plan) VALUES (?, ?, ?)",
                (sha256, fmt, plan),
            )
            db.execute(
                "DELETE FROM codecs WHERE format != ? OR "
                "(sha256 != ? AND sha256 NOT IN (SELECT sha256 FROM documents))",
                (fmt, sha256),
            )
            db.execute("COMMIT")

    def codec_digests(self) -> list[str]:
        with self._db() as db:
            return [row[0] for row in db.execute("SELECT sha256 FROM codecs ORDER BY sha256")]


class MemoryDocuments:
    """Documents and codecs of one connection without a state dir (nothing expires)."""

    def __init__(self) -> None:
        self._documents: dict[str, tuple[str, bytes]] = {}
        self._codecs: dict[tuple[str, int], str] = {}

    def add(self, url: str, content: bytes) -> None:
        self._documents[url] = (digest_of(content), content)

    def get(self, url: str) -> bytes | None:
        found = self._documents.get(url)
        return found[1] if found else None

    def digest(self, url: str) -> str | None:
        found = self._documents.get(url)
        return found[0] if found else None

    def discard(self, url: str) -> None:
        self._documents.pop(url, None)

    def codec(self, sha256: str, fmt: int) -> str | None:
        return self._codecs.get((sha256, fmt))

    def add_codec(self, sha256: str, fmt: int, plan: str) -> None:
        self._codecs[(sha256, fmt)] = plan
