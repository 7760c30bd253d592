"""``python -m ox_demo`` end to end: every phase applied by the real command."""

from __future__ import annotations

import os
import subprocess
import sys

FINAL = "OX after phase 3-removals"


def test_demo_applies_every_phase():
    # A wide virtual terminal, so that rich never wraps a name across two lines.
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "ox_demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert out.count("ox-connector run: exit 0") == 3

    final = out[out.index(FINAL) :]
    ctx10, ctx20 = final.split("Context 20 (context20)")
    assert "lena.fischer" in ctx20 and "lena.fischer" not in ctx10  # moved 10 -> 20
    assert "Dr. Emma Koch" in ctx10  # display name changed
    for gone in ("noah.wolf", "mia.klein", "robotics-club", "minibus"):  # deleted/disabled
        assert gone not in final, gone
    assert "Epson projector in room A101 (new lamp 2026-11)" in ctx10
