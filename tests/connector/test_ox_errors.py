"""connector.ox error mapping: every error class produced by a real emulator behaviour,
over HTTP (no mocks), with both SOAP codecs (the ``codec`` fixture), plus the pure text
classification."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from connector.ox import (
    AlreadyExists,
    AuthenticationFailed,
    InvalidData,
    NotFound,
    OXConnection,
    OXError,
    Transient,
    strip_exception_id,
)
from connector.ox.errors import classify_fault


@pytest.fixture
def conn(emulator, tmp_path, codec):
    with OXConnection(
        emulator.url,
        {"login": "oxadminmaster", "password": emulator.master_password},
        wsdl_cache_dir=tmp_path,
        codec=codec,
    ) as connection:
        yield connection


@pytest.fixture
def faults(emulator):
    yield lambda settings: emulator.control("faults", settings)
    emulator.control("faults", {"clear": True})


def user_data(name: str, **extra) -> dict:
    mail = f"{name}@example.org"
    return {
        "name": name,
        "display_name": f"{name} display",
        "password": "user-secret",
        "given_name": "Given",
        "sur_name": "Sur",
        "primaryEmail": mail,
        "email1": mail,
        **extra,
    }


def fails(error_class, conn, service, operation, **params) -> OXError:
    with pytest.raises(error_class) as info:
        conn.call(service, operation, **params)
    error = info.value
    assert type(error) is error_class, repr(error)
    assert error.operation == f"{service}.{operation}"
    assert "exceptionId" not in error.message and "exceptionId" not in str(error)
    return error


# -- not found -------------------------------------------------------------------------------


def test_unknown_user_id_is_not_found(conn, ctx):
    error = fails(
        NotFound, conn, "OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 4711}
    )
    assert error.message == f"No such user 4711 in context {ctx.id}"
    assert error.fault_type == "NoSuchUserException"


def test_unknown_user_by_name_in_a_write_is_not_found(conn, ctx):
    error = fails(
        NotFound,
        conn,
        "OXUserService",
        "delete",
        auth=ctx.admin,
        ctx=ctx.ref,
        user={"name": "ghost"},
    )
    assert error.message.startswith("com.openexchange.admin.rmi.exceptions.NoSuchObjectException")


def test_unknown_context_is_not_found(conn):
    error = fails(NotFound, conn, "OXContextService", "getData", ctx={"id": 987654})
    assert error.message == "Context 987654 does not exist"
    assert error.fault_type == "NoSuchContextException"


def test_unknown_group_and_resource_are_not_found(conn, ctx):
    fails(
        NotFound,
        conn,
        "OXGroupService",
        "getData",
        auth=ctx.admin,
        ctx=ctx.ref,
        grp={"name": "nogroup"},
    )
    error = fails(
        NotFound, conn, "OXResourceService", "delete", auth=ctx.admin, ctx=ctx.ref, res={"id": 4711}
    )
    assert "does not exist" in error.message or error.message.startswith("No such")


# -- already exists ----------------------------------------------------------------------------


def test_duplicate_user_is_already_exists(conn, ctx):
    conn.call("OXUserService", "create", auth=ctx.admin, ctx=ctx.ref, usrdata=user_data("dup"))
    error = fails(
        AlreadyExists,
        conn,
        "OXUserService",
        "create",
        auth=ctx.admin,
        ctx=ctx.ref,
        usrdata=user_data("dup", display_name="another display"),
    )
    assert error.message == "User dup already exists in this context"
    assert error.fault_type == "InvalidDataException"


def test_duplicate_group_and_context_are_already_exists(conn, ctx):
    group = {"name": "team", "displayname": "Team"}
    conn.call("OXGroupService", "create", auth=ctx.admin, ctx=ctx.ref, grp=group)
    error = fails(
        AlreadyExists, conn, "OXGroupService", "create", auth=ctx.admin, ctx=ctx.ref, grp=group
    )
    assert error.message == "Group already exists!"
    admin = user_data("oxadmin")
    error = fails(
        AlreadyExists,
        conn,
        "OXContextService",
        "create",
        ctx={"id": ctx.id, "maxQuota": -1},
        admin_user=admin,
    )
    assert error.fault_type == "ContextExistsException"


# -- invalid data ------------------------------------------------------------------------------


def test_invalid_timezone_is_invalid_data(conn, ctx):
    error = fails(
        InvalidData,
        conn,
        "OXUserService",
        "create",
        auth=ctx.admin,
        ctx=ctx.ref,
        usrdata=user_data("tz", timezone="Mars/Olympus_Mons"),
    )
    assert error.message == "The given timezone is invalid"
    assert error.fault_type == "InvalidDataException"


def test_missing_mandatory_fields_is_invalid_data(conn, ctx):
    error = fails(
        InvalidData,
        conn,
        "OXGroupService",
        "create",
        auth=ctx.admin,
        ctx=ctx.ref,
        grp={"name": "nodisplay"},
    )
    assert error.message.startswith("Mandatory fields not set")


# -- authentication ----------------------------------------------------------------------------


def test_wrong_password_is_authentication_failed(conn, ctx):
    secret = "definitely-wrong-password"
    error = fails(
        AuthenticationFailed,
        conn,
        "OXUserService",
        "getData",
        auth={"login": ctx.admin["login"], "password": secret},
        ctx=ctx.ref,
        user={"id": 2},
    )
    assert error.message == "Authentication failed"
    assert error.fault_type == "InvalidCredentialsException"
    assert secret not in str(error) and secret not in repr(error)


def test_wrong_master_password_is_authentication_failed(emulator, codec):
    conn = OXConnection(emulator.url, ("oxadminmaster", "not-the-master-password"), codec=codec)
    fails(AuthenticationFailed, conn, "OXContextService", "listAll")


# -- transient ---------------------------------------------------------------------------------


def test_database_update_fault_is_transient(conn, ctx, faults):
    faults(
        {
            "fail_next": [
                {
                    "operation": "OXUserService.getData",
                    "count": 1,
                    "kind": "DatabaseUpdateException",
                }
            ]
        }
    )
    error = fails(
        Transient, conn, "OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2}
    )
    assert error.message == ("Database is locked or is now being updated, please try again later")
    assert error.fault_type == "DatabaseUpdateException"
    # the fault was one-shot: the same call now succeeds
    user = conn.call("OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2})
    assert user["name"] == ctx.admin["login"]


def test_http_503_without_soap_fault_is_transient(conn, ctx, faults):
    faults({"fail_next": [{"operation": "OXUserService.getData", "count": 1, "http_status": 503}]})
    error = fails(
        Transient, conn, "OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2}
    )
    assert error.http_status == 503
    assert error.fault_type is None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_transient(tmp_path, codec):
    conn = OXConnection(
        f"http://127.0.0.1:{free_port()}",
        ("oxadminmaster", "pw"),
        wsdl_cache_dir=tmp_path,
        connect_timeout=2,
        codec=codec,
    )
    with pytest.raises(Transient) as info:
        conn.call("OXUserService", "getData", ctx={"id": 1}, user={"id": 2})
    assert info.value.operation == "OXUserService?wsdl"  # it failed loading the WSDL
    assert "cannot connect" in info.value.message


def test_connection_refused_after_the_client_is_built_is_transient(emulator, ctx, tmp_path, codec):
    # The WSDL comes from the (warm) cache, the call goes to a port nobody listens on.
    port = free_port()
    conn = OXConnection(f"http://127.0.0.1:{port}", None, wsdl_cache_dir=tmp_path, codec=codec)
    wsdl = requests.get(f"{emulator.url}/webservices/OXUserService?wsdl", timeout=10).content
    conn.wsdl_cache.add(conn.wsdl_url("OXUserService"), wsdl)
    error = fails(
        Transient, conn, "OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2}
    )
    assert "cannot connect" in error.message


def test_read_timeout_is_transient(emulator, ctx, faults, tmp_path, codec):
    conn = OXConnection(emulator.url, None, wsdl_cache_dir=tmp_path, read_timeout=0.1, codec=codec)
    conn.service("OXUserService")  # WSDL loaded before the latency is switched on
    before = emulator.control("stats")["calls"].get("OXUserService.getData", 0)
    faults({"latency_ms": 400})
    error = fails(
        Transient, conn, "OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2}
    )
    assert "timeout" in error.message
    # The abandoned request is still asleep on the server: let it finish, or it would
    # consume a fault the next test injects.
    deadline = time.monotonic() + 10
    while emulator.control("stats")["calls"].get("OXUserService.getData", 0) == before:
        assert time.monotonic() < deadline
        time.sleep(0.05)


# -- generic -----------------------------------------------------------------------------------


def test_other_faults_are_plain_oxerror(conn, ctx, faults):
    faults(
        {
            "fail_next": [
                {
                    "operation": "OXUserService.getData",
                    "count": 1,
                    "kind": "StorageException",
                    "message": "disk on fire",
                }
            ]
        }
    )
    error = fails(
        OXError, conn, "OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2}
    )
    assert error.message == "disk on fire"
    assert error.fault_type == "StorageException"


# -- the text rules (pure functions) ----------------------------------------------------------


def test_exception_id_suffixes_are_stripped():
    assert (
        strip_exception_id("The displayname is already used; exceptionId -225208343-74")
        == "The displayname is already used"
    )
    assert (
        strip_exception_id("No such user bob in context 10; exceptionId 12-1; exceptionId -3-2")
        == "No such user bob in context 10"
    )
    assert strip_exception_id("plain text") == "plain text"


@pytest.mark.parametrize(
    ("message", "kind", "expected"),
    [
        ("No such user 3227 in context 10", "NoSuchUserException", NotFound),
        (
            "com.openexchange.admin.rmi.exceptions.NoSuchObjectException: "
            "com.openexchange.admin.rmi.exceptions.NoSuchUserException: "
            "No such user bob in context 10",
            "NoSuchUserException",
            NotFound,
        ),
        ("Context 10 does not exist", "NoSuchContextException", NotFound),
        ("The context 10 does not exist!", "NoSuchContextException", NotFound),
        ("Resource with this id does not exists", "NoSuchResourceException", NotFound),
        ("resource with with this id does not exist", "NoSuchResourceException", NotFound),
        ("User bob already exists in this context", "InvalidDataException", AlreadyExists),
        ("Group already exists!", "InvalidDataException", AlreadyExists),
        ("Context 10 already exists!", "ContextExistsException", AlreadyExists),
        ("The given timezone is invalid", "InvalidDataException", InvalidData),
        ("Client sent invalid context data object", "InvalidCredentialsException", InvalidData),
        ("Authentication failed", "InvalidCredentialsException", AuthenticationFailed),
        ("Database is locked or is now being updated, please try again later", None, Transient),
        (
            "Database is locked or is now being updated, please try again later",
            "DatabaseUpdateException",
            Transient,
        ),
        ("Cannot add guest user to group", "NoSuchUserException", NotFound),
        ("disk on fire", "StorageException", OXError),
        ("something", None, OXError),
    ],
)
def test_classification(message, kind, expected):
    assert classify_fault(message, kind) is expected
