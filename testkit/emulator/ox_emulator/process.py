"""Start and stop an emulator in a child process (tests, benchmarks and the demo use it).

An emulator started here never outlives the process that started it, however that ends:

- ``stop()`` (the ``with`` block, a fixture's finalizer) ends its process group;
- at interpreter exit, ``atexit`` stops every emulator still running;
- killed outright (SIGKILL, or SIGTERM without a handler), the parent leaves the pipe on
  the emulator's standard input without a writer, and ``--watch-stdin`` makes the
  emulator stop when it reads the end of it.

The emulator runs in a session (and process group) of its own, so a Ctrl-C in the
terminal reaches the parent only, which then stops the emulator after its own clean-up
(tests tearing down still reach it).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

_running: dict[int, EmulatorProcess] = {}  # id -> started and not yet stopped


@atexit.register
def _stop_all() -> None:
    for emulator in list(_running.values()):
        emulator.stop()


@dataclass
class EmulatorProcess:
    """``ox-emulator serve`` on a free loopback port; ``url`` is its base URL."""

    master_password: str
    db: str = ":memory:"
    extra_args: list[str] = field(default_factory=list)
    log_path: Path | None = None
    process: subprocess.Popen | None = None
    url: str = ""

    def start(self, timeout: float = 20.0) -> EmulatorProcess:
        cmd = [
            sys.executable,
            "-m",
            "ox_emulator.cli",
            "serve",
            "--port",
            "0",
            "--db",
            self.db,
            "--watch-stdin",
            *self.extra_args,
        ]
        env = {**os.environ, "OX_EMULATOR_MASTER_PASSWORD": self.master_password}
        log = open(self.log_path, "w+b") if self.log_path else None  # noqa: SIM115
        self.process = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,  # its end is the emulator's signal to stop (--watch-stdin)
            stderr=subprocess.PIPE,
            stdout=log,
            env=env,
            start_new_session=True,
        )
        _running[id(self)] = self
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            if log:
                log.write(line)
                log.flush()
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("msg") == "listening":
                self.url = f"http://127.0.0.1:{record['port']}"
                self._drain(log)
                return self
        self.stop()
        raise RuntimeError(f"ox-emulator did not start: {' '.join(cmd)}")

    def _drain(self, log) -> None:
        """Keep reading the child's log so that a full pipe never blocks it."""

        def pump():
            for line in self.process.stderr:
                if log:
                    log.write(line)
                    log.flush()

        threading.Thread(target=pump, daemon=True).start()

    def service_url(self, service: str) -> str:
        return f"{self.url}/webservices/{service}"

    def control(self, path: str, payload: dict | None = None) -> dict:
        if payload is None and path == "stats":
            return requests.get(f"{self.url}/emulator/stats", timeout=10).json()
        response = requests.post(f"{self.url}/emulator/{path}", json=payload or {}, timeout=10)
        response.raise_for_status()
        return response.json()

    def cpu_seconds(self) -> float:
        """User + system CPU time the emulator process has used (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> int | None:
        """End the emulator (SIGTERM to its process group, SIGKILL after 10 s); its exit
        code. Safe to call more than once."""
        if self.process is None:
            return None
        _running.pop(id(self), None)
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()
        return self.process.returncode

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # its own session: group id = its pid
            os.killpg(self.process.pid, signum)

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
