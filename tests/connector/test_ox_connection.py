"""connector.ox.OXConnection over HTTP against the emulator: WSDL cache, lazy clients,
the soap:address override, session settings, credentials and logging; every test that
calls OX runs with both SOAP codecs (the ``codec`` fixture: lean and zeep)."""

from __future__ import annotations

import logging
import re

import pytest

from connector.ox import (
    SERVICES,
    AuthenticationFailed,
    Credentials,
    MissingCredentials,
    OXConnection,
)
from connector.ox.connection import WSDL_CACHE_FILE


def master(emulator) -> dict:
    return {"login": "oxadminmaster", "password": emulator.master_password}


class Recorder:
    """A requests response hook: every (method, url) the connection's session sends."""

    def __init__(self, conn: OXConnection):
        self.seen: list[tuple[str, str]] = []
        conn.session.hooks["response"].append(self.hook)

    def hook(self, response, *args, **kwargs):
        self.seen.append((response.request.method, response.request.url))

    @property
    def wsdl_fetches(self) -> list[str]:
        return [url for method, url in self.seen if method == "GET" and url.endswith("?wsdl")]

    @property
    def posts(self) -> list[str]:
        return [url for method, url in self.seen if method == "POST"]


def get_admin(conn: OXConnection, ctx):
    return conn.call("OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2})


def name_of(result) -> str:
    return result["name"]  # a plain dict (lean) or a zeep object: both take ["name"]


# -- WSDL cache ------------------------------------------------------------------------------


def test_second_connection_loads_the_wsdl_from_the_disk_cache(emulator, ctx, tmp_path, codec):
    first = OXConnection(emulator.url, master(emulator), wsdl_cache_dir=tmp_path, codec=codec)
    first_requests = Recorder(first)
    assert name_of(get_admin(first, ctx)) == "oxadmin"
    assert first_requests.wsdl_fetches == [f"{emulator.url}/webservices/OXUserService?wsdl"]
    assert (tmp_path / WSDL_CACHE_FILE).is_file()
    assert first.wsdl_cache.urls() == [f"{emulator.url}/webservices/OXUserService?wsdl"]
    first.close()

    second = OXConnection(emulator.url, master(emulator), wsdl_cache_dir=tmp_path, codec=codec)
    second_requests = Recorder(second)
    assert name_of(get_admin(second, ctx)) == "oxadmin"
    assert second_requests.wsdl_fetches == []  # no download
    assert second.wsdl_cache.hits == 1 and second.wsdl_cache.misses == 0
    assert second_requests.posts == [f"{emulator.url}/webservices/OXUserService"]


def test_without_a_cache_dir_every_connection_downloads(emulator, ctx, codec):
    for _ in range(2):
        conn = OXConnection(emulator.url, master(emulator), codec=codec)
        seen = Recorder(conn)
        get_admin(conn, ctx)
        assert len(seen.wsdl_fetches) == 1


def test_an_expired_cache_entry_is_fetched_again(emulator, ctx, tmp_path, codec):
    OXConnection(emulator.url, wsdl_cache_dir=tmp_path, codec=codec).service("OXUserService")
    conn = OXConnection(emulator.url, wsdl_cache_dir=tmp_path, wsdl_cache_ttl=0, codec=codec)
    seen = Recorder(conn)
    get_admin(conn, ctx)
    assert len(seen.wsdl_fetches) == 1


def test_forget_drops_the_client_and_the_cached_wsdl(emulator, ctx, tmp_path, codec):
    conn = OXConnection(emulator.url, wsdl_cache_dir=tmp_path, codec=codec)
    seen = Recorder(conn)
    get_admin(conn, ctx)
    conn.forget("OXUserService")
    assert conn.loaded_services == () and conn.wsdl_cache.urls() == []
    get_admin(conn, ctx)
    assert len(seen.wsdl_fetches) == 2


# -- lazy clients ----------------------------------------------------------------------------


def test_clients_are_built_lazily_one_wsdl_per_used_service(emulator, ctx, tmp_path, codec):
    conn = OXConnection(emulator.url, master(emulator), wsdl_cache_dir=tmp_path, codec=codec)
    seen = Recorder(conn)
    assert conn.loaded_services == () and seen.seen == []  # constructing fetches nothing
    get_admin(conn, ctx)
    get_admin(conn, ctx)
    assert conn.loaded_services == ("OXUserService",)
    assert seen.wsdl_fetches == [f"{emulator.url}/webservices/OXUserService?wsdl"]
    conn.call("OXContextService", "getData", ctx=ctx.ref)
    assert set(conn.loaded_services) == {"OXUserService", "OXContextService"}
    assert len(seen.wsdl_fetches) == 2


def test_every_service_can_be_loaded(emulator, tmp_path):
    conn = OXConnection(emulator.url, wsdl_cache_dir=tmp_path)
    for service in SERVICES:
        conn.service(service)
    assert set(conn.loaded_services) == set(SERVICES)
    assert len(conn.wsdl_cache.urls()) == len(SERVICES)


def test_unknown_service_or_operation_is_a_programming_error(emulator, ctx, codec):
    conn = OXConnection(emulator.url, master(emulator), codec=codec)
    with pytest.raises(ValueError, match="unknown OX service"):
        conn.service("OXUtilService")
    with pytest.raises(ValueError, match="no operation"):
        conn.call("OXUserService", "explode", auth=ctx.admin, ctx=ctx.ref)


# -- soap:address override ----------------------------------------------------------------------


def served_address(conn: OXConnection, service: str) -> str:
    """The soap:address in the WSDL the server sent."""
    port = next(iter(next(iter(conn.client(service).wsdl.services.values())).ports.values()))
    return port.binding_options["address"]


@pytest.mark.parametrize(
    ("header", "value", "wrong"),
    [
        # OX behind a TLS-terminating proxy writes https:// for a plain-http hop
        ("X-Forwarded-Proto", "https", re.compile(r"https://127\.0\.0\.1:\d+/webservices/")),
        # OX writes whatever Host it was asked for (e.g. the proxy's name and port 80)
        ("Host", "ox.invalid:80", re.compile(r"http://ox\.invalid:80/webservices/")),
    ],
)
def test_calls_go_to_the_base_url_not_the_served_soap_address(
    emulator, ctx, tmp_path, header, value, wrong, codec
):
    conn = OXConnection(emulator.url, master(emulator), wsdl_cache_dir=tmp_path, codec=codec)
    conn.session.headers[header] = value  # what a misconfigured proxy makes OX see
    seen = Recorder(conn)
    assert wrong.match(served_address(conn, "OXUserService"))
    before = emulator.control("stats")["calls"].get("OXUserService.getData", 0)
    assert name_of(get_admin(conn, ctx)) == "oxadmin"
    assert seen.posts == [f"{emulator.url}/webservices/OXUserService"]
    assert emulator.control("stats")["calls"]["OXUserService.getData"] == before + 1


def test_base_url_with_another_host_name_is_used_for_calls(emulator, ctx, tmp_path, codec):
    # The WSDL was cached from 127.0.0.1; a connection using "localhost" has its own entry
    # and talks to localhost.
    base = emulator.url.replace("127.0.0.1", "localhost")
    conn = OXConnection(base + "/", master(emulator), wsdl_cache_dir=tmp_path, codec=codec)
    seen = Recorder(conn)
    get_admin(conn, ctx)
    assert conn.base_url == base
    assert seen.posts == [f"{base}/webservices/OXUserService"]


# -- session settings --------------------------------------------------------------------------


def test_session_defaults(emulator):
    conn = OXConnection("https://ox.example.org", master(emulator))
    assert conn.session.verify is True
    assert conn.session.trust_env is False
    assert conn.transport.operation_timeout == (5.0, 60.0)


def test_session_options(emulator, tmp_path):
    bundle = tmp_path / "ca.pem"
    conn = OXConnection(
        "https://ox.example.org",
        master(emulator),
        ca_bundle=bundle,
        trust_env=True,
        connect_timeout=1.5,
        read_timeout=9,
        proxies={"https": "http://proxy.example.org:3128"},
    )
    assert conn.session.verify == str(bundle)
    assert conn.session.trust_env is True
    assert conn.session.proxies == {"https": "http://proxy.example.org:3128"}
    assert conn.transport.operation_timeout == (1.5, 9)
    assert OXConnection("https://ox.example.org", verify=False).session.verify is False


def test_environment_proxies_are_resolved_once(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    conn = OXConnection("https://ox.example.org")
    assert conn.session.proxies.get("https") == "http://proxy.example.org:3128"
    monkeypatch.setenv("NO_PROXY", "ox.example.org")
    assert OXConnection("https://ox.example.org").session.proxies == {}


def test_trust_env_on_still_works(emulator, ctx, monkeypatch, codec):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    conn = OXConnection(emulator.url, trust_env=True, codec=codec)
    assert name_of(get_admin(conn, ctx)) == "oxadmin"


# -- credentials -------------------------------------------------------------------------------


def test_credentials_never_show_the_password():
    creds = Credentials.of({"login": "oxadmin", "password": "s3cret-pass"})
    assert "s3cret-pass" not in repr(creds) and "s3cret-pass" not in str(creds)
    assert Credentials.of(("oxadmin", "s3cret-pass")) == creds
    assert creds.soap() == {"login": "oxadmin", "password": "s3cret-pass"}


def test_context_credentials_provider_is_used_for_context_scoped_calls(emulator, ctx, ox, codec):
    asked = []

    def provider(cid):
        asked.append(cid)
        return ctx.admin if cid == ctx.id else None

    conn = OXConnection(emulator.url, master(emulator), context_credentials=provider, codec=codec)
    user = conn.call("OXUserService", "getData", ctx=ctx.ref, user={"id": 2})
    assert name_of(user) == "oxadmin" and asked == [ctx.id]
    # context service calls use the master, not the provider
    assert conn.call("OXContextService", "getData", ctx=ctx.ref)["id"] == ctx.id
    assert asked == [ctx.id]
    # no credentials for another context: falls back to the master, which OX refuses
    # (MASTER_ACCOUNT_OVERRIDE is off)
    with pytest.raises(AuthenticationFailed):
        conn.call("OXUserService", "getData", ctx={"id": ctx.id + 100000}, user={"id": 2})


def test_missing_credentials(emulator, ctx, codec):
    conn = OXConnection(emulator.url, None, context_credentials=lambda cid: None, codec=codec)
    with pytest.raises(MissingCredentials, match=f"context {ctx.id}"):
        conn.call("OXUserService", "getData", ctx=ctx.ref, user={"id": 2})
    with pytest.raises(MissingCredentials, match="no master"):
        conn.call("OXContextService", "listAll")


# -- logging -----------------------------------------------------------------------------------


def test_one_debug_line_per_call_without_passwords(emulator, ctx, tmp_path, caplog, codec):
    conn = OXConnection(emulator.url, master(emulator), wsdl_cache_dir=tmp_path, codec=codec)
    with caplog.at_level(logging.DEBUG):  # every logger, zeep's too
        get_admin(conn, ctx)
        with pytest.raises(AuthenticationFailed):
            conn.call(
                "OXUserService",
                "getData",
                auth=("oxadmin", "wrong-pw-123"),
                ctx=ctx.ref,
                user={"id": 2},
            )
    for record in caplog.records:  # zeep logs request bodies at DEBUG: not ours
        text = repr(vars(record)) + record.getMessage()
        for secret in (emulator.master_password, ctx.admin["password"], "wrong-pw-123"):
            assert secret not in text, record.name
    records = [r for r in caplog.records if r.name == "ox_connector.ox"]
    calls = [r for r in records if getattr(r, "operation", None)]
    assert [(r.operation, r.outcome) for r in calls] == [
        ("OXUserService.getData", "ok"),
        ("OXUserService.getData", "AuthenticationFailed"),
    ]
    assert all(isinstance(r.duration_ms, float) and r.levelno == logging.DEBUG for r in calls)
    loads = [r for r in records if r.getMessage() == "wsdl loaded"]
    assert [(r.service, r.source) for r in loads] == [("OXUserService", "server")]
