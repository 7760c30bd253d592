"""The run lock, against real second processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from connector.queue import AlreadyRunning, LockError, QueueError, run_lock

HOLDER = textwrap.dedent(
    """
    import sys
    from connector.queue import run_lock
    with run_lock(sys.argv[1]):
        print("locked", flush=True)
        sys.stdin.read()  # hold until the parent closes stdin or kills us
    """
)

TAKER = textwrap.dedent(
    """
    import sys
    from connector.queue import AlreadyRunning, run_lock
    try:
        with run_lock(sys.argv[1]):
            print("got it")
    except AlreadyRunning as exc:
        print(exc)
        sys.exit(3)
    """
)


@pytest.fixture
def holder(tmp_path):
    """A second process holding the lock; yields (process, lock path)."""
    path = tmp_path / "run.lock"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc, path
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_lock_held_by_another_process(holder):
    proc, path = holder
    with pytest.raises(AlreadyRunning) as info, run_lock(path):
        pytest.fail("entered a lock another process holds")
    assert isinstance(info.value, QueueError)
    assert info.value.pid == proc.pid
    assert f"pid {proc.pid}" in str(info.value) and str(path) in str(info.value)


def test_lock_released_when_the_holder_is_killed(holder):
    proc, path = holder
    os.kill(proc.pid, signal.SIGKILL)  # no cleanup code runs: only the kernel releases it
    proc.wait(timeout=10)
    with run_lock(path):
        assert path.read_text().strip() == str(os.getpid())


def test_lock_released_when_the_holder_finishes(holder):
    proc, path = holder
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0
    with run_lock(path):
        pass
    assert path.exists()  # kept on purpose, see run_lock
    assert path.read_text() == ""


def test_second_process_is_refused_while_we_hold_it(tmp_path):
    path = tmp_path / "run.lock"
    with run_lock(path):
        result = subprocess.run(
            [sys.executable, "-c", TAKER, str(path)], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 3, result.stderr
        assert f"pid {os.getpid()}" in result.stdout
    result = subprocess.run(
        [sys.executable, "-c", TAKER, str(path)], capture_output=True, text=True, timeout=30
    )
    assert (result.returncode, result.stdout.strip()) == (0, "got it")


def test_second_lock_in_the_same_process_is_refused(tmp_path):
    path = tmp_path / "run.lock"
    with run_lock(path), pytest.raises(AlreadyRunning), run_lock(path):
        pass
    with run_lock(path):  # and free again afterwards
        pass


def test_released_when_the_block_raises(tmp_path):
    path = tmp_path / "run.lock"
    with pytest.raises(RuntimeError), run_lock(path):
        raise RuntimeError("boom")
    with run_lock(path):
        pass


def test_lock_file_mode(tmp_path):
    path = tmp_path / "run.lock"
    with run_lock(path):
        assert path.stat().st_mode & 0o777 == 0o600


def test_unopenable_lock_path(tmp_path):
    with (
        pytest.raises(LockError, match="cannot open the run lock") as info,
        run_lock(tmp_path / "missing-dir" / "run.lock"),
    ):
        pass
    assert not isinstance(info.value, AlreadyRunning)
