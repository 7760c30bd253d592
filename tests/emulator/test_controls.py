"""Control endpoints for tests and benchmarks: call counters, latency, fault injection."""

from __future__ import annotations

import time

import pytest
import requests
import zeep

from ..oxclient import raises_fault

TRANSIENT = "Database is locked or is now being updated, please try again later"


@pytest.fixture(autouse=True)
def clean_controls(emulator):
    emulator.control("faults", {"clear": True})
    yield
    emulator.control("faults", {"clear": True})


def test_stats_count_calls_per_operation_and_reset(emulator, ox, ctx):
    emulator.control("stats/reset")
    for _ in range(3):
        ctx.get_user(id=2)
    ox.user.list(ctx=ctx.ref, search_pattern="*", auth=ctx.admin)
    stats = emulator.control("stats")
    assert stats["calls"] == {"OXUserService.getData": 3, "OXUserService.list": 1}
    assert stats["total"] == 4
    assert emulator.control("stats/reset")["calls"] == {}


def test_fail_next_n_calls_of_one_operation(emulator, ox, ctx):
    emulator.control("faults", {"fail_next": [{"operation": "OXUserService.getData", "count": 2}]})
    ox.user.list(ctx=ctx.ref, search_pattern="*", auth=ctx.admin)  # other ops unaffected
    for _ in range(2):
        raises_fault(TRANSIENT, ctx.get_user, id=2)
    assert ctx.get_user(id=2).name == "oxadmin"


def test_injected_fault_of_a_chosen_type(emulator, ctx):
    emulator.control(
        "faults",
        {
            "fail_next": [
                {
                    "operation": "OXUserService.create",
                    "kind": "StorageException",
                    "message": "disk full",
                }
            ]
        },
    )
    raises_fault("disk full", ctx.create_user, "eve")
    assert ctx.create_user("eve").name == "eve"  # the failed call changed nothing


def test_injected_http_error_has_no_soap_body(emulator, ctx):
    emulator.control("faults", {"fail_next": [{"operation": "*", "count": 1, "http_status": 503}]})
    with pytest.raises(zeep.exceptions.TransportError) as exc_info:
        ctx.get_user(id=2)
    assert exc_info.value.status_code == 503
    assert ctx.get_user(id=2).id == 2


def test_random_fault_rate(emulator, ctx):
    emulator.control("faults", {"fault_rate": 1.0})
    raises_fault(TRANSIENT, ctx.get_user, id=2)
    emulator.control("faults", {"fault_rate": 0.0})
    assert ctx.get_user(id=2).id == 2


def test_latency_is_added_to_each_call(emulator, ctx):
    emulator.control("faults", {"latency_ms": 200})
    started = time.perf_counter()
    ctx.get_user(id=2)
    assert time.perf_counter() - started >= 0.2
    assert emulator.control("faults", {})["latency_ms"] == 200


def test_bad_control_requests_are_rejected(emulator):
    for payload in ({"fault_rate": 2}, {"bogus": 1}, {"fail_next": [{"count": 1}]}):
        response = requests.post(f"{emulator.url}/emulator/faults", json=payload, timeout=10)
        assert response.status_code == 400 and "error" in response.json()
    response = requests.post(f"{emulator.url}/emulator/faults", data=b"not json", timeout=10)
    assert response.status_code == 400
