"""The secrets file ``contexts.json``, in the upstream connector's format so that an
existing installation can be taken over:
``{"<context id>": {"adminuser": ..., "adminpass": ...}, "master": {...}}``, sorted,
indent 2, mode 0600, replaced atomically (readers never see a partial file). One writer at
a time: the connector's run lock guarantees it. Passwords never appear in messages.

The older format is read too: one file per context beside ``contexts.json``, named
``context<ID>.secret`` (or ``context<ID>``, as the Univention app's README told admins),
holding only the password; the admin is ``oxadmin`` for the default context and
``oxadmin-context<ID>`` for the others. An entry of ``contexts.json`` wins over such a
file; the files are only read, never written, moved or deleted.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import string
from pathlib import Path

from ..files import write_atomically
from ..model.credentials import Credentials, context_admin_name
from ..model.errors import ConnectorError

MASTER_KEY = "master"
PASSWORD_ALPHABET = string.ascii_letters + string.digits
LEGACY_NAME = re.compile(r"context([0-9]+)(\.secret)?")


class CredentialsError(ConnectorError):
    """The secrets file is unreadable or malformed; the message names file and entry."""


def generate_password(length: int = 64) -> str:
    """Random letters and digits, with at least one lower, one upper and one digit (OX
    installations may enforce a password policy on context admins)."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


class CredentialsFile:
    def __init__(self, path: Path, default_context: int = 10):
        self.path = Path(path)
        self.default_context = default_context  # names the admins of legacy files
        # Every SOAP call into a context asks for its admin: parse the file only when it
        # changed (stat is cheap; an admin may edit the file between runs).
        self._cache: tuple[tuple[int, int, int], dict[str, Credentials]] | None = None
        self._legacy_cache: tuple[object, dict[str, Credentials]] | None = None

    def load(self) -> dict[str, Credentials]:
        """All entries: the legacy per-context files, overridden by ``contexts.json``
        (a missing file is an empty one)."""
        return {**self._legacy(), **self._load_json()}

    def _load_json(self) -> dict[str, Credentials]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise CredentialsError(f"credentials file {self.path}: {exc.strerror}") from exc
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._cache is not None and self._cache[0] == key:
            return dict(self._cache[1])
        entries = self._parse()
        self._cache = (key, entries)
        return dict(entries)

    def _legacy(self) -> dict[str, Credentials]:
        """``context<ID>.secret`` / ``context<ID>`` files beside the JSON file: the
        password alone (surrounding white space, such as the final newline, is not part
        of it). An empty or unreadable one is an error naming the file."""
        try:
            with os.scandir(self.path.parent) as it:
                files = sorted(
                    (entry.name, entry.stat())
                    for entry in it
                    if LEGACY_NAME.fullmatch(entry.name) and entry.is_file()
                )
        except (FileNotFoundError, NotADirectoryError):
            return {}
        except OSError as exc:
            raise CredentialsError(f"credentials dir {self.path.parent}: {exc.strerror}") from exc
        key = tuple((name, st.st_ino, st.st_mtime_ns, st.st_size) for name, st in files)
        if self._legacy_cache is not None and self._legacy_cache[0] == key:
            return dict(self._legacy_cache[1])
        found: dict[str, tuple[Path, Credentials]] = {}
        for name, _ in files:
            file = self.path.parent / name
            match = LEGACY_NAME.fullmatch(name)
            assert match is not None
            try:
                password = file.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise CredentialsError(f"credentials file {file}: cannot read it ({exc})") from None
            if not password:
                raise CredentialsError(f"credentials file {file}: empty (expected a password)")
            cid = str(int(match.group(1)))
            if cid in found and found[cid][1].password != password:
                raise CredentialsError(
                    f"credentials files {found[cid][0]} and {file}: "
                    f"two different passwords for context {cid}"
                )
            admin = context_admin_name(int(cid), self.default_context)
            found[cid] = (file, Credentials(admin, password))
        entries = {cid: creds for cid, (_, creds) in found.items()}
        self._legacy_cache = (key, entries)
        return dict(entries)

    def _parse(self) -> dict[str, Credentials]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise CredentialsError(f"credentials file {self.path}: {exc.strerror}") from exc
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CredentialsError(
                f"credentials file {self.path}: not valid JSON "
                f"(line {exc.lineno}, column {exc.colno})"
            ) from None
        if not isinstance(data, dict):
            raise CredentialsError(f"credentials file {self.path}: expected a JSON object")
        out = {}
        for key, entry in data.items():
            if key != MASTER_KEY and not key.isdigit():
                raise CredentialsError(
                    f'credentials file {self.path}: entry "{key}" is '
                    'neither a context id nor "master"'
                )
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("adminuser"), str)
                and entry["adminuser"]
                and isinstance(entry.get("adminpass"), str)
            ):
                raise CredentialsError(
                    f'credentials file {self.path}: entry "{key}" needs '
                    'string "adminuser" and "adminpass"'
                )
            out[key] = Credentials(entry["adminuser"], entry["adminpass"])
        return out

    def context(self, context_id: int) -> Credentials | None:
        return self.load().get(str(context_id))

    def master(self) -> Credentials | None:
        return self.load().get(MASTER_KEY)

    def set(self, key: int | str, creds: Credentials) -> None:
        entries = self._load_json()
        entries[str(key)] = creds
        self._write(entries)

    def remove(self, key: int | str) -> None:
        """Forget an entry of ``contexts.json`` (a legacy file stays as it is)."""
        entries = self._load_json()
        if entries.pop(str(key), None) is not None:
            self._write(entries)

    def _write(self, entries: dict[str, Credentials]) -> None:
        data = {k: {"adminuser": c.login, "adminpass": c.password} for k, c in entries.items()}
        text = json.dumps(data, sort_keys=True, indent=2) + "\n"
        write_atomically(self.path, text, 0o600)
