"""Shared fixtures: one emulator process per test worker, reached over HTTP only, or the
emulator that ``OX_TEST_EMULATOR_URL`` names (then the emulator's package is not imported:
the app image carries the reference suite but no emulator)."""

from __future__ import annotations

import os
import secrets

import pytest
from hypothesis import HealthCheck, settings

from .oxclient import OX, new_context, running_emulator

# Hypothesis profiles: "ci" (the default) keeps runs short and never fails on timing (these
# machines are shared and noisy); "thorough" is for nightly runs. HYPOTHESIS_PROFILE picks.
settings.register_profile(
    "ci", deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", deadline=None, max_examples=500, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_terminal_summary(terminalreporter) -> None:
    """Show what the reference suite's model-based test ran (its junit properties), also
    under xdist and without -s, so CI logs say how many state-machine steps ran. Here and
    not in tests/reference/conftest.py: under xdist only this conftest is loaded where
    the summary is written."""
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []
    ):
        figures = dict(getattr(report, "user_properties", ()))
        if report.when == "call" and "state_machine_steps" in figures:
            terminalreporter.write_line(
                f"state machine ({report.outcome}): {figures['state_machine_runs']} runs, "
                f"{figures['state_machine_steps']} steps"
            )


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    running = running_emulator()
    if running is not None:
        yield running
        return
    from ox_emulator.process import EmulatorProcess

    password = secrets.token_urlsafe(16)
    log = tmp_path_factory.mktemp("emulator") / "emulator.log"
    with EmulatorProcess(password, log_path=log) as proc:
        yield proc


@pytest.fixture(scope="session")
def ox(emulator) -> OX:
    return OX(emulator.url, {"login": "oxadminmaster", "password": emulator.master_password})


@pytest.fixture
def ctx(ox):
    """A fresh context for one test (contexts isolate tests from each other)."""
    return new_context(ox)


@pytest.fixture
def harness(emulator, ox, tmp_path):
    """A connector installation (queue dir, state dir) against the session's emulator."""
    from .connector.harness import Harness

    return Harness(emulator, ox, tmp_path)
