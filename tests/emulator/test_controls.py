"""Control endpoints for tests and benchmarks: call counters, latency, fault injection."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import zeep
from lxml import etree

from connector.contract import SERVICES
from ox_emulator.controls import is_read

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


def test_stats_list_the_write_calls_by_operation(emulator, ox, ctx):
    """Reads are counted in ``calls`` only; every call of an operation that changes OX is
    also in ``writes_by_operation``, refused ones too (the call was made)."""
    emulator.control("stats/reset")
    user = ctx.create_user("writer")
    ctx.get_user(id=user.id)
    ox.user.list(ctx=ctx.ref, search_pattern="*", auth=ctx.admin)
    ox.user.change(ctx=ctx.ref, usrdata={"id": user.id, "nickname": "w"}, auth=ctx.admin)
    ox.user.change(ctx=ctx.ref, usrdata={"id": user.id, "nickname": "x"}, auth=ctx.admin)
    with pytest.raises(zeep.exceptions.Fault):
        ctx.create_user("writer")  # the name is taken: refused
    stats = emulator.control("stats")
    assert stats["writes_by_operation"] == {"OXUserService.change": 2, "OXUserService.create": 2}
    assert stats["total"] == 6 and stats["in_flight"] == 0
    assert emulator.control("stats/reset")["writes_by_operation"] == {}
    ctx.get_user(id=user.id)
    assert emulator.control("stats")["writes_by_operation"] == {}


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


def test_write_latency_setting_is_reported_and_cleared(emulator):
    assert emulator.control("faults", {})["write_latency_ms"] is None  # None: as latency_ms
    settings = emulator.control("faults", {"latency_ms": 10, "write_latency_ms": 100})
    assert (settings["latency_ms"], settings["write_latency_ms"]) == (10, 100)
    assert emulator.control("faults", {"write_latency_ms": None})["write_latency_ms"] is None
    emulator.control("faults", {"write_latency_ms": 100})
    assert emulator.control("faults", {"clear": True})["write_latency_ms"] is None
    for bad in (-1, 60_001, "slow"):
        response = requests.post(
            f"{emulator.url}/emulator/faults", json={"write_latency_ms": bad}, timeout=10
        )
        assert response.status_code == 400 and "write_latency_ms" in response.json()["error"]


def test_reads_are_get_list_and_exists_every_other_operation_writes():
    """The rule behind --latency-ms / --write-latency-ms, over every operation of the
    contract: a new operation that reads under another name would need the rule changed."""
    reads = {
        f"{service}.{op.name}"
        for service, svc in SERVICES.items()
        for op in svc.operations
        if is_read(f"{service}.{op.name}")
    }
    writes = {
        f"{service}.{op.name}" for service, svc in SERVICES.items() for op in svc.operations
    } - reads
    assert {
        "OXUserService.getData",
        "OXUserService.getMultipleData",
        "OXUserService.getModuleAccess",
        "OXUserService.list",
        "OXUserService.exists",
        "OXGroupService.listGroupsForUser",
        "OXGroupService.getMembers",
        "OXContextService.listAll",
        "OXUserService.getContextAdmin",
        "OXResourceService.getData",
    } <= reads
    assert {
        "OXContextService.create",
        "OXContextService.delete",
        "OXUserService.create",
        "OXUserService.createByModuleAccess",
        "OXUserService.change",
        "OXUserService.changeByModuleAccess",
        "OXUserService.delete",
        "OXGroupService.addMember",
        "OXGroupService.removeMember",
        "OXResourceService.change",
        "OXSecondaryAccountService.create",
        "OXSecondaryAccountService.update",
        "OXUserCopyService.copyUser",
    } <= writes
    assert all(op.split(".")[1].startswith(("get", "list", "exists")) for op in reads)
    assert is_read("getData") and not is_read("copyUser")  # the bare name works too


# -- latency over HTTP: requests built by zeep from the reference WSDL, sent from threads --


def soap_body(ox, service: str, operation: str, **params) -> bytes:
    proxy = {"OXUserService": ox.user}[service]
    return etree.tostring(proxy._client.create_message(proxy, operation, **params))


def timed_posts(emulator, service: str, bodies: list[bytes]) -> list[tuple[float, float]]:
    """POST the bodies at the same moment, one thread and connection each; the (sent,
    answered) times of each, in perf_counter seconds."""
    barrier = threading.Barrier(len(bodies))

    def post(body: bytes) -> tuple[float, float]:
        with requests.Session() as session:
            session.trust_env = False
            barrier.wait()
            sent = time.perf_counter()
            response = session.post(
                emulator.service_url(service),
                data=body,
                headers={"Content-Type": "text/xml; charset=utf-8"},
                timeout=60,
            )
            answered = time.perf_counter()
        assert response.status_code == 200, response.text
        return sent, answered

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def get_user_body(ox, ctx) -> bytes:
    return soap_body(ox, "OXUserService", "getData", ctx=ctx.ref, user={"id": 2}, auth=ctx.admin)


def create_user_body(ox, ctx, name: str) -> bytes:
    mail = f"{name}@example.org"
    user = {
        "name": name,
        "display_name": f"{name} display",
        "password": "secret",
        "given_name": "Lat",
        "sur_name": "Ency",
        "primaryEmail": mail,
        "email1": mail,
    }
    return soap_body(ox, "OXUserService", "create", ctx=ctx.ref, usrdata=user, auth=ctx.admin)


@pytest.mark.parametrize("kind", ["read", "write"])
def test_concurrent_calls_wait_their_latency_in_parallel(emulator, ox, ctx, kind):
    """N calls sent together, each delayed L: all are in flight at once (every one is sent
    before the first answer comes), the answers come within L of each other (waiting one
    after the other would space them L apart) and together they take about L, far below
    N x L."""
    n, latency = 8, 0.5
    if kind == "read":
        emulator.control("faults", {"latency_ms": latency * 1000, "write_latency_ms": 0})
        bodies = [get_user_body(ox, ctx) for _ in range(n)]
    else:
        emulator.control("faults", {"latency_ms": 0, "write_latency_ms": latency * 1000})
        bodies = [create_user_body(ox, ctx, f"parallel{i}") for i in range(n)]
    emulator.control("stats/reset")
    times = timed_posts(emulator, "OXUserService", bodies)
    first_sent = min(sent for sent, _ in times)
    assert max(sent for sent, _ in times) < min(answered for _, answered in times)
    assert all(answered - sent >= latency for sent, answered in times)
    answers = sorted(answered for _, answered in times)
    assert answers[-1] - answers[0] < latency
    assert max(answered for _, answered in times) - first_sent < n * latency / 2
    operation = "getData" if kind == "read" else "create"
    assert emulator.control("stats")["calls"] == {f"OXUserService.{operation}": n}


def test_writes_wait_the_write_latency_and_reads_the_read_latency(emulator, ox, ctx):
    """Slow writes, fast reads: reads sent together with a write are answered before it;
    a write alone takes at least the write latency."""
    emulator.control("faults", {"latency_ms": 0, "write_latency_ms": 600})
    times = timed_posts(
        emulator,
        "OXUserService",
        [create_user_body(ox, ctx, "slowwrite"), *(get_user_body(ox, ctx) for _ in range(3))],
    )
    (write_sent, write_answered), reads = times[0], times[1:]
    assert write_answered - write_sent >= 0.6
    assert all(answered < write_answered for _, answered in reads)

    # the other way round: slow reads, fast writes
    emulator.control("faults", {"latency_ms": 600, "write_latency_ms": 0})
    times = timed_posts(
        emulator,
        "OXUserService",
        [get_user_body(ox, ctx), create_user_body(ox, ctx, "fastwrite")],
    )
    (read_sent, read_answered), (_, write_answered) = times
    assert read_answered - read_sent >= 0.6
    assert write_answered < read_answered


def test_without_a_write_latency_writes_wait_as_reads(emulator, ctx):
    emulator.control("faults", {"latency_ms": 300})
    started = time.perf_counter()
    ctx.create_user("followsread")
    assert time.perf_counter() - started >= 0.3


def test_stats_count_the_calls_in_flight(emulator, ox, ctx):
    """A call waiting out its latency is in flight (a test that killed a client waits for
    OX to finish what that client had sent); answered, it is not."""
    emulator.control("faults", {"latency_ms": 400})
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(timed_posts, emulator, "OXUserService", [get_user_body(ox, ctx)])
        deadline = time.monotonic() + 5
        while emulator.control("stats")["in_flight"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert emulator.control("stats")["in_flight"] == 1
        answer.result(timeout=10)
    assert emulator.control("stats")["in_flight"] == 0
