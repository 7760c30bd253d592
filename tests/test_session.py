"""The test session itself: without the reference OX WSDLs the contract group is left out
(one summary line) and everything else runs, CI insists on the reference, and no emulator
process outlives a session, however it ends. Each test runs pytest in a child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import fetch_reference_wsdl
from .oxclient import SERVICES, reference_problem

PROJECT = Path(__file__).resolve().parents[1]
LEFT_OUT = "contract tests not collected"


def pytest_run(*args: str, env: dict[str, str], timeout: float = 300):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_XDIST_WORKER")}
    return {**env, **extra}


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_without_reference_the_contract_group_is_left_out_in_one_line(tmp_path, workers):
    missing = tmp_path / "no-such-dir"
    result = pytest_run(
        "-q",
        *workers,
        "tests/emulator/test_contract.py",
        "tests/emulator/test_wire.py",
        env=environment(OX_REFERENCE_WSDL_DIR=str(missing)),
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    lines = [line for line in out.splitlines() if LEFT_OUT in line]
    assert len(lines) == 1, out
    (line,) = lines
    assert line.startswith(f"11 {LEFT_OUT}: no reference OX WSDLs: {missing} does not exist")
    assert "OX_REFERENCE_WSDL_DIR" in line and "make reference-wsdl OX=https://" in line
    assert " passed" in out and "error" not in out.lower(), out


def test_an_incomplete_reference_dir_is_named_with_what_it_lacks(tmp_path):
    (tmp_path / "OXUserService.wsdl").write_text("<definitions/>")
    result = pytest_run(
        "-q",
        "tests/emulator/test_contract.py",
        env=environment(OX_REFERENCE_WSDL_DIR=str(tmp_path)),
    )
    assert result.returncode == 5, result.stdout  # nothing left to run
    assert f"{tmp_path} lacks OXContextService.wsdl, OXGroupService.wsdl" in result.stdout


def test_in_ci_a_missing_reference_is_an_error_not_a_skip(tmp_path):
    result = pytest_run(
        "-q",
        "tests/emulator/test_wire.py",
        env=environment(CI="true", OX_REFERENCE_WSDL_DIR=str(tmp_path / "none")),
    )
    assert result.returncode == 4, result.stdout + result.stderr  # a usage error
    assert "CI (CI=true) must run the contract tests" in result.stderr
    assert " passed" not in result.stdout


HANGING = """
import os
import time
from pathlib import Path


def hang(emulator):
    Path(os.environ["EMULATOR_PIDS"], str(emulator.process.pid)).touch()
    time.sleep(600)


def test_one(emulator):
    hang(emulator)


def test_two(emulator):
    hang(emulator)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.parametrize(
    ("signum", "workers"),
    [
        (signal.SIGINT, []),
        (signal.SIGTERM, []),
        (signal.SIGKILL, []),
        (signal.SIGINT, ["-n", "2"]),
        (signal.SIGTERM, ["-n", "2"]),  # the controller dies at once, as with SIGKILL
    ],
    ids=["SIGINT", "SIGTERM", "SIGKILL", "xdist-SIGINT", "xdist-SIGTERM"],
)
def test_no_emulator_outlives_an_interrupted_session(tmp_path, signum, workers):
    """A session hangs in tests that use the session's emulator; the pytest process gets
    a signal; soon after, none of the emulators it (or its workers) started is left."""
    (tmp_path / "test_hanging.py").write_text(HANGING)
    pids = tmp_path / "pids"
    pids.mkdir()
    expected = 2 if workers else 1
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.conftest",  # the session's fixtures, as the suite has them
            "-q",
            *workers,
            str(tmp_path / "test_hanging.py"),
        ],
        cwd=PROJECT,
        env=environment(EMULATOR_PIDS=str(pids)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(pids.iterdir())) < expected:
            assert process.poll() is None, "the session ended before its emulators started"
            assert time.monotonic() < deadline, "the emulators did not start"
            time.sleep(0.2)
        started = [int(p.name) for p in pids.iterdir()]
        assert all(alive(pid) for pid in started)
        process.send_signal(signum)
        process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in started if alive(pid)] == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def make_reference_wsdl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "reference-wsdl", *args],
        cwd=PROJECT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_make_reference_wsdl_fetches_the_six_wsdls_from_an_ox(emulator, tmp_path, monkeypatch):
    target = tmp_path / "ox-wsdl"
    result = make_reference_wsdl(f"OX={emulator.url}/webservices/", f"WSDL_DIR={target}")
    assert result.returncode == 0, result.stderr
    assert fetch_reference_wsdl.SERVICES == SERVICES
    assert sorted(p.name for p in target.iterdir()) == sorted(f"{s}.wsdl" for s in SERVICES)
    monkeypatch.setenv("OX_REFERENCE_WSDL_DIR", str(target))
    assert reference_problem() is None

    # not an OX there (HTTP 404): nothing written, the URL named
    elsewhere = tmp_path / "elsewhere"
    result = make_reference_wsdl(f"OX={emulator.url}/no-ox-here", f"WSDL_DIR={elsewhere}")
    assert result.returncode != 0
    assert "reference-wsdl: http://127.0.0.1:" in result.stderr, result.stderr
    assert not elsewhere.exists()

    result = make_reference_wsdl()
    assert result.returncode != 0 and "usage: make reference-wsdl OX=" in result.stderr


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_reference_tests_a_backend_cannot_observe_are_left_out_with_the_reason(workers):
    """@pytest.mark.observes: deselected, not skipped, and the summary names each test and
    why (under xdist the workers collect; the controller writes the summary). Every test
    of the module is left out here (a unit test runs beside them): no emulator needed."""
    module = "tests/reference/test_operator_promises.py"
    result = pytest_run(
        "-q",
        *workers,
        module,
        "tests/reference/test_smoke.py::test_what_each_backend_can_observe",
        env=environment(OX_TEST_UNOBSERVABLE="killed_run,log,admin_command"),
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "1 passed" in out and "skipped" not in out, out
    if not workers:  # (xdist's controller does not count what its workers deselect)
        assert "1 passed, 8 deselected" in out, out
    (header,) = [line for line in out.splitlines() if "left out (observes)" in line]
    assert header == "8 tests left out (observes):"
    lines = [line.strip() for line in out.splitlines() if "left out on the embedded" in line]
    reasons = {line.split(": left out")[0]: line.split("cannot observe it ")[1] for line in lines}
    why = "left out by OX_TEST_UNOBSERVABLE"
    killed = f"{module}::test_a_run_killed_in_the_middle_and_started_again_ends_as_a_clean_run"
    assert reasons == {
        f"{module}::test_a_change_ox_refuses_stays_queued_is_reported_and_drains_once_fixed": (
            f"(admin_command: {why})"
        ),
        f"{module}::test_a_change_ox_refuses_is_logged_with_its_file_dn_and_error": (
            f"(admin_command: {why}; log: {why})"
        ),
        f"{module}::test_a_resync_leaves_ox_as_it_was_ids_included": f"(admin_command: {why})",
        f"{module}::test_a_resync_makes_no_write_call": f"(admin_command: {why})",
        f"{module}::test_in_continue_mode_a_refused_change_is_a_dead_letter_and_the_rest_goes_on": (
            f"(admin_command: {why})"
        ),
        **{
            f"{killed}[{case}]": f"(killed_run: {why})"
            for case in ("create-early", "create-late", "change-middle")
        },
    }
