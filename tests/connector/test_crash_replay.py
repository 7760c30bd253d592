"""Crash safety: ``ox-connector run`` killed with SIGKILL at many points, then run again,
ends with exactly the OX state of one clean run, and an empty queue.

The scenario (tests/connector/scenario.py) has two phases of 11 and 29 queue files. The
reference applies both cleanly on one set of contexts; each replay gets its own Harness
(queue, state dir, secrets file) and fresh context ids, kills the real command in one
phase, completes it with a second run, and compares OX by names.

Kill points are taken by progress rather than wall-clock alone: the emulator counts every
SOAP call, and the run is killed once a seeded-random share of the reference run's calls
has been made, plus a seeded-random delay of up to about one call's latency. With 25 ms
of emulator latency per call, the kill lands at random places: in the middle of the
connector's own work, or while a request is in flight (which OX then still executes
although its caller is dead).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
import requests

from ..reference.backends import kill_when
from . import scenario
from .harness import Harness

LATENCY_MS = 25
SEED = 20261127
# One replay per entry: {phase: share bands of that phase's SOAP calls, one kill per band}.
# A phase without bands is applied in-process, cleanly. Early/middle/late of both phases,
# and one phase killed twice in a row.
KILL_PLANS = {
    "p1-early+p2-middle": {1: [(0.0, 0.15)], 2: [(0.35, 0.65)]},
    "p1-late+p2-late": {1: [(0.6, 0.8)], 2: [(0.8, 0.92)]},  # >= 4 calls left: kill lands
    "p2-early": {2: [(0.0, 0.15)]},
    "p2-twice": {2: [(0.15, 0.45), (0.3, 0.8)]},
}
# With 8 workers the last calls of a phase overlap: kill well before its end, or the run may
# finish between two polls.
KILL_PLANS_PARALLEL = {
    "p1-early+p2-middle": {1: [(0.0, 0.15)], 2: [(0.35, 0.6)]},
    "p1-middle+p2-late": {1: [(0.3, 0.55)], 2: [(0.6, 0.75)]},
    "p2-twice": {2: [(0.1, 0.4), (0.2, 0.5)]},
}
PHASES = {1: lambda h, slots: scenario.phase1(h), 2: scenario.phase2}


pytestmark = pytest.mark.usefixtures("clean_faults")


def _calls(session: requests.Session, emulator) -> int:
    return session.get(f"{emulator.url}/emulator/stats", timeout=10).json()["total"]


def _killed_run(
    h: Harness, session: requests.Session, target_calls: int, delay: float, label: str
) -> tuple[float, str]:
    """Start the real command, SIGKILL it once OX has seen ``target_calls`` calls (+delay).
    Returns the seconds it ran and its stderr."""
    h.reset_calls()
    err_path = h.root / f"killed-{label}.stderr"
    with open(err_path, "w") as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "connector.cli", "run"],
            env={**os.environ, **h.env()},
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        rc = kill_when(proc, lambda: _calls(session, h.emulator) >= target_calls, delay, 60)
        ran = time.monotonic() - started
    stderr = err_path.read_text()
    assert rc == -signal.SIGKILL, (
        f"{label}: the run was to be killed after {target_calls} calls but ended with "
        f"{rc}:\n{stderr}"
    )
    assert '"run started"' in stderr and '"run finished"' not in stderr, stderr
    return ran, stderr


def _reference(emulator, ox, root) -> tuple[dict[int, dict], dict[int, int]]:
    """Both phases applied cleanly (in-process); OX snapshot and SOAP call count per phase."""
    h = Harness(emulator, ox, root)
    snaps, counts, slots = {}, {}, {}
    for phase, build in PHASES.items():
        slots = build(h, slots)
        h.reset_calls()
        h.run()
        counts[phase] = emulator.control("stats")["total"]
        assert h.pending() == []
        snaps[phase] = scenario.snapshot(h, slots)
    return snaps, counts


def _check_reference(snaps: dict[int, dict]) -> None:
    """The reference itself shows every feature of the scenario (else comparing proves little)."""
    a1 = snaps[1]["A"]
    assert set(a1["users"]) == {"ed", "mover", "victim", "sleeper", "bea"}
    assert a1["groups"] == {"team": ["ed", "mover", "victim"]}
    assert set(a1["resources"]) == {"van", "room"}
    a, b = snaps[2]["A"], snaps[2]["B"]
    assert set(a["users"]) == {"ed", "bea", "n1", "n2", "n3", "n4", "n10"}  # victim, sleeper gone
    assert set(b["users"]) == {"n5", "n6", "n7", "n8", "mover", "n9"}
    assert b["users"]["mover"]["display_name"] == "Mover Moved"
    assert a["users"]["ed"]["display_name"] == "Ed Edited"
    assert a["users"]["n2"]["sur_name"] == "Third"
    assert a["users"]["n2"]["aliases"] == ["n2.alias@example.org", "n2@example.org"]
    assert "tasks" in a["users"]["bea"]["access"] and "tasks" in b["users"]["n8"]["access"]
    assert "infostore" not in a["users"]["bea"]["access"]
    assert a["groups"] == {"team": ["ed", "n1"], "all": ["bea", "ed", "n1", "n2", "n3", "n4"]}
    assert b["groups"] == {
        "team": ["mover", "n5"],
        "all": ["n5", "n6", "n7", "n8"],
        "crew": ["n6", "n7", "n9"],
    }
    assert set(a["resources"]) == {"room"} and a["resources"]["room"]["displayname"] == "Big Room"
    assert b["resources"]["van"]["description"] == "moved" and set(b["resources"]) == {
        "van",
        "desk",
    }


@pytest.mark.parametrize("workers", [1, 8])
def test_killed_runs_converge_to_the_clean_result(emulator, ox, tmp_path, workers):
    """The reference is always one clean sequential run; the replays run ``workers``."""
    snaps, counts = _reference(emulator, ox, tmp_path / "reference")
    _check_reference(snaps)
    rng = random.Random(SEED + workers)
    session = requests.Session()
    session.trust_env = False
    covered = []
    plans = KILL_PLANS if workers == 1 else KILL_PLANS_PARALLEL
    for label, plan in plans.items():
        h = Harness(emulator, ox, tmp_path / label)
        h.extra_env["OX_CONNECTOR_WORKERS"] = str(workers)
        slots: dict[str, int] = {}
        for phase, build in PHASES.items():
            slots = build(h, slots)
            queued = h.pending()
            bands = plan.get(phase)
            if not bands:
                h.run()
            else:
                emulator.control("faults", {"latency_ms": LATENCY_MS})
                remaining = counts[phase]
                for n, (low, high) in enumerate(bands):
                    target = max(1, round(rng.uniform(low, high) * remaining))
                    delay = rng.uniform(0, LATENCY_MS / 1000)
                    _killed_run(h, session, target, delay, f"{label}-p{phase}-{n}")
                    left = h.pending()
                    assert set(left) <= set(queued)
                    covered.append(
                        (
                            label,
                            phase,
                            target,
                            round(delay * 1000),
                            f"{len(left)}/{len(queued)} files left",
                        )
                    )
                    # the next kill (if any) is a share of what a full run would still do
                    remaining = max(2, remaining - target)
                emulator.control("faults", {"latency_ms": 0})
                done = h.run_cli()
                assert done.returncode == 0, f"{label}: rerun failed:\n{done.stderr}"
                assert "Traceback" not in done.stderr
            assert h.pending() == [], f"{label} phase {phase}: queue not empty"
            assert scenario.snapshot(h, slots) == snaps[phase], (
                f"{label}: OX after phase {phase} differs from the clean run (kills: {covered})"
            )
    assert len(covered) == sum(len(b) for plan in plans.values() for b in plan.values())
    print("kill points (replay, phase, after SOAP calls, +ms, queue):", *covered, sep="\n  ")
