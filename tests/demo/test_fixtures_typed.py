"""The demo's queue files and the benchmark's (bench/speed.py) are typed as the App
Center converter types them (the directory simulator's modules know it): integers for
integer syntaxes (``contextid``, ``oxContext``, ``oxQuota``, ``uidNumber``, ``gidNumber``),
None for an unset single value, a list for a multi-value property; never "" for "unset"."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from udm_simulator.modules import INTEGER_PROPERTIES, MODULES

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "testkit/demo/ox_demo/fixtures"


def typing_problems(udm_object_type: str, obj: dict[str, Any] | None) -> list[str]:
    if obj is None:
        return []
    module = MODULES[udm_object_type]
    problems = []
    for prop, value in obj.items():
        where = f"{udm_object_type} {prop}={value!r}"
        if prop not in module.properties:
            problems.append(f"{where}: not a property of the module")
        elif prop in INTEGER_PROPERTIES[udm_object_type]:
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                problems.append(f"{where}: an integer syntax, expected an int or null")
        elif prop in module.multi:
            if not isinstance(value, list):
                problems.append(f"{where}: a multi-value property, expected a list")
        elif value == "" or not (value is None or isinstance(value, str)):
            problems.append(f"{where}: expected a string, or null when unset")
    return problems


def test_the_demo_fixtures_are_converter_typed():
    files = sorted(FIXTURES.glob("*/*.json"))
    assert len(files) >= 40
    problems = []
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        problems += [
            f"{path.name}: {p}" for p in typing_problems(doc["udm_object_type"], doc["object"])
        ]
    assert problems == []


def test_the_demo_fixtures_are_what_the_generator_writes(tmp_path):
    subprocess.run(
        [sys.executable, str(FIXTURES / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    generated = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.glob("*/*.json")}
    committed = {p.relative_to(FIXTURES): p.read_bytes() for p in FIXTURES.glob("*/*.json")}
    assert generated == committed


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_speed", ROOT / "bench/speed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_queue_is_converter_typed(bench):
    entries = bench.Workload(users=4, contexts=2, groups=2).entries()
    assert {e["udm_object_type"] for e in entries} >= {"users/user", "oxmail/oxcontext"}
    problems = []
    for doc in entries:
        problems += typing_problems(doc["udm_object_type"], doc["object"])
    assert problems == []
