"""Test-side OX client: zeep compiled from the *reference* OX WSDLs (../shared/ox-wsdl, or
$OX_REFERENCE_WSDL_DIR), with the address pointed at the server under test. Nothing of the
emulator's own codec is used, so the tests see the emulator the way any OX client would.

Without a reference directory (a fresh clone) the client is compiled from the emulator's
own WSDLs instead: the tests that only need *a* client still run, and the ``contract``
group, which compares the emulator with the reference, is not collected (tests/conftest.py).
"""

from __future__ import annotations

import atexit
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import requests
import zeep
from zeep.transports import Transport

SERVICES = (
    "OXContextService",
    "OXUserService",
    "OXGroupService",
    "OXResourceService",
    "OXSecondaryAccountService",
    "OXUserCopyService",
)
EXCEPTION_ID = re.compile(r"; exceptionId -?\d+-\d+$")
PROJECT = Path(__file__).resolve().parents[1]
# An emulator that is already running (the image smoke test runs the suite inside the app's
# container, which holds no emulator, against one on the host): its base URL and master
# password. Unset, the fixtures start an emulator of their own (ox_emulator.process).
EMULATOR_URL = "OX_TEST_EMULATOR_URL"
EMULATOR_PASSWORD = "OX_TEST_EMULATOR_MASTER_PASSWORD"


def expected_reference_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where the reference WSDLs are looked for: $OX_REFERENCE_WSDL_DIR if set (and then
    only there), else ``../shared/ox-wsdl`` beside the project root."""
    configured = env.get("OX_REFERENCE_WSDL_DIR")
    return Path(configured) if configured else PROJECT.parent / "shared" / "ox-wsdl"


def reference_problem(env: Mapping[str, str] = os.environ) -> str | None:
    """Why the reference WSDLs cannot be used, or None when all six are there."""
    path = expected_reference_dir(env)
    if not path.is_dir():
        return f"no reference OX WSDLs: {path} does not exist"
    missing = [s for s in SERVICES if not (path / f"{s}.wsdl").is_file()]
    if missing:
        return f"no reference OX WSDLs: {path} lacks {', '.join(f'{s}.wsdl' for s in missing)}"
    return None


def reference_wsdl_dir() -> Path:
    """The reference directory; only for tests of the ``contract`` group, which run only
    when it is there."""
    problem = reference_problem()
    if problem is not None:
        raise RuntimeError(f"{problem} (set OX_REFERENCE_WSDL_DIR)")
    return expected_reference_dir()


@cache
def client_wsdl_dir() -> Path:
    """The WSDLs test clients are compiled from: the reference ones, else the emulator's
    (rendered once per process into a temporary directory)."""
    if reference_problem() is None:
        return expected_reference_dir()
    from ox_emulator.wsdl import render_wsdl

    path = Path(tempfile.mkdtemp(prefix="emulator-wsdl-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    for service in SERVICES:
        # the address is replaced by the server under test (service_proxy)
        (path / f"{service}.wsdl").write_bytes(
            render_wsdl(service, f"http://localhost/webservices/{service}")
        )
    return path


@dataclass(frozen=True)
class RunningEmulator:
    """An emulator this test session did not start, with the parts of
    ``ox_emulator.process.EmulatorProcess`` that tests use (so that nothing imports the
    emulator's package)."""

    url: str
    master_password: str

    def service_url(self, service: str) -> str:
        return f"{self.url}/webservices/{service}"

    def control(self, path: str, payload: dict | None = None) -> dict:
        if payload is None and path == "stats":
            return requests.get(f"{self.url}/emulator/stats", timeout=10).json()
        response = requests.post(f"{self.url}/emulator/{path}", json=payload or {}, timeout=10)
        response.raise_for_status()
        return response.json()


def running_emulator(env: Mapping[str, str] = os.environ) -> RunningEmulator | None:
    """The emulator named by ``OX_TEST_EMULATOR_URL`` (with
    ``OX_TEST_EMULATOR_MASTER_PASSWORD``), or None when the variable is unset."""
    url = env.get(EMULATOR_URL, "").strip().rstrip("/")
    if not url:
        return None
    password = env.get(EMULATOR_PASSWORD, "")
    if not password:
        raise RuntimeError(f"{EMULATOR_URL} is set but {EMULATOR_PASSWORD} is not")
    return RunningEmulator(url, password)


@cache
def _compiled(service: str) -> zeep.Client:
    session = requests.Session()
    session.trust_env = False  # no proxy look-up from the environment on every call
    return zeep.Client(
        str(client_wsdl_dir() / f"{service}.wsdl"), transport=Transport(session=session)
    )


def service_proxy(service: str, base_url: str):
    client = _compiled(service)
    binding = next(iter(client.wsdl.bindings))
    return client.create_service(binding, f"{base_url}/webservices/{service}")


def factory(service: str = "OXUserService"):
    """zeep type factory (ns4 = data objects) of a reference WSDL."""
    return _compiled(service).type_factory("ns4")


@dataclass
class OX:
    """One server: the six services plus the master credentials."""

    base_url: str
    master: dict

    def __post_init__(self):
        self.context = service_proxy("OXContextService", self.base_url)
        self.user = service_proxy("OXUserService", self.base_url)
        self.group = service_proxy("OXGroupService", self.base_url)
        self.resource = service_proxy("OXResourceService", self.base_url)
        self.secondary = service_proxy("OXSecondaryAccountService", self.base_url)
        self.copy = service_proxy("OXUserCopyService", self.base_url)


_context_ids = itertools.count(100)


def admin_user(name: str = "oxadmin", mail: str = "oxadmin@example.org", **extra) -> dict:
    return {
        "name": name,
        "display_name": f"Admin {name}",
        "password": "admin-secret",
        "given_name": "Context",
        "sur_name": "Admin",
        "primaryEmail": mail,
        "email1": mail,
    } | extra


@dataclass
class Ctx:
    """A context created for one test, with its admin's credentials."""

    ox: OX
    id: int
    admin: dict

    @property
    def ref(self) -> dict:
        return {"id": self.id}

    def create_user(self, name: str, **fields):
        mail = fields.pop("mail", f"{name}@example.org")
        data = {
            "name": name,
            "display_name": fields.pop("display_name", f"{name} display"),
            "password": "secret",
            "given_name": name.capitalize(),
            "sur_name": "Tester",
            "primaryEmail": mail,
            "email1": mail,
            **fields,
        }
        return self.ox.user.create(ctx=self.ref, usrdata=data, auth=self.admin)

    def get_user(self, **ref):
        return self.ox.user.getData(ctx=self.ref, user=ref, auth=self.admin)


def new_context(ox: OX, **ctx_fields) -> Ctx:
    cid = ctx_fields.pop("id", None) or next(_context_ids)
    admin = admin_user(mail=f"oxadmin@context{cid}.example.org", password=f"admin-secret-{cid}")
    ctx = {"id": cid, "name": f"context{cid}", "maxQuota": -1, **ctx_fields}
    ox.context.create(ctx=ctx, admin_user=admin, auth=ox.master)
    return Ctx(ox, cid, {"login": admin["name"], "password": admin["password"]})


def fault_message(exc_info) -> str:
    """The OX message of a zeep Fault, after checking OX's '; exceptionId n-m' suffix."""
    text = str(exc_info.value)
    assert EXCEPTION_ID.search(text), f"no exceptionId suffix in {text!r}"
    return EXCEPTION_ID.sub("", text)


def raises_fault(message: str | re.Pattern, call, *args, **kwargs) -> str:
    """Call and assert it fails with this OX message (exact, or a regex)."""
    with pytest.raises(zeep.exceptions.Fault) as exc_info:
        call(*args, **kwargs)
    got = fault_message(exc_info)
    if isinstance(message, re.Pattern):
        assert message.fullmatch(got), f"{got!r} does not match {message.pattern!r}"
    else:
        assert got == message
    return got
