"""Mutation testing of the reference suite: how many planted faults does it catch?

mutmut (pinned in the ``mutation`` extra; its settings in pyproject.toml's ``[tool.mutmut]``)
changes the connector's product packages one small fault at a time and runs, for each
mutant, the tests of ``tests/reference`` that reach the mutated function (mutmut learns
which from one instrumented run of the suite). This script makes that work for the suite:

- the child processes the suite starts (``ox-connector run``, admin commands) must import
  the mutant, not the installed connector: ``PYTHONPATH`` puts mutmut's copy first, and
  the ``MUTANT_UNDER_TEST`` switch is inherited through the environment;
- the examples must be the same in every run (a survivor is a verdict, not a lucky
  draw): the Hypothesis profile ``mutation`` is derandomized, without example database;
- ``--sample P`` runs a fixed pseudo-random P % of the mutants (a mutant is in the sample
  when the SHA-256 of its name falls in the first P %: the same mutants on every machine
  and every night, and a new function's mutants join without reshuffling the others);
- the report counts, per package, killed / survived / not reached (no reference test runs
  the function: a gap too) / timeouts, and the kill rate over the mutants that are not
  listed as equivalent in ``tests/reference/EQUIVALENT.md``.

Run it alone on its machine (or in a container of its own): mutmut 3.8's timeout thread
sends SIGXCPU to the process ids of mutant runs whose deadline passed even after they
ended, so a process that was given a reused id meanwhile is killed (seen here: a pytest
worker of another job beside a mutation run).

Usage: python ci/mutation.py [--sample 10] [--workers 2] [--fresh] [--report-only]
       [--fail-under 95] [--survivors]
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
EQUIVALENT = ROOT / "tests" / "reference" / "EQUIVALENT.md"

# mutmut's exit codes per mutant (mutmut/stats.py of the pinned version), folded into the
# outcomes this report counts.
KILLED = {1, 3}
SURVIVED = {0}
NOT_REACHED = {5, 33}
TIMEOUT = {36, 24, -24, 152, 255}
# an equivalent entry in EQUIVALENT.md: a list item starting with the mutant's name in
# backticks, e.g. "- `connector.ox.cache.x_key__mutmut_3`: the key's text is never shown"
EQUIVALENT_ENTRY = re.compile(r"^\s*[-*]\s+`(connector\.[\w.ǁ]+__mutmut_\d+)`", re.MULTILINE)


# A survivor whose only change is to the text of a log call or of a raised error cannot
# change what OX holds (the test of equivalence); its wording reaches the operator,
# which the suite checks where it promises something (health, the stuck-file log line).
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}


def _is_log_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in LOG_METHODS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in {"log", "logger", "logging"}
    )


def changed_path(original: ast.AST, mutant: ast.AST) -> list[ast.AST] | None:
    """The chain of nodes from ``original`` down to the smallest subtree the mutant changes
    (None when they are equal); a changed node count or type stops the descent there."""
    if ast.dump(original) == ast.dump(mutant):
        return None
    if type(original) is not type(mutant):
        return [original]
    differing: list[list[ast.AST]] = []
    for name, value in ast.iter_fields(original):
        other = getattr(mutant, name, None)
        pairs: list[tuple[object, object]]
        if isinstance(value, list) and isinstance(other, list):
            if len(value) != len(other):
                return [original]
            pairs = list(zip(value, other, strict=True))
        else:
            pairs = [(value, other)]
        for a, b in pairs:
            if isinstance(a, ast.AST) and isinstance(b, ast.AST):
                below = changed_path(a, b)
                if below is not None:
                    differing.append(below)
            elif a != b:
                return [original]
    if len(differing) != 1:
        return [original]
    return [original, *differing[0]]


def message_only(path: list[ast.AST]) -> bool:
    """The change lies inside a log call, or is a text inside a raised exception."""
    if any(_is_log_call(node) for node in path):
        return True
    in_raise = any(isinstance(node, ast.Raise) for node in path)
    leaf = path[-1]
    return in_raise and isinstance(leaf, ast.Constant) and isinstance(leaf.value, str)


SQL_STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|REPLACE|PRAGMA)\b", re.I)


def sql_case_only(original: ast.AST, mutant: ast.AST) -> bool:
    """An SQL statement with only its letter case changed and no quoted literal in it:
    SQLite's keywords and identifiers are case-insensitive, so it is the same statement."""
    if not (isinstance(original, ast.Constant) and isinstance(mutant, ast.Constant)):
        return False
    before, after = original.value, mutant.value
    return (
        isinstance(before, str)
        and isinstance(after, str)
        and before.lower() == after.lower()
        and SQL_STATEMENT.match(before) is not None
        and "'" not in before
    )


def _functions(tree: ast.AST) -> dict[str, ast.AST]:
    return {
        node.name: node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def excused_by_rule(mutants_dir: Path, names: Iterable[str]) -> dict[str, str]:
    """Of ``names``, the mutants a rule excuses, with the outcome it gives them: "message
    only" (a log or error text) or "equivalent" (an SQL statement's letter case)."""
    by_module: dict[str, list[str]] = {}
    for name in names:
        module, _, function = name.rpartition(".")
        by_module.setdefault(module, []).append(function)
    found = {}
    for module, functions in by_module.items():
        source = mutants_dir / (module.replace(".", "/") + ".py")
        defined = _functions(ast.parse(source.read_text()))
        for function in functions:
            original = defined.get(re.sub(r"__mutmut_\d+$", "__mutmut_orig", function))
            mutant = defined.get(function)
            if original is None or mutant is None:
                continue
            # the mutant's def carries its own name: compare the bodies
            before = ast.Module(original.body, [])  # type: ignore[attr-defined]
            after = ast.Module(mutant.body, [])  # type: ignore[attr-defined]
            path, other = changed_path(before, after), changed_path(after, before)
            if path is None or other is None:
                continue
            if message_only(path):
                found[f"{module}.{function}"] = "message only"
            elif sql_case_only(path[-1], other[-1]):
                found[f"{module}.{function}"] = "equivalent"
    return found


EXCLUDED = {"equivalent", "message only", "not run"}


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: str) -> None:
        self.outcomes[outcome] += 1

    @property
    def counted(self) -> int:
        """The mutants the kill rate is over: all but the equivalent and unchecked ones."""
        return sum(n for o, n in self.outcomes.items() if o not in EXCLUDED)

    @property
    def rate(self) -> float | None:
        return 100 * self.outcomes["killed"] / self.counted if self.counted else None


def in_sample(name: str, percent: float) -> bool:
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < percent / 100


def outcome(exit_code: int | None) -> str:
    if exit_code is None:
        return "not run"
    if exit_code in KILLED:
        return "killed"
    if exit_code in SURVIVED:
        return "survived"
    if exit_code in NOT_REACHED:
        return "not reached"
    if exit_code in TIMEOUT:
        return "timeout"
    return "suspicious"


def package_of(mutant: str) -> str:
    """``connector.reconcile.users.xǁ...`` -> ``reconcile``."""
    return mutant.split(".")[1]


def equivalent_mutants(text: str) -> set[str]:
    return set(EQUIVALENT_ENTRY.findall(text))


def results(mutants_dir: Path) -> Iterator[tuple[str, int | None]]:
    """(mutant name, exit code or None when not run yet) from mutmut's .meta files."""
    for meta in sorted(mutants_dir.glob("connector/**/*.py.meta")):
        data = json.loads(meta.read_text())
        yield from data["exit_code_by_key"].items()


def tally(
    found: Iterable[tuple[str, int | None]],
    equivalent: set[str],
    by_rule: dict[str, str],
    chosen: set[str] | None,
) -> dict[str, Tally]:
    by_package: dict[str, Tally] = {}
    for name, code in found:
        if chosen is not None and name not in chosen:
            continue
        by_package.setdefault(package_of(name), Tally()).add(
            excused(outcome(code), name, equivalent, by_rule)
        )
    return by_package


def excused(result: str, name: str, equivalent: set[str], by_rule: dict[str, str]) -> str:
    if result != "survived":
        return result
    if name in equivalent:
        return "equivalent"
    return by_rule.get(name, result)


def overall(by_package: dict[str, Tally]) -> Tally:
    total = Tally()
    for t in by_package.values():
        total.outcomes.update(t.outcomes)
    return total


def report(by_package: dict[str, Tally]) -> str:
    columns = (
        "killed",
        "survived",
        "not reached",
        "timeout",
        "suspicious",
        "equivalent",
        "message only",
    )
    head = f"{'package':<10} {'mutants':>7} " + " ".join(f"{c:>11}" for c in columns)
    lines = [head + f" {'kill rate':>9}", ""]
    lines += [_row(package, by_package[package], columns) for package in sorted(by_package)]
    lines.append(_row("all", overall(by_package), columns))
    lines.append(
        "kill rate = killed / (checked - equivalent - message only); 'not reached' (no"
        " reference test runs the function in the test process) counts as not killed"
    )
    return "\n".join(lines)


def _row(label: str, t: Tally, columns: tuple[str, ...]) -> str:
    rate = "-" if t.rate is None else f"{t.rate:.1f} %"
    cells = " ".join(f"{t.outcomes[c]:>11}" for c in columns)
    return f"{label:<10} {sum(t.outcomes.values()):>7} {cells} {rate:>9}"


def environment(base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    # child processes (ox-connector run) import mutmut's copy with the trampolines
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(MUTANTS), base.get("PYTHONPATH")]))
    env["HYPOTHESIS_PROFILE"] = "mutation"
    env.setdefault("OX_TEST_BACKEND", "embedded")
    return env


def mutmut() -> str:
    found = shutil.which("mutmut", path=str(Path(sys.executable).parent))
    if found is None:
        sys.exit("mutmut is not installed: pip install -e '.[mutation]' (make mutation does)")
    return found


def generate(workers: int) -> None:
    """Write the mutants without running anything (mutmut 3.8 has no command for just
    this; its own run begins with these steps, and skips files already generated)."""
    from mutmut.__main__ import create_mutants
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir

    set_mutant_under_test("mutant_generation")
    MUTANTS.mkdir(exist_ok=True)
    copy_src_dir()
    copy_also_copy_files()
    create_mutants(workers)
    set_mutant_under_test(None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=float, default=100.0, help="percent of mutants")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--fresh", action="store_true", help="discard earlier results")
    parser.add_argument("--report-only", action="store_true", help="report earlier results")
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    parser.add_argument("--fail-under", type=float, help="exit 1 below this kill rate (%%)")
    args = parser.parse_args(argv)
    if not 0 < args.sample <= 100:
        parser.error("--sample: a percentage in (0, 100]")

    os.chdir(ROOT)
    if args.fresh and MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    if not args.report_only:
        os.environ.update(environment(dict(os.environ)))
        generate(args.workers)
    codes = dict(results(MUTANTS))
    if not codes:
        sys.exit("no mutants: run without --report-only first")
    chosen = {n for n in codes if in_sample(n, args.sample)}
    equivalent = equivalent_mutants(EQUIVALENT.read_text() if EQUIVALENT.exists() else "")
    survivors = [n for n in chosen if outcome(codes[n]) == "survived"]
    by_rule = excused_by_rule(MUTANTS, survivors)
    # a killed mutant stays killed (mutmut resets the results of functions that changed),
    # an excused one stays excused; every other one is tried again: a test added since
    # may reach or kill it now
    pending = sorted(
        n
        for n in chosen
        if excused(outcome(codes[n]), n, equivalent, by_rule)
        not in {"killed", "equivalent", "message only"}
    )
    print(
        f"mutants: {len(codes)}; sample: {len(chosen)} ({args.sample:g} %);"
        f" to run: {0 if args.report_only else len(pending)}"
    )
    if pending and not args.report_only:
        command = [mutmut(), "run", "--max-children", str(args.workers), *pending]
        finished = subprocess.run(command, env=os.environ.copy(), check=False)
        if finished.returncode != 0:
            print(f"mutmut run exited {finished.returncode}", file=sys.stderr)
            return finished.returncode

    if not args.report_only:  # the results changed
        codes = dict(results(MUTANTS))
        survivors = [n for n in chosen if outcome(codes[n]) == "survived"]
        by_rule = excused_by_rule(MUTANTS, survivors)
    by_package = tally(codes.items(), equivalent, by_rule, chosen)
    print(report(by_package))
    if args.survivors:
        for name, code in codes.items():
            result = excused(outcome(code), name, equivalent, by_rule)
            if name in chosen and result not in {"killed", "not run"}:
                print(f"  {result:<12} {name}")
    if args.fail_under is not None and (overall(by_package).rate or 0) < args.fail_under:
        print(f"kill rate below {args.fail_under:g} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
