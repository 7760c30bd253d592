"""The compiled codec in the state dir, and what a trigger run loads.

- the cache file is 0600, holds each WSDL document by URL (fresh for the TTL) and each
  codec by the SHA-256 of the document it was compiled from;
- a second connection loads the codec without downloading or parsing the WSDL with zeep;
- a changed WSDL (an upgraded OX) is compiled anew, once; a damaged entry is recompiled;
- ``ox-connector run`` with an empty queue imports none of zeep, requests, lxml, rich,
  prometheus_client; a run with one change and a warm cache imports no zeep.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import stat
import subprocess
import sys

import pytest
import requests

from connector.ox import OXConnection
from connector.ox.codec import FORMAT
from connector.ox.connection import WSDL_CACHE_FILE

from .harness import finished, ready
from .soap_proxy import SoapProxy

USER_WSDL = "/webservices/OXUserService?wsdl"


def loads(caplog) -> list[tuple[str, str, bool]]:
    return [
        (r.service, r.source, r.compiled)
        for r in caplog.records
        if r.getMessage() == "wsdl loaded" and getattr(r, "codec", None) == "lean"
    ]


def get_admin(conn, ctx):
    return conn.call("OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2})


@pytest.fixture
def proxy(emulator):
    with SoapProxy(emulator.url) as server:
        yield server


def test_the_cache_file_is_private_and_keyed_by_the_documents_digest(emulator, ctx, tmp_path):
    conn = OXConnection(emulator.url, wsdl_cache_dir=tmp_path)
    get_admin(conn, ctx)
    path = tmp_path / WSDL_CACHE_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = requests.get(emulator.url + USER_WSDL, timeout=10).content
    assert conn.wsdl_cache.codec_digests() == [hashlib.sha256(document).hexdigest()]
    assert conn.wsdl_cache.codec(hashlib.sha256(document).hexdigest(), FORMAT) is not None


def test_an_older_cache_file_is_made_private(emulator, ctx, tmp_path):
    path = tmp_path / WSDL_CACHE_FILE
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    get_admin(OXConnection(emulator.url, wsdl_cache_dir=tmp_path), ctx)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_second_connection_uses_the_codec_without_zeep(emulator, ctx, tmp_path, caplog):
    with caplog.at_level(logging.DEBUG, logger="ox_connector.ox"):
        get_admin(OXConnection(emulator.url, wsdl_cache_dir=tmp_path), ctx)
        second = OXConnection(emulator.url, wsdl_cache_dir=tmp_path)
        assert get_admin(second, ctx)["name"] == "oxadmin"
    assert loads(caplog) == [("OXUserService", "server", True), ("OXUserService", "cache", False)]
    assert second._clients == {}  # no zeep client was built


def test_a_changed_wsdl_is_compiled_anew_once(emulator, proxy, ctx, tmp_path, caplog):
    original = requests.get(emulator.url + USER_WSDL, timeout=10).content
    # OX "upgraded": User has one more element (the emulator never sends it)
    upgraded = re.sub(
        rb'(<xs:element[^>]*name="aliases")',
        rb'<xs:element minOccurs="0" name="zz_added_in_ox_9" nillable="true" type="xs:string"/>'
        rb"\1",
        original,
        count=1,
    )
    assert upgraded != original
    proxy.wsdl["OXUserService"] = original
    with caplog.at_level(logging.DEBUG, logger="ox_connector.ox"):
        before = get_admin(OXConnection(proxy.url, wsdl_cache_dir=tmp_path), ctx)
        proxy.wsdl["OXUserService"] = upgraded
        # within the TTL the cached document stands (nothing is downloaded)
        fresh = OXConnection(proxy.url, wsdl_cache_dir=tmp_path)
        assert "zz_added_in_ox_9" not in get_admin(fresh, ctx)
        # expired: downloaded again, another digest, compiled anew
        expired = OXConnection(proxy.url, wsdl_cache_dir=tmp_path, wsdl_cache_ttl=0)
        after = get_admin(expired, ctx)
        # and from then on loaded from the cache
        again = get_admin(OXConnection(proxy.url, wsdl_cache_dir=tmp_path), ctx)
    assert "zz_added_in_ox_9" not in before
    assert after["zz_added_in_ox_9"] is None and again == after
    assert loads(caplog) == [
        ("OXUserService", "server", True),
        ("OXUserService", "cache", False),
        ("OXUserService", "server", True),
        ("OXUserService", "cache", False),
    ]
    assert expired.wsdl_cache.codec_digests() == [hashlib.sha256(upgraded).hexdigest()]
    assert proxy.paths("GET") == [USER_WSDL, USER_WSDL]


def test_an_unchanged_wsdl_after_the_ttl_is_downloaded_but_not_compiled(
    emulator, ctx, tmp_path, caplog
):
    with caplog.at_level(logging.DEBUG, logger="ox_connector.ox"):
        get_admin(OXConnection(emulator.url, wsdl_cache_dir=tmp_path), ctx)
        get_admin(OXConnection(emulator.url, wsdl_cache_dir=tmp_path, wsdl_cache_ttl=0), ctx)
    assert loads(caplog) == [("OXUserService", "server", True), ("OXUserService", "server", False)]


def test_a_damaged_codec_is_compiled_again(emulator, ctx, tmp_path, caplog):
    get_admin(OXConnection(emulator.url, wsdl_cache_dir=tmp_path), ctx)
    with sqlite3.connect(tmp_path / WSDL_CACHE_FILE) as db:
        db.execute('UPDATE codecs SET plan = \'{"format": 1, "types": [\'')
    with caplog.at_level(logging.DEBUG, logger="ox_connector.ox"):
        assert get_admin(OXConnection(emulator.url, wsdl_cache_dir=tmp_path), ctx)["id"] == 2
    assert loads(caplog) == [("OXUserService", "cache", True)]


# -- the trigger -------------------------------------------------------------------------------

HEAVY = ("zeep", "requests", "urllib3", "lxml", "rich", "prometheus_client")


def imported_by_run(harness) -> tuple[subprocess.CompletedProcess, set[str]]:
    """``ox-connector run`` in a child process, with the modules it imported."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "connector.cli", "run"],
        env={**os.environ, **harness.env()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    modules = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return proc, modules


def test_an_empty_queue_run_imports_nothing_heavy(harness):
    proc, modules = imported_by_run(harness)
    assert proc.returncode == 0, proc.stderr
    assert finished(proc.stderr)["applied"] == 0
    assert modules & set(HEAVY) == set()


def test_a_run_with_work_and_a_warm_cache_imports_no_zeep(harness):
    cid = ready(harness, "alice")  # compiles and caches the codecs in the state dir
    harness.user("alice", cid, oxDisplayName="Alice Renamed")
    proc, modules = imported_by_run(harness)
    assert proc.returncode == 0, proc.stderr
    assert finished(proc.stderr)["applied"] == 1
    assert "requests" in modules and "zeep" not in modules
    assert harness.ox_user(cid, "alice").display_name == "Alice Renamed"
