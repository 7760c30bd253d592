"""Run-time controls of the emulator for tests and benchmarks: per-operation call counters,
the field names each write operation was sent (``written``), added latency (one for reads,
one for writes), a random transient fault rate and "fail the next N calls of X"."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .faults import OXFault

TRANSIENT_KIND = "DatabaseUpdateException"
# The read operations of OX's admin services are the ones named get*, list* and exists*
# (getData, getMultipleData, getModuleAccess, listAll, listGroupsForUser, exists, ...); every
# other operation changes OX (create*, change*, delete*, update, copyUser, addMember,
# removeMember, enable*, disable*, downgrade, move*): a write.
READ_PREFIXES = ("get", "list", "exists")


def is_read(operation: str) -> bool:
    """Whether an operation ("OXUserService.getData" or "getData") only reads OX."""
    return operation.rpartition(".")[2].startswith(READ_PREFIXES)


# Credentials, not data: their field names say nothing about what a client writes to OX.
UNRECORDED_PARAMETERS = frozenset({"auth"})
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def sent_fields(element: Any) -> set[str]:
    """The field names an operation's body element (lxml) carries: ``param.field`` for each
    non-nil child of a structured parameter (``usrdata.display_name``), ``param`` for a
    plain one (``primaryAddress``); a reference checks with it what a client writes."""
    out: set[str] = set()
    for param in element:
        if not isinstance(param.tag, str):
            continue
        name = param.tag.rpartition("}")[2]
        if name in UNRECORDED_PARAMETERS or _nil(param):
            continue
        children = [c for c in param if isinstance(c.tag, str) and not _nil(c)]
        if not children:
            out.add(name)
        out.update(f"{name}.{c.tag.rpartition('}')[2]}" for c in children)
    return out


def _nil(element: Any) -> bool:
    return element.get(XSI_NIL) in ("true", "1")


@dataclass
class FailRule:
    operation: str  # "OXUserService.create", or "*" for any
    count: int
    kind: str = TRANSIENT_KIND
    message: str | None = None
    http_status: int | None = None  # answer with a bare HTTP error instead of a SOAP fault

    def matches(self, operation: str) -> bool:
        return self.count > 0 and self.operation in ("*", operation)


class InjectedHTTPError(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class Controls:
    def __init__(
        self,
        latency_ms: float = 0.0,
        fault_rate: float = 0.0,
        seed: int | None = None,
        write_latency_ms: float | None = None,
    ):
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        # write operation -> the field names sent in any of its calls since the last reset
        self.written: defaultdict[str, set[str]] = defaultdict(set)
        self.in_flight = 0  # SOAP requests being served now, and the most at once
        self.max_in_flight = 0
        self.latency_ms = latency_ms
        self.write_latency_ms = write_latency_ms  # None: writes wait latency_ms as reads do
        self.fault_rate = fault_rate
        self.rules: list[FailRule] = []
        self._random = random.Random(seed)
        self._fault_serial = 0
        self._fault_prefix = random.Random(seed).randint(-(2**31), 2**31 - 1)

    def exception_id(self) -> str:
        """OX's ``<per-JVM random>-<counter>`` suffix of every fault message."""
        with self._lock:
            self._fault_serial += 1
            return f"{self._fault_prefix}-{self._fault_serial}"

    def count(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] += 1

    def wrote(self, operation: str, fields: Iterable[str]) -> None:
        with self._lock:
            self.written[operation].update(fields)

    def entered(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def left(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(sorted(self.calls.items())),
                "total": sum(self.calls.values()),
                "max_in_flight": self.max_in_flight,
                "written": {op: sorted(f) for op, f in sorted(self.written.items())},
                "in_flight": self.in_flight,  # SOAP calls being served now
                # calls that change OX, as a test of "applying again writes nothing" needs
                "writes_by_operation": {
                    op: n for op, n in sorted(self.calls.items()) if not is_read(op)
                },
            }

    def latency(self, operation: str | None) -> float:
        """Seconds to wait before answering a call of ``operation`` ("OXUserService.create");
        None (a request that names no known operation) waits as a read."""
        if operation is None or is_read(operation) or self.write_latency_ms is None:
            return self.latency_ms / 1000
        return self.write_latency_ms / 1000

    def reset_stats(self) -> None:
        with self._lock:
            self.calls.clear()
            self.written.clear()
            self.max_in_flight = self.in_flight

    def configure(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Apply a JSON body of POST /emulator/faults; raises ValueError on bad input."""
        known = {"latency_ms", "write_latency_ms", "fault_rate", "fail_next", "clear"}
        unknown = set(settings) - known
        if unknown:
            raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
        with self._lock:
            if settings.get("clear"):
                self.rules.clear()
                self.latency_ms = 0.0
                self.write_latency_ms = None
                self.fault_rate = 0.0
            if "latency_ms" in settings:
                self.latency_ms = _number(settings["latency_ms"], "latency_ms", 0, 60_000)
            if "write_latency_ms" in settings:
                value = settings["write_latency_ms"]
                self.write_latency_ms = (
                    None if value is None else _number(value, "write_latency_ms", 0, 60_000)
                )
            if "fault_rate" in settings:
                self.fault_rate = _number(settings["fault_rate"], "fault_rate", 0, 1)
            for rule in settings.get("fail_next", []):
                if not isinstance(rule, dict) or "operation" not in rule:
                    raise ValueError("each fail_next entry needs an operation")
                self.rules.append(
                    FailRule(
                        operation=str(rule["operation"]),
                        count=int(rule.get("count", 1)),
                        kind=str(rule.get("kind", TRANSIENT_KIND)),
                        message=rule.get("message"),
                        http_status=int(rule["http_status"]) if rule.get("http_status") else None,
                    )
                )
            return self._describe()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return self._describe()

    def _describe(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "write_latency_ms": self.write_latency_ms,
            "fault_rate": self.fault_rate,
            "fail_next": [vars(r) for r in self.rules if r.count > 0],
        }

    def injected_fault(self, operation: str) -> None:
        """Raise the fault a rule or the random rate asks for on this call, if any."""
        with self._lock:
            for rule in self.rules:
                if rule.matches(operation):
                    rule.count -= 1
                    if rule.http_status:
                        raise InjectedHTTPError(rule.http_status)
                    if rule.kind == TRANSIENT_KIND and rule.message is None:
                        raise OXFault.database_update()
                    raise OXFault(rule.kind, rule.message or f"Injected {rule.kind}")
            if self.fault_rate and self._random.random() < self.fault_rate:
                raise OXFault.database_update()


def _number(value: Any, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number") from None
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return number
