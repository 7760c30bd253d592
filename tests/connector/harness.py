"""Drive the connector the way the App Center does: converter-format JSON files in a
queue dir, then a run. The connector runs in-process (``run_in_process``) or as the real
``ox-connector run`` command (``run_cli``); either way it talks to the emulator over HTTP.
OX is read back through the reference-WSDL zeep clients of ``tests.oxclient``, never
through the connector's own SOAP layer.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from connector.config import Settings
from connector.queue import run_lock
from connector.run import RunResult, open_connector
from connector.state.credentials import CredentialsFile

from ..oxclient import OX

BASE = "dc=example,dc=org"
_context_ids = itertools.count(5000)  # apart from tests.oxclient's ids (100...)


def user_dn(name: str) -> str:
    return f"uid={name},cn=users,{BASE}"


def group_dn(name: str) -> str:
    return f"cn={name},cn=groups,{BASE}"


def udm_user(name: str, context_id: int, **props) -> dict[str, Any]:
    """A UDM users/user object as the converter delivers it (OX extended attributes set)."""
    return {
        "username": name,
        "isOxUser": "OK",
        "oxContext": str(context_id),
        "firstname": name.capitalize(),
        "lastname": "Tester",
        "oxDisplayName": f"{name.capitalize()} Tester",
        "mailPrimaryAddress": f"{name}@example.org",
        "oxAccess": "premium",
        "mailAlternativeAddress": [],
        **props,
    }


def udm_group(name: str, members: list[str], **props) -> dict[str, Any]:
    return {"name": name, "isOxGroup": "OK", "users": members, **props}


def udm_resource(name: str, context_id: int, **props) -> dict[str, Any]:
    return {
        "name": name,
        "displayname": name.capitalize(),
        "description": "",
        "resourceMailAddress": f"{name}@example.org",
        "oxContext": str(context_id),
        "resourceadmin": "2001",
        **props,
    }


PREMIUM = {
    "name": "premium",
    **{
        r: "TRUE"
        for r in (
            "calendar",
            "contacts",
            "delegatetask",
            "editpublicfolders",
            "infostore",
            "readcreatesharedfolders",
            "tasks",
            "webmail",
            "collectemailaddresses",
            "multiplemailaccounts",
            "subscription",
            "ical",
            "vcard",
            "webdav",
            "webdavxml",
            "usm",
        )
    },
}


@dataclass
class Harness:
    """One queue dir + state dir against one emulator; ``ox`` reads OX for assertions."""

    emulator: Any  # ox_emulator.process.EmulatorProcess
    ox: OX
    root: Path
    default_context: int = 10
    extra_env: dict[str, str] = field(default_factory=dict)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self):
        self.queue = self.root / "listener"
        self.state = self.root / "data"
        self.queue.mkdir(parents=True, exist_ok=True)
        self.state.mkdir(parents=True, exist_ok=True)
        self.ids: dict[str, str] = {}  # dn -> entryUUID, so that a DN keeps its id

    # -- settings / credentials -------------------------------------------------------------
    @property
    def credentials_path(self) -> Path:
        return self.state / "secrets" / "contexts.json"

    def env(self) -> dict[str, str]:
        return {
            "OX_SOAP_SERVER": self.emulator.url,
            "OX_MASTER_ADMIN": "oxadminmaster",
            "OX_MASTER_PASSWORD": self.emulator.master_password,
            "OX_CREDENTIALS_FILE": str(self.credentials_path),
            "OX_CONNECTOR_QUEUE_DIR": str(self.queue),
            "OX_CONNECTOR_STATE_DIR": str(self.state),
            "DEFAULT_CONTEXT": str(self.default_context),
            "OX_IMAP_SERVER": "imap://mail.example.org:143",
            "OX_SMTP_SERVER": "smtp://mail.example.org:587",
            "DOMAINNAME": "example.org",
            # a failed file is retried by the very next run (no back-off wait in tests)
            "OX_CONNECTOR_RETRY_FIRST": "0",
            # these tests pin the sequential contract (which file stays queued, the order
            # of the log lines); test_parallel.py and the reference suite run 8 workers
            "OX_CONNECTOR_WORKERS": "1",
            # ... and the read-compare-write path on every change (test_verify_window.py
            # tests the window)
            "OX_CONNECTOR_VERIFY_AFTER": "0",
            **self.extra_env,
        }

    def settings(self) -> Settings:
        return Settings.from_env(self.env())

    def admin(self, context_id: int) -> dict[str, str]:
        creds = CredentialsFile(self.credentials_path, self.default_context).context(context_id)
        assert creds is not None, f"no credentials for context {context_id}"
        return creds.soap()

    # -- the queue ----------------------------------------------------------------------------
    def write(
        self,
        udm_object_type: str,
        dn: str,
        obj: dict | None,
        *,
        object_id: str | None = None,
        name: str | None = None,
    ) -> Path:
        """Queue one change; the same DN keeps its entryUUID unless ``object_id`` is given."""
        object_id = object_id or self.ids.setdefault(dn.lower(), str(uuid.uuid4()))
        self.ids[dn.lower()] = object_id
        path = self.queue / (name or f"2026-11-27-10-00-00-{next(self._seq):06d}.json")
        path.write_text(
            json.dumps(
                {
                    "id": object_id,
                    "udm_object_type": udm_object_type,
                    "dn": dn,
                    "object": obj,
                    "options": [],
                }
            )
        )
        return path

    def context(self, context_id: int | None = None, **props) -> int:
        """Queue an oxmail/oxcontext; returns its id (a fresh one by default)."""
        cid = context_id or next(_context_ids)
        self.write(
            "oxmail/oxcontext",
            f"cn=context{cid},cn=open-xchange,{BASE}",
            {"contextid": str(cid), "name": f"context{cid}", "oxQuota": "", **props},
        )
        return cid

    def profile(self, obj: dict | None = None, name: str = "premium") -> Path:
        obj = PREMIUM if obj is None else obj
        return self.write(
            "oxmail/accessprofile",
            f"cn={obj['name'] if obj else name},cn=accessprofiles,{BASE}",
            obj,
        )

    def user(self, name: str, context_id: int, **props) -> Path:
        return self.write("users/user", user_dn(name), udm_user(name, context_id, **props))

    def group(self, name: str, members: list[str], **props) -> Path:
        return self.write(
            "groups/group", group_dn(name), udm_group(name, [user_dn(m) for m in members], **props)
        )

    def resource(self, name: str, context_id: int, **props) -> Path:
        return self.write(
            "oxresources/oxresources",
            f"cn={name},cn=oxresources,{BASE}",
            udm_resource(name, context_id, **props),
        )

    def delete(self, udm_object_type: str, dn: str) -> Path:
        return self.write(udm_object_type, dn, None)

    def pending(self) -> list[str]:
        return sorted(p.name for p in self.queue.glob("*.json"))

    # -- running ------------------------------------------------------------------------------
    def run(self) -> RunResult:
        """``ox-connector run`` in this process (fast); raises RunFailed like the runner."""
        settings = self.settings()
        with open_connector(settings) as connector, run_lock(connector.lock_path):
            return connector.run_queue()

    def run_cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """The real command in a child process, as the App Center's trigger runs it."""
        return subprocess.run(
            [sys.executable, "-m", "connector.cli", "run", *args],
            env={**os.environ, **self.env()},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    # -- the emulator's call counters -----------------------------------------------------------
    def reset_calls(self) -> None:
        self.emulator.control("stats/reset")

    def calls(self) -> dict[str, int]:
        return self.emulator.control("stats")["calls"]

    def writes(self) -> dict[str, int]:
        """Calls that change OX (anything but reads)."""
        reads = (
            "getData",
            "getMultipleData",
            "list",
            "listAll",
            "exists",
            "getModuleAccess",
            "getContextAdmin",
            "listGroupsForUser",
            "getMembers",
        )
        return {op: n for op, n in self.calls().items() if op.split(".", 1)[1] not in reads}

    # -- reading OX -----------------------------------------------------------------------------
    def ox_user(self, context_id: int, name: str):
        return self.ox.user.getData(
            ctx={"id": context_id}, user={"name": name}, auth=self.admin(context_id)
        )

    def ox_user_names(self, context_id: int) -> set[str]:
        auth = self.admin(context_id)
        ids = self.ox.user.listAll(ctx={"id": context_id}, auth=auth) or []
        if not ids:
            return set()
        users = self.ox.user.getMultipleData(
            ctx={"id": context_id}, users=[{"id": u.id} for u in ids], auth=auth
        )
        return {u.name for u in users if not u.contextadmin}

    def ox_groups(self, context_id: int) -> dict[str, list[int]]:
        """name -> sorted member ids, without OX's default group "users"."""
        groups = self.ox.group.listAll(ctx={"id": context_id}, auth=self.admin(context_id))
        return {g.name: sorted(g.members or []) for g in groups or [] if g.id != 1}

    def ox_resources(self, context_id: int) -> dict[str, Any]:
        found = self.ox.resource.listAll(ctx={"id": context_id}, auth=self.admin(context_id))
        return {r.name: r for r in found or []}

    def ox_access(self, context_id: int, name: str) -> set[str]:
        """The module-access fields that are true."""
        from zeep.helpers import serialize_object

        access = self.ox.user.getModuleAccess(
            ctx={"id": context_id}, user={"name": name}, auth=self.admin(context_id)
        )
        return {k for k, v in serialize_object(access, dict).items() if v is True}


# -- reading the connector's log, a ready context (shared by the command tests) ---------------


def log_records(stderr: str, *, strict: bool = False) -> list[dict]:
    """The JSON log records on stderr. ``strict`` (the run's contract): every non-empty line
    must be one; otherwise plain-text lines (e.g. click's errors) are skipped."""
    records = []
    for line in stderr.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            if strict:
                pytest.fail(f"stderr line is not a JSON log record: {line!r}\n{stderr}")
            continue
        if strict or (isinstance(record, dict) and "msg" in record):
            records.append(record)
    return records


def finished(stderr: str, *, strict: bool = False) -> dict:
    """The one "run finished" record (its counts are what a run reports)."""
    found = [r for r in log_records(stderr, strict=strict) if r["msg"] == "run finished"]
    assert len(found) == 1, stderr
    return found[0]


def ready(harness: Harness, *users: str) -> int:
    """A provisioned context with the premium profile and users (in-process run), so that a
    test starts from a known OX; returns its id."""
    cid = harness.context()
    harness.profile()
    for name in users:
        harness.user(name, cid)
    harness.run()
    assert harness.pending() == []
    return cid
