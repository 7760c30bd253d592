"""Measuring a child process's own CPU time and peak RSS (shared by the benchmarks).

The child is started from a small launcher process: a child forked straight from a large
benchmark process counts the pages it shared with it before exec in its peak RSS
(``python -c pass`` started from a 200 MiB parent reports 211 MiB).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

LAUNCHER = """
import json, os, subprocess, sys
log = open(sys.argv[1], "ab")
child = subprocess.Popen(sys.argv[2:], stdout=log, stderr=log)
_, status, usage = os.wait4(child.pid, 0)
print(json.dumps([os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime,
                  usage.ru_maxrss]))
"""


def measure_child(
    command: list[str], env: dict[str, str], log_path: Path
) -> tuple[int, float, float, int]:
    """Run ``command`` (output appended to ``log_path``): its exit code, wall seconds, CPU
    seconds (user + system) and peak RSS in KiB."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(log_path), *command],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wall = time.perf_counter() - start
    code, cpu, rss = json.loads(out)
    return int(code), wall, float(cpu), int(rss)
