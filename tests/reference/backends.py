"""The reference suite's two backends: one API, the same tests on both.

- ``embedded`` (default): the directory simulator (``udm_simulator.Directory``)
  writes converter files into a per-test queue dir, the connector runs in this process
  exactly as ``ox-connector run`` does, OX is the emulator (one per pytest-xdist worker).
- ``ucs``: a UCS with the app installed, driven through the UDM REST API, and the real
  OX behind it; ``sync()`` waits for the app's queue to drain.

Tests use only ``Backend``: ``create``/``modify``/``move``/``remove``/``get`` return
``UDMObject`` records (``id`` = entryUUID, ``module``, ``dn``, ``properties``), UDM's
refusals raise ``udm_simulator.UDMError`` on both, ``sync()`` brings OX up to date
(or fails the test), and ``ox`` reads OX (``inspector.OXInspector``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import itertools
import json
import os
import random
import re
import secrets
import shlex
import signal
import socket
import string
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest
import requests

from connector.admin import check as drift
from connector.config import Settings
from connector.run.wiring import open_connector
from udm_simulator import (
    ACCESS_PROFILES,
    CONTEXTS,
    FUNCTIONAL_ACCOUNTS,
    GROUPS,
    RESOURCES,
    RIGHTS,
    USERS,
    Directory,
    InvalidValue,
    NoSuchObject,
    ObjectExists,
    SyncError,
    UDMError,
    UDMObject,
    in_process_trigger,
    queued,
)

from ..oxclient import reference_problem
from .inspector import OXInspector, OXServices, credentials_file

EMBEDDED, UCS = "embedded", "ucs"
BACKENDS = (EMBEDDED, UCS)
APP_DATA = "/var/lib/univention-appcenter/apps/ox-connector/data"
LISTENER_DIR = "/var/lib/univention-appcenter/listener/ox-connector"
NOTIFIER_ID = "/var/lib/univention-ldap/last_id"  # the notifier's newest transaction
LISTENER_ID = "/var/lib/univention-directory-listener/notifier_id"  # the listener's
# Without the listener's queue in view (inside the app's container, unless mounted),
# sync() must wait at least this long with an empty app queue: the listener and the
# converter pass a change on within a few seconds (the converter's loop pauses 5 s).
BLIND_QUIET_SECONDS = 10.0
# Removal order at clean-up: referring objects before what they refer to.
REMOVAL_ORDER = (FUNCTIONAL_ACCOUNTS, RESOURCES, GROUPS, USERS, CONTEXTS, ACCESS_PROFILES)
CONNECTOR_LOG = "/var/log/univention/listener_modules/ox-connector.log"  # the app's trigger's
# What a test can ask to observe beyond OX's state (``@pytest.mark.observes(...)``); a
# backend that cannot observe one leaves the tests that need it out (tests/reference/observes.py).
OBSERVABLES = {
    "admin_command": "run the connector's commands (health, queue, resync)",
    "log": "read the connector's log",
    "ox_calls": "count the SOAP calls OX answers",
    "killed_run": "kill a run of the connector in the middle",
    "continue_mode": "run the connector in continue mode (OX_CONNECTOR_STOP_ON_ERROR=false)",
}
# The emulator's latency while a run is to be killed: without it a run of a few dozen
# calls is over before a kill can land in its middle.
KILL_LATENCY_MS = 25


class NotObservable(Exception):
    """A test asked a backend for something it cannot observe (mark the test)."""


def unobservable(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """What the selected backend cannot observe (a key of OBSERVABLES -> why), and what
    ``OX_TEST_UNOBSERVABLE`` (comma-separated) leaves out on purpose (e.g. ``killed_run``
    on a machine too loaded to place a kill); raises ValueError for an unknown name."""
    asked = [t.strip() for t in env.get("OX_TEST_UNOBSERVABLE", "").split(",") if t.strip()]
    unknown = sorted(set(asked) - set(OBSERVABLES))
    if unknown:
        raise ValueError(
            f"OX_TEST_UNOBSERVABLE: unknown {', '.join(unknown)}; "
            f"expected some of {', '.join(OBSERVABLES)}"
        )
    reasons = {thing: "left out by OX_TEST_UNOBSERVABLE" for thing in asked}
    if selected_backend(env) == EMBEDDED:
        return reasons
    reasons["ox_calls"] = "a real OX counts no calls for the suite"
    reasons["killed_run"] = (
        "the app's listener trigger runs the connector on every change, so the suite "
        "cannot place a run of its own in the middle of the work"
    )
    if not env.get("OX_TEST_CONNECTOR_COMMAND", "").strip():
        reasons["admin_command"] = "OX_TEST_CONNECTOR_COMMAND is not set"
    reasons["continue_mode"] = (
        "the error mode is the installation's app setting, which the suite leaves alone"
    )
    log = Path(env.get("OX_TEST_CONNECTOR_LOG") or CONNECTOR_LOG)
    if not os.access(log, os.R_OK):
        reasons["log"] = f"the connector's log {log} is not readable (OX_TEST_CONNECTOR_LOG)"
    return reasons


def selected_backend(env: Mapping[str, str] = os.environ) -> str:
    """``OX_TEST_BACKEND`` (embedded by default); raises ValueError for another value."""
    name = (env.get("OX_TEST_BACKEND") or EMBEDDED).strip().lower()
    if name not in BACKENDS:
        raise ValueError(f'OX_TEST_BACKEND="{name}": expected one of {", ".join(BACKENDS)}')
    return name


class Backend(ABC):
    """A directory (UDM) plus the connector plus OX, as one test sees them."""

    name: str
    base: str  # LDAP base
    default_context: int  # DEFAULT_CONTEXT: exists in OX, users without oxContext land there
    mail_domain: str  # a mail domain UDM accepts for mailPrimaryAddress
    ox: OXInspector

    def __init__(self) -> None:
        self._names = itertools.count(1)
        self._token = "".join(secrets.choice(string.ascii_lowercase) for _ in range(4))

    # -- UDM -------------------------------------------------------------------------------
    @abstractmethod
    def create(
        self, module: str, properties: dict[str, Any], position: str | None = None
    ) -> UDMObject:
        """Create a UDM object (UDM's defaults filled in); raises UDMError."""

    @abstractmethod
    def modify(self, dn: str, changes: dict[str, Any]) -> UDMObject:
        """Change properties; a new username / group name renames (new DN, same id)."""

    @abstractmethod
    def move(self, dn: str, position: str) -> UDMObject:
        """Move to another container (new DN, same id)."""

    @abstractmethod
    def remove(self, dn: str) -> None:
        """Remove the object."""

    @abstractmethod
    def get(self, dn: str) -> UDMObject:
        """The object as UDM has it now; raises NoSuchObject."""

    # -- the connector ---------------------------------------------------------------------
    @abstractmethod
    def sync(self) -> None:
        """Return when the connector has applied every change so far; fail the test
        (pytest.fail, naming the files left) when it cannot."""

    @abstractmethod
    def check(self, cid: int, fix: bool = False, prune: bool = False) -> list[dict[str, Any]]:
        """``ox-connector check --context cid [--fix [--prune]]``: its findings (dicts as
        ``check --json`` prints them)."""

    @abstractmethod
    def new_context_id(self) -> int:
        """A context id that neither OX nor UDM uses yet."""

    # -- what an operator observes (mark the test: @pytest.mark.observes(...)) ------------
    @abstractmethod
    def queued(self) -> list[Path]:
        """The files in the connector's queue, oldest first."""

    @abstractmethod
    def admin(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``ox-connector <args>`` as an administrator runs it ("admin_command")."""

    @abstractmethod
    def wait_until_stuck(self) -> dict[str, Any]:
        """Let the connector run until the queue is stuck on a failing file; returns
        ``health --json``'s figures (fails the test if the queue drains instead)."""

    @abstractmethod
    def log_records(self) -> list[dict[str, Any]]:
        """The JSON records the connector has logged ("log")."""

    @abstractmethod
    def ox_writes(self) -> Counter[str]:
        """The write calls OX has answered so far, by operation ("ox_calls")."""

    @abstractmethod
    def ox_calls(self) -> int:
        """Every SOAP call OX has answered so far ("ox_calls")."""

    @abstractmethod
    def killed_run(self, after_calls: int, delay: float) -> str:
        """Start ``ox-connector run``, SIGKILL it once OX has answered ``after_calls`` calls
        of it and ``delay`` seconds more; returns its log. Fails the test if the run ended
        before ("killed_run")."""

    def health(self) -> tuple[int, dict[str, Any]]:
        """``ox-connector health --json``: its exit code and figures."""
        result = self.admin("health", "--json")
        try:
            return result.returncode, json.loads(result.stdout)
        except ValueError:
            pytest.fail(
                f"health exited {result.returncode} without JSON:\n{result.stdout}"
                f"\n{result.stderr}",
                pytrace=False,
            )

    def resync(self, objects: Iterable[UDMObject] = ()) -> int:
        """``ox-connector resync --id ...`` of these objects (``--all`` without any: on a
        UCS that is every object of the app), which runs the queue; then ``sync()``.
        Returns how many objects it queued."""
        args = [a for o in objects for a in ("--id", o.id)] or ["--all"]
        result = self.admin("resync", *args)
        if result.returncode != 0:
            pytest.fail(
                f"resync {' '.join(args)} exited {result.returncode}:\n{result.stdout}"
                f"\n{result.stderr}",
                pytrace=False,
            )
        self.sync()
        queued = re.search(r"^queued (\d+) objects$", result.stdout, re.MULTILINE)
        if queued is None:
            pytest.fail(f"resync said nothing of what it queued:\n{result.stdout}", pytrace=False)
        return int(queued.group(1))

    def close(self) -> None:
        """Clean up after the test (the UCS backend removes what the test created).

        Deliberately not abstract: a no-op hook by default, for backends with nothing to
        clean up (the embedded one gives each test its own dirs and default context)."""
        return None

    # -- conveniences on top of create ------------------------------------------------------
    def unique(self, prefix: str = "t") -> str:
        """A name not used before in this run (usernames, group names, ...): Hypothesis
        runs many examples against one backend, and a UCS keeps what earlier runs left."""
        return f"{prefix}{self._token}{next(self._names)}"

    def mail(self, local: str) -> str:
        return f"{local}@{self.mail_domain}"

    def context(self, cid: int | None = None, **props: Any) -> UDMObject:
        """A new OX context (``oxmail/oxcontext``), a fresh id unless ``cid`` is given."""
        cid = self.new_context_id() if cid is None else cid
        return self.create(CONTEXTS, {"name": f"context{cid}", "contextid": cid, **props})

    def user(
        self, username: str | None = None, context: int | None = None, **props: Any
    ) -> UDMObject:
        """A new OX user (isOxUser OK, premium) in ``context`` (default: the default
        context); ``props`` override the defaults."""
        username = username or self.unique("user")
        defaults = {
            "username": username,
            "firstname": "Test",
            "lastname": username.title(),
            "mailPrimaryAddress": self.mail(username),
            "isOxUser": "OK",
            "oxAccess": "premium",
        }
        if context is not None:
            defaults["oxContext"] = context
        return self.create(USERS, {**defaults, **props})

    def group(
        self, name: str | None = None, members: Iterable[UDMObject | str] = (), **props: Any
    ) -> UDMObject:
        """A new OX group (isOxGroup OK) with these member users (objects or DNs)."""
        users = [m.dn if isinstance(m, UDMObject) else m for m in members]
        return self.create(
            GROUPS,
            {"name": name or self.unique("group"), "isOxGroup": "OK", "users": users, **props},
        )

    def resource(
        self, admin: UDMObject, name: str | None = None, context: int | None = None, **props: Any
    ) -> UDMObject:
        """A new OX resource administered by the OX user ``admin``."""
        name = name or self.unique("room")
        defaults = {
            "name": name,
            "displayname": name.title(),
            "description": "",
            "resourceMailAddress": self.mail(name),
            "resourceadmin": str(admin.properties["uidNumber"]),
        }
        if context is not None:
            defaults["oxContext"] = context
        return self.create(RESOURCES, {**defaults, **props})

    def functional_account(
        self,
        name: str | None = None,
        users: Iterable[UDMObject] = (),
        groups: Iterable[UDMObject] = (),
        **props: Any,
    ) -> UDMObject:
        name = name or self.unique("fa")
        return self.create(
            FUNCTIONAL_ACCOUNTS,
            {
                "name": name,
                "mailPrimaryAddress": self.mail(name),
                "users": [u.dn for u in users],
                "groups": [g.dn for g in groups],
                **props,
            },
        )

    def access_profile(
        self, name: str | None = None, rights: Iterable[str] = (), **props: Any
    ) -> UDMObject:
        """A new access profile granting exactly ``rights`` (lower-case UDM names)."""
        granted = set(rights)
        return self.create(
            ACCESS_PROFILES,
            {"name": name or self.unique("profile"), **{r: r in granted for r in RIGHTS}, **props},
        )

    def swap(
        self, first: UDMObject, second: UDMObject, prop: str, temporary: str
    ) -> tuple[UDMObject, UDMObject]:
        """Exchange ``prop`` of two objects the only way UDM allows (it keeps names and
        addresses unique): ``first`` to ``temporary``, ``second`` to ``first``'s value,
        ``first`` to ``second``'s. Returns both objects as they are then."""
        mine, theirs = first[prop], second[prop]
        first = self.modify(first.dn, {prop: temporary})
        second = self.modify(second.dn, {prop: mine})
        return self.modify(first.dn, {prop: theirs}), second


# -- embedded ---------------------------------------------------------------------------------


@dataclass
class EmbeddedWorld:
    """What the embedded backends of one pytest worker share: the emulator (its URL and
    master password), the compiled zeep services, and the context id sequence."""

    url: str
    master_password: str
    services: OXServices
    context_ids: Iterator[int]
    settings: Settings = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        # Parsed once per worker (checking LOCAL_TIMEZONE lists every zone: ~0.15 s);
        # each backend replaces its paths and default context.
        self.settings = Settings.from_env(
            embedded_env(self.url, self.master_password, Path("/nonexistent"), 10)
        )

    @property
    def master(self) -> dict[str, str]:
        return {"login": "oxadminmaster", "password": self.master_password}


def embedded_env(
    url: str, master_password: str, root: Path, default_context: int, domain: str = "example.org"
) -> dict[str, str]:
    """The App Center settings of an embedded installation in ``root`` (as
    ``ox-connector run`` reads them from the environment)."""
    return {
        "OX_SOAP_SERVER": url,
        "OX_MASTER_ADMIN": "oxadminmaster",
        "OX_MASTER_PASSWORD": master_password,
        "OX_CREDENTIALS_FILE": str(root / "data" / "secrets" / "contexts.json"),
        "OX_CONNECTOR_QUEUE_DIR": str(root / "listener"),
        "OX_CONNECTOR_STATE_DIR": str(root / "data"),
        "DEFAULT_CONTEXT": str(default_context),
        "OX_IMAP_SERVER": f"imap://mail.{domain}:143",
        "OX_SMTP_SERVER": f"smtp://mail.{domain}:587",
        "DOMAINNAME": domain,
        # the converter re-runs some seconds later; a test's next sync() is that re-run
        "OX_CONNECTOR_RETRY_FIRST": "0",
        "OX_CONNECTOR_RETRY_MAX": "0",
        # the connector's default (8) unless a run of the suite asks for another count
        "OX_CONNECTOR_WORKERS": os.environ.get("OX_TEST_WORKERS", "8"),
    }


class EmbeddedBackend(Backend):
    """Directory simulator + in-process connector + the worker's emulator. Each test gets
    its own queue dir, state dir and default context (created in OX at start, with the
    app's seven default access profiles), so tests never see each other's objects."""

    name = EMBEDDED
    base = "dc=example,dc=org"
    mail_domain = "example.org"

    def __init__(
        self, root: Path, world: EmbeddedWorld, max_runs: int = 10, stop_on_error: bool = True
    ):
        super().__init__()
        self.stop_on_error = stop_on_error
        self.world = world
        self.root = Path(root)
        self.queue_dir = self.root / "listener"
        self.state_dir = self.root / "data"
        self.default_context = next(world.context_ids)
        self.max_runs = max_runs
        self.directory = Directory(self.queue_dir, self.base, self.default_context)
        self.credentials_path = self.state_dir / "secrets" / "contexts.json"
        self.ox = OXInspector(world.services, world.master, credentials_file(self.credentials_path))
        self.settings = dataclasses.replace(
            world.settings,
            queue_dir=self.queue_dir,
            state_dir=self.state_dir,
            credentials=self.credentials_path,
            default_context=self.default_context,
            stop_on_error=stop_on_error,
        )
        self._trigger = in_process_trigger(self.settings)
        # what a UCS with the app has before any test: the default context, the profiles
        self.create(
            CONTEXTS, {"name": f"context{self.default_context}", "contextid": self.default_context}
        )
        self.directory.create_default_access_profiles()
        self.sync()

    def env(self) -> dict[str, str]:
        """The settings of this installation as environment variables (for running the
        real ``ox-connector`` command against it)."""
        env = embedded_env(
            self.world.url,
            self.world.master_password,
            self.root,
            self.default_context,
            self.mail_domain,
        )
        env["OX_CONNECTOR_STOP_ON_ERROR"] = str(self.stop_on_error).lower()
        return env

    def create(self, module, properties, position=None):
        return self.directory.create(module, properties, position)

    def modify(self, dn, changes):
        return self.directory.modify(dn, changes)

    def move(self, dn, position):
        return self.directory.move(dn, position)

    def remove(self, dn):
        self.directory.remove(dn)

    def get(self, dn):
        return self.directory.get(dn)

    def sync(self) -> None:
        try:
            self.directory.sync(self._trigger, self.max_runs)
        except SyncError as exc:
            pytest.fail(f"embedded backend: {exc}", pytrace=False)

    def check(self, cid, fix=False, prune=False):
        # in the test process, as sync() runs the trigger: the code it reaches is what
        # make mutation's per-test selection sees
        with open_connector(self.settings, require_master=fix) as connector:
            findings = drift.check(connector.deps, [cid])
            if fix:
                drift.fix(connector.deps, connector.reconciler, findings, prune)
        return [f.as_dict() for f in findings]

    def new_context_id(self) -> int:
        return next(self.world.context_ids)

    # the commands' stderr, appended: what the listener's log is on a UCS
    @property
    def log_path(self) -> Path:
        return self.root / "ox-connector.log"

    def queued(self) -> list[Path]:
        return self.directory.queued()

    def admin(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "connector.cli", *args],
            env={**os.environ, **self.env()},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(result.stderr)
        return result

    def wait_until_stuck(self) -> dict[str, Any]:
        # one run in this process first, as sync() runs it: make mutation's per-test
        # selection sees only what the test process runs, and a refusal's way through the
        # connector (failure record, back-off) is what these tests are about
        with contextlib.suppress(SyncError):
            self.directory.sync(self._trigger, 1)
        for _ in range(self.max_runs):
            run = self.admin("run")
            code, figures = self.health()
            if code == 2:
                return figures
            if not self.queued():
                pytest.fail(
                    f"embedded backend: the queue drained (run exited "
                    f"{run.returncode}); nothing got stuck",
                    pytrace=False,
                )
        pytest.fail(f"embedded backend: not stuck after {self.max_runs} runs", pytrace=False)

    def log_records(self) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        return json_records(self.log_path.read_text(encoding="utf-8"))

    def _stats(self) -> dict[str, Any]:
        response = requests.get(f"{self.world.url}/emulator/stats", timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def ox_writes(self) -> Counter[str]:
        return Counter(self._stats()["writes_by_operation"])

    def ox_calls(self) -> int:
        return int(self._stats()["total"])

    def _wait_until_ox_is_idle(self, timeout: float = 10) -> None:
        """Until OX has answered the calls a killed run had sent (OX executes them though
        their caller is gone). The run is started again by the next trigger, seconds
        later: starting it sooner would race those calls (a create landing between the
        new run's look-up and its own create fails that run once; the one after adopts)."""
        deadline = time.monotonic() + timeout
        while self._stats()["in_flight"] and time.monotonic() < deadline:
            time.sleep(0.005)

    def killed_run(self, after_calls: int, delay: float) -> str:
        stderr_path = self.root / "killed-run.stderr"
        faults = f"{self.world.url}/emulator/faults"
        latency = requests.get(faults, timeout=10).json()["latency_ms"]  # put back afterwards
        requests.post(faults, json={"latency_ms": KILL_LATENCY_MS}, timeout=10).raise_for_status()
        try:
            target = self.ox_calls() + after_calls
            with open(stderr_path, "w", encoding="utf-8") as err:
                returncode = kill_when(
                    subprocess.Popen(
                        [sys.executable, "-m", "connector.cli", "run"],
                        env={**os.environ, **self.env()},
                        stdout=subprocess.DEVNULL,
                        stderr=err,
                    ),
                    lambda: self.ox_calls() >= target,
                    delay,
                )
            self._wait_until_ox_is_idle()
        finally:
            requests.post(faults, json={"latency_ms": latency}, timeout=10).raise_for_status()
        stderr = stderr_path.read_text(encoding="utf-8")
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(stderr)
        if returncode != -signal.SIGKILL:
            pytest.fail(
                f"embedded backend: the run was to be killed after {after_calls} calls but "
                f"exited {returncode}:\n{stderr}",
                pytrace=False,
            )
        return stderr


def kill_when(
    process: subprocess.Popen[bytes], due: Any, delay: float, timeout: float = 120
) -> int:
    """SIGKILL ``process`` ``delay`` seconds after ``due()`` first says so; its exit code
    (``-SIGKILL`` if the kill landed, else what it exited with before)."""
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if due():
                time.sleep(delay)
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
    finally:
        if process.poll() is None and time.monotonic() >= deadline:
            process.kill()
    return process.wait(timeout=30)


def json_records(text: str) -> list[dict[str, Any]]:
    """The JSON objects of a log, one a line (a line may carry a prefix before its "{",
    as a log file of the listener does); other lines are left out."""
    records = []
    for line in text.splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            record = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


# -- ucs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UCSConfig:
    """The ``ucs`` backend's settings, from the environment (see README.md)."""

    host: str
    admin_user: str
    admin_password: str
    ca_file: str | None
    ox_url: str
    ox_master_user: str
    ox_master_password: str
    credentials_file: Path
    queue_dir: Path
    listener_dir: Path
    notifier_id_file: Path
    listener_id_file: Path
    default_context: int
    mail_domain: str
    base: str
    sync_timeout: float
    quiet_seconds: float
    context_range: tuple[int, int]
    # the suite's OX client from the WSDLs OX serves: no reference copy was named or found
    served_wsdls: bool = False
    # how the suite runs `ox-connector` (OX_TEST_CONNECTOR_COMMAND; none: not at all)
    connector_command: tuple[str, ...] = ()
    connector_log: Path = Path(CONNECTOR_LOG)

    @property
    def udm_url(self) -> str:
        return f"https://{self.host}/univention/udm/"

    @property
    def verify(self) -> bool | str:
        return self.ca_file or True

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> UCSConfig:
        """Raises ValueError naming every missing or malformed variable."""
        problems = [
            f"{name} is not set"
            for name in ("UCS_HOST", "UCS_ADMIN_PASSWORD", "OX_SOAP_SERVER", "OX_MASTER_PASSWORD")
            if not env.get(name, "").strip()
        ]
        host = env.get("UCS_HOST", "").strip()
        domain = env.get("UCS_MAIL_DOMAIN", "").strip() or host.partition(".")[2] or host
        try:
            low, _, high = env.get("OX_TEST_CONTEXT_RANGE", "1000-9999").partition("-")
            context_range = (int(low), int(high))
            timeout = float(env.get("OX_TEST_SYNC_TIMEOUT", "60"))
            quiet = float(env.get("OX_TEST_QUIET_SECONDS", "1"))
            default_context = int(env.get("DEFAULT_CONTEXT", "10"))
        except ValueError as exc:
            problems.append(f"a number is malformed: {exc}")
            context_range, timeout, quiet, default_context = (1000, 9999), 60.0, 1.0, 10
        # without a reference copy of OX's WSDLs, the ones OX serves; a named copy must do
        no_reference = reference_problem(env)
        if no_reference and env.get("OX_REFERENCE_WSDL_DIR", "").strip():
            problems.append(f"OX_REFERENCE_WSDL_DIR: {no_reference}")
        if problems:
            raise ValueError("; ".join(problems))
        return cls(
            host=host,
            admin_user=env.get("UCS_ADMIN_USER", "Administrator"),
            admin_password=env["UCS_ADMIN_PASSWORD"],
            ca_file=env.get("UCS_CA_FILE") or None,
            ox_url=env["OX_SOAP_SERVER"].rstrip("/"),
            ox_master_user=env.get("OX_MASTER_ADMIN", "oxadminmaster"),
            ox_master_password=env["OX_MASTER_PASSWORD"],
            credentials_file=Path(
                env.get("OX_CREDENTIALS_FILE") or f"{APP_DATA}/secrets/contexts.json"
            ),
            queue_dir=Path(env.get("OX_TEST_QUEUE_DIR") or f"{APP_DATA}/listener"),
            listener_dir=Path(env.get("OX_TEST_LISTENER_DIR") or LISTENER_DIR),
            notifier_id_file=Path(env.get("OX_TEST_NOTIFIER_ID_FILE") or NOTIFIER_ID),
            listener_id_file=Path(env.get("OX_TEST_LISTENER_ID_FILE") or LISTENER_ID),
            default_context=default_context,
            mail_domain=domain,
            base=env.get("UCS_LDAP_BASE") or ",".join(f"dc={p}" for p in domain.split(".")),
            sync_timeout=timeout,
            quiet_seconds=quiet,
            context_range=context_range,
            served_wsdls=no_reference is not None,
            connector_command=tuple(shlex.split(env.get("OX_TEST_CONNECTOR_COMMAND", ""))),
            connector_log=Path(env.get("OX_TEST_CONNECTOR_LOG") or CONNECTOR_LOG),
        )


def ucs_preflight(env: Mapping[str, str] = os.environ, timeout: float = 5.0) -> list[str]:
    """Everything that keeps the ``ucs`` backend from working, each as one sentence; []
    when UDM, OX and the app's files are all reachable. Never takes much longer than a
    few times ``timeout`` (name resolution is bounded too)."""
    try:
        config = UCSConfig.from_env(env)
    except ValueError as exc:
        return [f"ucs backend settings: {exc}"]
    problems = []
    for what, url, auth in (
        ("UDM REST API", config.udm_url, (config.admin_user, config.admin_password)),
        ("OX SOAP API", f"{config.ox_url}/webservices/OXContextService?wsdl", None),
    ):
        problem = _reachable(url, auth, config.verify, timeout)
        if problem:
            problems.append(f"{what} at {url}: {problem}")
    if not config.credentials_file.is_file():
        problems.append(
            f"OX context credentials {config.credentials_file} not readable "
            "(set OX_CREDENTIALS_FILE)"
        )
    if not config.queue_dir.is_dir():
        problems.append(
            f"the app's queue dir {config.queue_dir} does not exist "
            "(set OX_TEST_QUEUE_DIR; run the suite on the UCS host or in the app's container)"
        )
    if not config.listener_dir.is_dir() and config.quiet_seconds < BLIND_QUIET_SECONDS:
        problems.append(
            f"the listener's queue {config.listener_dir} is not visible here (in the app's "
            "container it is not, unless mounted), so sync() cannot tell a change the listener "
            "has not passed on yet from none: mount it (see OX_TEST_LISTENER_DIR) or set "
            f"OX_TEST_QUIET_SECONDS={BLIND_QUIET_SECONDS:.0f} or more"
        )
    return problems


def _reachable(
    url: str, auth: tuple[str, str] | None, verify: bool | str, timeout: float
) -> str | None:
    host = urlsplit(url).hostname or ""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        lookup = pool.submit(socket.getaddrinfo, host, None)
        try:
            lookup.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            return f"name {host} did not resolve within {timeout:.0f} s"
        except OSError as exc:
            return f"name {host} does not resolve ({exc})"
    try:
        response = requests.get(
            url,
            auth=auth,
            verify=verify,
            timeout=(timeout, timeout),
            headers={"Accept": "application/json"},
        )
    except requests.RequestException as exc:
        return f"not reachable ({type(exc).__name__}: {exc})"
    if response.status_code == 401:
        return "the credentials were refused (401)"
    if response.status_code >= 400:
        return f"answered HTTP {response.status_code}"
    return None


class UDMRest:
    """A small client of the UDM REST API (HAL+JSON), mapping its errors to UDMError."""

    def __init__(self, config: UCSConfig, timeout: float = 60):
        self.base = config.udm_url
        self.timeout = timeout
        self.session = requests.Session()
        self.session.auth = (config.admin_user, config.admin_password)
        self.session.verify = config.verify
        self.session.headers.update({"Accept": "application/hal+json", "Accept-Language": "en-US"})

    def url(self, module: str, dn: str | None = None) -> str:
        return urljoin(self.base, f"{module}/" + (quote(dn, safe="") if dn else ""))

    def create(self, module: str, properties: dict[str, Any], position: str | None) -> UDMObject:
        body: dict[str, Any] = {"properties": properties}
        if position:
            body["position"] = position
        return self._object(self._send("POST", self.url(module), body), module)

    def get(self, module: str, dn: str) -> UDMObject:
        return _record(self._send("GET", self.url(module, dn)).json())

    def get_any(self, dn: str) -> UDMObject:
        """The object at ``dn`` whatever its module (``/object/<dn>`` redirects)."""
        return _record(self._send("GET", urljoin(self.base, "object/" + quote(dn, safe=""))).json())

    def modify(self, module: str, dn: str, body: dict[str, Any], object_id: str) -> UDMObject:
        response = self._send("PATCH", self.url(module, dn), body)
        return self._object(response, module, object_id)

    def remove(self, module: str, dn: str) -> None:
        self._send("DELETE", self.url(module, dn))

    def search(self, module: str, ldap_filter: str) -> list[UDMObject]:
        response = self._send(
            "GET", self.url(module), params={"filter": ldap_filter, "properties": "*"}
        )
        found = response.json().get("_embedded", {}).get("udm:object", [])
        return [_record(o) for o in found]

    def _object(
        self, response: requests.Response, module: str, object_id: str | None = None
    ) -> UDMObject:
        """The object a create/modify resulted in: the body, the Location, or by entryUUID
        (a rename answers with the old URL gone)."""
        if response.status_code == 202:  # a move or rename runs as a job: wait for it
            response = self._wait(response.headers["Location"])
        if (
            response.content
            and response.headers.get("Content-Type", "").endswith("json")
            and "dn" in response.json()
        ):
            return _record(response.json())
        if response.headers.get("Location"):
            return _record(self._send("GET", response.headers["Location"]).json())
        found = self.search(module, f"(entryUUID={object_id})") if object_id else []
        if not found:
            raise UDMError(f"UDM REST: cannot find the {module} object after the change")
        return found[0]

    def _wait(self, location: str) -> requests.Response:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            response = self._send("GET", location, allow_redirects=False)
            if response.status_code in (301, 302, 303):
                return self._send("GET", urljoin(location, response.headers["Location"]))
            time.sleep(0.2)
        raise UDMError(f"UDM REST: the job {location} did not finish within {self.timeout} s")

    def _send(
        self, method: str, url: str, body: dict | None = None, **kwargs: Any
    ) -> requests.Response:
        try:
            response = self.session.request(method, url, json=body, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise UDMError(f"UDM REST {method} {url}: {exc}") from exc
        if response.status_code >= 400:
            raise _error(method, url, response)
        return response


def _record(data: dict[str, Any]) -> UDMObject:
    options = data.get("options") or {}
    if isinstance(options, dict):
        options = [k for k, v in options.items() if v]
    return UDMObject(
        data.get("uuid") or data.get("id") or "",
        data.get("objectType", ""),
        data["dn"],
        dict(data.get("properties") or {}),
        tuple(options),
    )


def _error(method: str, url: str, response: requests.Response) -> UDMError:
    """UDM REST's error document as one readable message and the matching UDMError."""
    try:
        doc = response.json()
    except ValueError:
        doc = {}
    error = doc.get("error", doc) if isinstance(doc, dict) else {}
    message = error.get("message") or response.reason or ""
    details = error.get("error")
    if details:
        message += f" {json.dumps(details, ensure_ascii=False)}"
    text = f"UDM REST {method} {url}: HTTP {response.status_code}: {message}".strip()
    kind = {404: NoSuchObject, 409: ObjectExists, 422: InvalidValue}.get(
        response.status_code, UDMError
    )
    return kind(text)


def _wire(module: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Booleans in the syntaxes UDM wants ("OK"/"Not", "TRUE"/"FALSE"); the rest as is."""
    out = {}
    for prop, value in properties.items():
        if isinstance(value, bool) and prop in ("isOxUser", "isOxGroup"):
            value = "OK" if value else "Not"
        elif isinstance(value, bool) and module == ACCESS_PROFILES and prop in RIGHTS:
            value = "TRUE" if value else "FALSE"
        out[prop] = value
    return out


class UCSBackend(Backend):
    """A live UCS (UDM REST API) with the app, and its OX. Objects the test creates are
    removed again at ``close()``; names come from ``unique()`` so runs do not collide."""

    name = UCS

    def __init__(self, config: UCSConfig, services: OXServices):
        super().__init__()
        self.config = config
        self.base = config.base
        self.default_context = config.default_context
        self.mail_domain = config.mail_domain
        self.udm = UDMRest(config)
        self.ox = OXInspector(
            services,
            {"login": config.ox_master_user, "password": config.ox_master_password},
            credentials_file(config.credentials_file),
        )
        self._created: dict[str, tuple[str, str]] = {}  # entryUUID -> (module, current DN)
        self._context_ids: set[int] = set()

    def _track(self, obj: UDMObject) -> UDMObject:
        if obj.id in self._created:
            self._created[obj.id] = (obj.module or self._created[obj.id][0], obj.dn)
        return obj

    def _module_of(self, dn: str) -> str:
        for module, known in self._created.values():
            if known.lower() == dn.lower():
                return module
        return self.udm.get_any(dn).module

    def create(self, module, properties, position=None):
        properties = dict(properties)
        if module == USERS:
            properties.setdefault("password", secrets.token_urlsafe(24))
        obj = self.udm.create(module, _wire(module, properties), position)
        self._created[obj.id] = (module, obj.dn)
        return obj

    def modify(self, dn, changes):
        module = self._module_of(dn)
        current = self.udm.get(module, dn)
        return self._track(
            self.udm.modify(module, dn, {"properties": _wire(module, changes)}, current.id)
        )

    def move(self, dn, position):
        module = self._module_of(dn)
        current = self.udm.get(module, dn)
        return self._track(self.udm.modify(module, dn, {"position": position}, current.id))

    def remove(self, dn):
        self.udm.remove(self._module_of(dn), dn)
        self._created = {
            i: (m, d) for i, (m, d) in self._created.items() if d.lower() != dn.lower()
        }

    def get(self, dn):
        return self.udm.get(self._module_of(dn), dn)

    def check(self, cid, fix=False, prune=False):
        options = ["--fix"] * fix + ["--prune"] * prune
        done = self.admin("check", "--json", "--context", str(cid), *options, timeout=600)
        if done.returncode not in (0, 1):  # 1: drift found
            pytest.fail(f"check exited {done.returncode}: {done.stderr}", pytrace=False)
        return list(json.loads(done.stdout)["findings"])

    def sync(self) -> None:
        """Wait until the listener has seen every LDAP change made so far and both the
        listener's and the connector's queue dirs are empty and stay so for
        ``OX_TEST_QUIET_SECONDS``; fail the test after ``OX_TEST_SYNC_TIMEOUT``."""
        target = _read_id(self.config.notifier_id_file)
        deadline = time.monotonic() + self.config.sync_timeout
        quiet_since: float | None = None
        while True:
            seen = _read_id(self.config.listener_id_file)
            caught_up = target is None or seen is None or seen >= target
            waiting = queued(self.config.listener_dir) + queued(self.config.queue_dir)
            now = time.monotonic()
            if caught_up and not waiting:
                quiet_since = quiet_since or now
                if now - quiet_since >= self.config.quiet_seconds:
                    return
            else:
                quiet_since = None
            if now > deadline:
                pytest.fail(
                    _timeout_message(self.config, waiting, caught_up, seen, target), pytrace=False
                )
            time.sleep(0.2)

    def new_context_id(self) -> int:
        used = (
            set(self.ox.context_ids())
            | self._context_ids
            | {int(c.properties["contextid"]) for c in self.udm.search(CONTEXTS, "(objectClass=*)")}
        )
        low, high = self.config.context_range
        free = [cid for cid in range(low, high + 1) if cid not in used]
        if not free:
            pytest.fail(
                f"ucs backend: no free context id in {low}-{high} (OX_TEST_CONTEXT_RANGE)",
                pytrace=False,
            )
        cid = random.choice(free)
        self._context_ids.add(cid)
        return cid

    def queued(self) -> list[Path]:
        return queued(self.config.queue_dir)

    def admin(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        if not self.config.connector_command:
            raise NotObservable(unobservable()["admin_command"])
        return subprocess.run(
            [*self.config.connector_command, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def wait_until_stuck(self) -> dict[str, Any]:
        """The app's own trigger runs the connector: wait until health says CRITICAL."""
        deadline = time.monotonic() + self.config.sync_timeout
        while True:
            code, figures = self.health()
            if code == 2:
                return figures
            if time.monotonic() > deadline:
                pytest.fail(
                    f"ucs backend: the queue did not get stuck within "
                    f"{self.config.sync_timeout:.0f} s; health: {figures.get('summary')}",
                    pytrace=False,
                )
            time.sleep(0.5)

    def log_records(self) -> list[dict[str, Any]]:
        return json_records(self.config.connector_log.read_text(encoding="utf-8"))

    def ox_writes(self) -> Counter[str]:
        raise NotObservable(unobservable()["ox_calls"])

    def ox_calls(self) -> int:
        raise NotObservable(unobservable()["ox_calls"])

    def killed_run(self, after_calls: int, delay: float) -> str:
        raise NotObservable(unobservable()["killed_run"])

    def close(self) -> None:
        """Remove what the test created (referring objects first), then sync; a removal
        UDM refuses is reported after all the others were tried."""
        refused = []
        for module in REMOVAL_ORDER:
            for kind, dn in [v for v in self._created.values() if v[0] == module]:
                try:
                    self.udm.remove(kind, dn)
                except NoSuchObject:
                    pass
                except UDMError as exc:
                    refused.append(str(exc))
        self._created.clear()
        self.sync()
        if refused:
            raise UDMError("ucs backend clean-up: " + "; ".join(refused))


def _read_id(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _timeout_message(
    config: UCSConfig, waiting: list[Path], caught_up: bool, seen: int | None, target: int | None
) -> str:
    lines = [
        f"ucs backend: the app did not apply the changes within {config.sync_timeout:.0f} s"
        " (OX_TEST_SYNC_TIMEOUT)."
    ]
    if not caught_up:
        lines.append(f"The listener is at transaction {seen}, the notifier at {target}.")
    for path in waiting[:10]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            what = f"{doc.get('udm_object_type') or doc.get('object_type')} {doc.get('dn')}"
        except (OSError, ValueError):
            what = "(unreadable)"
        lines.append(f"  still queued: {path} {what}")
    if len(waiting) > 10:
        lines.append(f"  ... and {len(waiting) - 10} more")
    lines.append(
        "The connector stops at a failing file: see `univention-app logs ox-connector`"
        " or /var/log/univention/listener_modules/ox-connector.log."
    )
    return "\n".join(lines)
