"""Fixtures of the reference suite: ``backend`` (one per test) on the backend that
``OX_TEST_BACKEND`` selects, and the Hypothesis profiles (``HYPOTHESIS_PROFILE``)."""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

from ..oxclient import reference_problem, running_emulator
from . import observes
from .backends import (
    OBSERVABLES,
    UCS,
    Backend,
    EmbeddedBackend,
    EmbeddedWorld,
    UCSBackend,
    UCSConfig,
    selected_backend,
    ucs_preflight,
    unobservable,
)
from .inspector import OXServices

# The OX settings the suite expects (the connector's documented prerequisites): user
# renames allowed (USERNAME_CHANGEABLE), display names not unique.
EMULATOR_ARGS = ["--username-changeable", "--no-unique-display-names"]
FIRST_CONTEXT_ID = 20_000  # apart from the other test modules' context ids

# Examples against a live connector cost a sync each: no deadline, and one backend per
# test serves all its examples (names come from backend.unique()). HYPOTHESIS_PROFILE
# (ci, the default, or thorough) picks "reference-<name>" for this suite's tests; the
# names are this suite's own, so tests/conftest.py's global "ci"/"thorough" stay as they are.
_COMMON = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
}
settings.register_profile("reference-ci", max_examples=10, stateful_step_count=10, **_COMMON)
settings.register_profile(
    "reference-mutation",
    max_examples=10,
    stateful_step_count=10,
    derandomize=True,
    database=None,
    **_COMMON,
)
settings.register_profile("reference-thorough", max_examples=200, stateful_step_count=50, **_COMMON)
PROFILE = "reference-" + os.environ.get("HYPOTHESIS_PROFILE", "ci")

PREFLIGHT = pytest.StashKey[list]()
OUTER_PROFILE = "reference-suite-outer"


@contextlib.contextmanager
def _reference_profile() -> Iterator[None]:
    """The suite's profile as Hypothesis's default for a while, then the previous one."""
    settings.register_profile(OUTER_PROFILE, parent=settings.default)
    settings.load_profile(PROFILE)
    try:
        yield
    finally:
        settings.load_profile(OUTER_PROFILE)


# @given and state machines take the default settings when their module is imported, a
# plain test when it runs: both happen inside the profile. Conftest hooks see only the
# collectors and items below this directory, so the other test modules keep theirs.
@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    with _reference_profile():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with _reference_profile():
        return (yield)


def pytest_configure(config: pytest.Config) -> None:
    """Check the backend once, before any test: a ucs run without reachable hosts stops
    here with the reasons instead of failing every test after a timeout."""
    config.addinivalue_line("markers", observes.MARKER_HELP)
    try:
        backend = selected_backend()
        settings.get_profile(PROFILE)
    except (ValueError, InvalidArgument) as exc:
        raise pytest.UsageError(f"HYPOTHESIS_PROFILE / OX_TEST_BACKEND: {exc}") from None
    try:
        unobservable()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    if backend == UCS and PREFLIGHT not in config.stash:
        problems = ucs_preflight()
        config.stash[PREFLIGHT] = problems
        if problems:
            raise pytest.UsageError(
                "OX_TEST_BACKEND=ucs cannot be used:\n  " + "\n  ".join(problems)
            )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the tests that need to observe what the selected backend cannot
    (``@pytest.mark.observes``), each named with the reason in the summary."""
    missing_on_backend = unobservable()
    backend = selected_backend()
    kept, left_out, lines = [], [], []
    for item in items:
        missing = {
            thing: missing_on_backend[thing]
            for thing in observes.needed(item, OBSERVABLES)
            if thing in missing_on_backend
        }
        if missing:
            left_out.append(item)
            lines.append(observes.left_out_line(item.nodeid, backend, missing))
        else:
            kept.append(item)
    if left_out:
        items[:] = kept
        config.hook.pytest_deselected(items=left_out)
    config.stash[observes.LEFT_OUT] = lines
    if hasattr(config, "workeroutput"):  # an xdist worker: the controller writes the summary
        config.workeroutput[observes.WORKER_OUTPUT] = lines


@pytest.fixture(scope="session")
def reference_emulator(tmp_path_factory):
    """The worker's OX emulator (embedded backend), with the OX settings above; or the
    running one that ``OX_TEST_EMULATOR_URL`` names, which must have been started with
    them (``ox-emulator serve --username-changeable --no-unique-display-names``)."""
    running = running_emulator()
    if running is not None:
        yield running
        return
    from ox_emulator.process import EmulatorProcess

    log = tmp_path_factory.mktemp("reference-emulator") / "emulator.log"
    with EmulatorProcess(
        secrets.token_urlsafe(16), extra_args=EMULATOR_ARGS, log_path=log
    ) as process:
        yield process


@pytest.fixture(scope="session")
def ox_services(request) -> OXServices:
    """zeep services (reference WSDLs) for the session's OX: the emulator, or the real OX."""
    if selected_backend() == UCS:
        config = UCSConfig.from_env()
        return OXServices.connect(
            config.ox_url, verify=config.verify, served_wsdls=config.served_wsdls
        )
    # without the reference WSDLs: the emulator's own, as it serves them when it runs
    # elsewhere (rendering them here would need the emulator's package)
    served = running_emulator() is not None and reference_problem() is not None
    return OXServices.connect(
        request.getfixturevalue("reference_emulator").url, served_wsdls=served
    )


@pytest.fixture(scope="session")
def embedded_world(reference_emulator, ox_services) -> EmbeddedWorld:
    return EmbeddedWorld(
        reference_emulator.url,
        reference_emulator.master_password,
        ox_services,
        itertools.count(first_context_id(reference_emulator, ox_services)),
    )


def first_context_id(emulator, services: OXServices) -> int:
    """Where this worker's context ids start: FIRST_CONTEXT_ID on an emulator of its own;
    on a running one (which earlier runs may have used) above every context it has, apart
    from the other pytest-xdist workers' ranges."""
    if running_emulator() is None:
        return FIRST_CONTEXT_ID
    master = {"login": "oxadminmaster", "password": emulator.master_password}
    taken = [c.id for c in services.context.listAll(auth=master) or []]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    offset = 10_000 * int(worker) if worker.isdigit() else 0
    return max([FIRST_CONTEXT_ID - 1, *taken]) + 1 + offset


def new_backend(request, root) -> Backend:
    if selected_backend() == UCS:
        return UCSBackend(UCSConfig.from_env(), request.getfixturevalue("ox_services"))
    return EmbeddedBackend(root, request.getfixturevalue("embedded_world"))


@pytest.fixture
def second_backend(request, tmp_path) -> Backend:
    """Another backend for the same test, to compare with: on embedded its own dirs and
    default context on the same emulator; on ucs the same system (unique() names differ)."""
    impl = new_backend(request, tmp_path / "second")
    try:
        yield impl
    finally:
        impl.close()


@pytest.fixture
def continue_backend(request, tmp_path) -> Backend:
    """An embedded backend whose connector runs in continue mode (failed changes become
    dead letters); mark the test ``observes("continue_mode")``."""
    impl = EmbeddedBackend(tmp_path, request.getfixturevalue("embedded_world"), stop_on_error=False)
    try:
        yield impl
    finally:
        impl.close()


@pytest.fixture
def backend(request, tmp_path) -> Backend:
    """A fresh backend for one test: on embedded a new queue/state dir and default
    context; on ucs the live system, cleaned of the test's objects afterwards."""
    impl = new_backend(request, tmp_path)
    try:
        yield impl
    finally:
        impl.close()
