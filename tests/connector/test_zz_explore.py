import random, requests
from . import scenario
from .harness import Harness
from .test_crash_replay import _reference, _killed_run, PHASES, clean_faults

def test_explore(emulator, ox, tmp_path):
    snaps, counts = _reference(emulator, ox, tmp_path / "reference")
    print(counts)
    session = requests.Session(); session.trust_env = False
    rng = random.Random(7)
    bad = []
    for i in range(24):
        kill_phase = 1 if i % 4 == 0 else 2
        target = rng.randint(1, counts[kill_phase] - 1)
        delay = rng.uniform(0, 0.025)
        h = Harness(emulator, ox, tmp_path / f"x{i}")
        slots = {}
        for phase, build in PHASES.items():
            slots = build(h, slots)
            if phase != kill_phase:
                h.run()
            else:
                emulator.control("faults", {"latency_ms": 20})
                try:
                    _killed_run(h, session, target, delay, f"x{i}")
                except AssertionError as e:
                    print("kill failed", i, target, str(e)[:300]); 
                emulator.control("faults", {"latency_ms": 0})
                r = h.run_cli()
                if r.returncode != 0:
                    bad.append((i, phase, target, "rc", r.returncode, r.stderr[-1500:])); break
            if h.pending() or scenario.snapshot(h, slots) != snaps[phase]:
                snap = scenario.snapshot(h, slots)
                bad.append((i, phase, target, h.pending(), {s: {k: v for k, v in snap[s].items() if v != snaps[phase][s][k]} for s in snap}))
                break
        print(i, kill_phase, target, "ok" if not bad or bad[-1][0] != i else "BAD")
    for b in bad: print(b)
    assert not bad
