"""``@pytest.mark.observes("log", "ox_calls", ...)``: what a test needs to observe beyond
OX's state (the keys of ``backends.OBSERVABLES``). On a backend that cannot observe one
of them the test is left out (deselected, not skipped: it was never meant to run there),
and pytest's summary names every test left out and why, also under pytest-xdist (the
workers collect; ``tests/conftest.py`` writes the summary on the controller)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

MARKER = "observes"
MARKER_HELP = (
    f"{MARKER}(*things): the test needs the backend to observe these "
    "(admin_command, log, ox_calls, killed_run); left out where it cannot"
)
LEFT_OUT = pytest.StashKey[list[str]]()  # one summary line per test left out
WORKER_OUTPUT = "observes_left_out"


def needed(item: pytest.Item, known: Mapping[str, str]) -> list[str]:
    """The things ``item`` is marked to observe; a name not in ``known`` is a usage error."""
    things = [t for mark in item.iter_markers(MARKER) for t in mark.args]
    unknown = sorted(set(things) - set(known))
    if unknown:
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.{MARKER}({', '.join(unknown)}): "
            f"expected some of {', '.join(known)}"
        )
    return things


def left_out_line(nodeid: str, backend: str, missing: Mapping[str, str]) -> str:
    reasons = "; ".join(f"{thing}: {why}" for thing, why in missing.items())
    return f"{nodeid}: left out on the {backend} backend, which cannot observe it ({reasons})"


def summary(lines: Sequence[str]) -> list[str]:
    """What pytest's summary says about the tests left out (nothing when none was)."""
    if not lines:
        return []
    return [f"{len(lines)} tests left out (observes):", *(f"  {line}" for line in lines)]
