"""Shared fixtures: one emulator process per test worker, reached over HTTP only, or the
emulator that ``OX_TEST_EMULATOR_URL`` names (then the emulator's package is not imported:
the app image carries the reference suite but no emulator)."""

from __future__ import annotations

import os
import secrets

import pytest
from hypothesis import HealthCheck, settings

from .oxclient import OX, new_context, reference_problem, running_emulator
from .reference import observes

# The reference OX WSDLs are data from outside the repository. Without them the tests
# that compare the emulator with them (marker "contract") are not collected, and the
# summary says so in one line; in CI (CI=true), which must run them, that is an error.
NO_REFERENCE = pytest.StashKey[str]()
LEFT_OUT = pytest.StashKey[int]()  # contract tests not collected (under xdist: from a worker)
PROVIDE_REFERENCE = (
    "set OX_REFERENCE_WSDL_DIR=DIR, or fetch them from a real OX with "
    "`make reference-wsdl OX=https://<ox-host>`"
)

# Hypothesis profiles: "ci" (the default) keeps runs short and never fails on timing (these
# machines are shared and noisy); "thorough" is for nightly runs. HYPOTHESIS_PROFILE picks.
settings.register_profile(
    "ci", deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", deadline=None, max_examples=500, suppress_health_check=[HealthCheck.too_slow]
)
# "mutation" (ci/mutation.py): the same examples in every run, none replayed from a database,
# so that a surviving mutant is a verdict and not a draw.
settings.register_profile(
    "mutation", parent=settings.get_profile("ci"), derandomize=True, database=None
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def pytest_configure(config: pytest.Config) -> None:
    problem = reference_problem()
    if problem is None:
        return
    if _ci():
        raise pytest.UsageError(
            f"{problem}; CI (CI=true) must run the contract tests: {PROVIDE_REFERENCE}"
        )
    config.stash[NO_REFERENCE] = problem


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the reference: leave the contract group out (deselected, not failed)."""
    if NO_REFERENCE not in config.stash:
        return
    contract = [item for item in items if item.get_closest_marker("contract")]
    if contract:
        items[:] = [item for item in items if not item.get_closest_marker("contract")]
        config.hook.pytest_deselected(items=contract)
    config.stash[LEFT_OUT] = len(contract)
    if hasattr(config, "workeroutput"):  # an xdist worker: tell the controller
        config.workeroutput["contract_left_out"] = len(contract)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """xdist controller: every worker collects the same tests; take their count."""
    left_out = getattr(node, "workeroutput", {}).get("contract_left_out")
    if left_out is not None:
        config = node.config
        config.stash[LEFT_OUT] = max(config.stash.get(LEFT_OUT, 0), left_out)
    # the reference suite's tests left out for what their backend cannot observe
    lines = getattr(node, "workeroutput", {}).get(observes.WORKER_OUTPUT)
    if lines is not None:
        node.config.stash[observes.LEFT_OUT] = lines


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """One line when the contract group was left out. Also what the reference suite's
    model-based test ran (its junit properties), also under xdist and without -s, so CI
    logs say how many state-machine steps ran. Here and not in tests/reference/conftest.py:
    under xdist only this conftest is loaded where the summary is written."""
    count = config.stash.get(LEFT_OUT, 0)
    if NO_REFERENCE in config.stash and count:  # (the suite in the app image has none)
        terminalreporter.write_line(
            f"{f'{count} ' if count else ''}contract tests not collected: "
            f"{config.stash[NO_REFERENCE]}; {PROVIDE_REFERENCE}"
        )
    for line in observes.summary(config.stash.get(observes.LEFT_OUT, [])):
        terminalreporter.write_line(line)
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
