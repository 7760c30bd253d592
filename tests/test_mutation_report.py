"""ci/mutation.py's bookkeeping: which mutants are in the fixed sample, how mutmut's exit
codes are counted, and which survivors EQUIVALENT.md excuses (run for real by make mutation)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "ci" / "mutation.py"


@pytest.fixture(scope="module")
def mutation():
    spec = importlib.util.spec_from_file_location("ci_mutation", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


NAMES = [f"connector.ox.cache.x_key__mutmut_{i}" for i in range(1, 2001)]


def test_the_sample_is_fixed_and_about_its_size(mutation):
    ten = {n for n in NAMES if mutation.in_sample(n, 10)}
    assert ten == {n for n in NAMES if mutation.in_sample(n, 10)}
    assert 150 < len(ten) < 250
    # a larger sample contains the smaller one: nightly figures stay comparable
    assert ten <= {n for n in NAMES if mutation.in_sample(n, 20)}
    assert all(mutation.in_sample(n, 100) for n in NAMES)


def test_exit_codes_fold_into_outcomes(mutation):
    assert [mutation.outcome(c) for c in (1, 3, 0, 33, 5, -24, 36, None, 99)] == [
        "killed",
        "killed",
        "survived",
        "not reached",
        "not reached",
        "timeout",
        "timeout",
        "not run",
        "suspicious",
    ]


def test_equivalent_survivors_leave_the_rate_and_others_stay_in_it(mutation, tmp_path):
    meta = tmp_path / "connector" / "ox" / "cache.py.meta"
    meta.parent.mkdir(parents=True)
    a, b, c, d = (f"connector.ox.cache.xǁCacheǁget__mutmut_{i}" for i in range(1, 5))
    e = "connector.queue.files.x_read__mutmut_1"
    meta.write_text(json.dumps({"exit_code_by_key": {a: 1, b: 0, c: 0, d: 33}}))
    (tmp_path / "connector" / "queue").mkdir()
    (tmp_path / "connector" / "queue" / "files.py.meta").write_text(
        json.dumps({"exit_code_by_key": {e: 1}})
    )
    equivalent = mutation.equivalent_mutants(f"# Equivalent\n\n- `{c}`: only a log text\n")
    assert equivalent == {c}
    by_package = mutation.tally(mutation.results(tmp_path), equivalent, {}, None)
    ox = by_package["ox"]
    assert ox.outcomes == {"killed": 1, "survived": 1, "equivalent": 1, "not reached": 1}
    assert ox.rate == pytest.approx(100 / 3)  # a killed of a, b, d; c is excused
    assert by_package["queue"].rate == 100
    table = mutation.report(by_package)
    assert "33.3 %" in table and table.splitlines()[-2].startswith("all")
    assert mutation.tally(mutation.results(tmp_path), equivalent, {}, {e})["queue"].counted == 1


MUTATED_MODULE = """
def x_f__mutmut_orig(a):
    log.info("hello", extra={"a": a})
    return a
def x_f__mutmut_1(a):
    log.info("HELLO", extra={"A": a})
    return a
def x_f__mutmut_2(a):
    log.info("hello", extra={"a": a})
    return None
def x_g__mutmut_orig(db):
    return db.execute("SELECT * FROM objects WHERE kind = ?")
def x_g__mutmut_1(db):
    return db.execute("SELECT * FROM OBJECTS WHERE KIND = ?")
def x_g__mutmut_2(db):
    return db.execute("select * from objects where kind = ?", ())
def x_h__mutmut_orig(db):
    if not db:
        raise ValueError("no database")
    return db.execute("SELECT 1 WHERE 'a' = 'a'")
def x_h__mutmut_1(db):
    if not db:
        raise ValueError("XXno databaseXX")
    return db.execute("SELECT 1 WHERE 'a' = 'a'")
def x_h__mutmut_2(db):
    if not db:
        raise ValueError("no database")
    return db.execute("SELECT 1 WHERE 'A' = 'A'")
def x_h__mutmut_3(db):
    if db:
        raise ValueError("no database")
    return db.execute("SELECT 1 WHERE 'a' = 'a'")
"""


def test_rules_excuse_text_only_and_sql_case_only_changes(mutation, tmp_path):
    (tmp_path / "connector").mkdir()
    (tmp_path / "connector" / "m.py").write_text(MUTATED_MODULE)
    names = [
        f"connector.m.x_{f}__mutmut_{i}"
        for f, n in (("f", 2), ("g", 2), ("h", 3))
        for i in range(1, n + 1)
    ]
    assert mutation.excused_by_rule(tmp_path, names) == {
        "connector.m.x_f__mutmut_1": "message only",  # inside the log call
        "connector.m.x_g__mutmut_1": "equivalent",  # SQLite ignores identifier case
        "connector.m.x_h__mutmut_1": "message only",  # the raised error's text
    }
    # not excused: a changed return, an added argument, a quoted SQL literal, a condition
