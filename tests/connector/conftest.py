"""Connector test fixtures: a clean fault plan, and an emulator that allows user renames."""

from __future__ import annotations

import secrets

import pytest

from ox_emulator.process import EmulatorProcess

from ..oxclient import OX
from .harness import Harness


@pytest.fixture
def clean_faults(emulator):
    """The session's emulator is shared: no injected fault may leak into another test."""
    emulator.control("faults", {"clear": True})
    yield
    emulator.control("faults", {"clear": True})


@pytest.fixture(scope="session")
def changeable_emulator(tmp_path_factory):
    """An emulator where OX allows user renames (USERNAME_CHANGEABLE), which the session's
    does not; one is enough, as every Harness.context() hands out a fresh context."""
    password = secrets.token_urlsafe(16)
    log = tmp_path_factory.mktemp("emulator-changeable") / "emulator.log"
    with EmulatorProcess(password, extra_args=["--username-changeable"], log_path=log) as proc:
        yield proc


@pytest.fixture
def changeable(changeable_emulator, tmp_path) -> Harness:
    """A harness against the emulator that allows user renames."""
    ox = OX(
        changeable_emulator.url,
        {"login": "oxadminmaster", "password": changeable_emulator.master_password},
    )
    return Harness(changeable_emulator, ox, tmp_path)


@pytest.fixture(params=["lean", "zeep"])
def codec(request) -> str:
    """Each SOAP codec of connector.ox (OX_SOAP_CODEC): tests of behaviour run with both."""
    return request.param
