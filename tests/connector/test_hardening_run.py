"""Issue 14, the run's side: oversized queue files, password material at rest, file modes,
paths outside the container and settings checked at start. Through the real
``ox-connector run`` in a child process against the emulator over HTTP."""

from __future__ import annotations

import base64
import json
import os
import subprocess

import pytest

from .harness import log_records, ready

pytestmark = pytest.mark.usefixtures("clean_faults")


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


def errors_naming(result: subprocess.CompletedProcess, file: str) -> list[dict]:
    return [
        r
        for r in log_records(result.stderr, strict=True)
        if r["level"] == "error" and r.get("file") == file
    ]


# -- oversized queue files (OX_CONNECTOR_MAX_FILE_BYTES) ---------------------------------------


def test_a_file_over_the_limit_stops_the_run_naming_file_and_size(harness):
    harness.extra_env["OX_CONNECTOR_MAX_FILE_BYTES"] = "20000"
    cid = ready(harness)
    before = harness.user("small", cid)
    photo = base64.b64encode(b"\xff\xd8\xff\xe0" + os.urandom(30000)).decode()
    big = harness.user("big", cid, jpegPhoto=photo)
    size = big.stat().st_size
    assert size > 20000
    harness.reset_calls()
    result = harness.run_cli()
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    assert not before.exists() and "small" in harness.ox_user_names(cid)
    assert "big" not in harness.ox_user_names(cid)
    assert harness.pending() == [big.name]
    failed = errors_naming(result, big.name)
    assert failed, result.stderr
    reason = " ".join(str(r.get("reason", r.get("error"))) for r in failed)
    assert f"{size} bytes" in reason and "OX_CONNECTOR_MAX_FILE_BYTES (20000 bytes)" in reason
    # raising the limit lets it through
    harness.extra_env["OX_CONNECTOR_MAX_FILE_BYTES"] = str(size)
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    assert "big" in harness.ox_user_names(cid)


def test_the_default_limit_is_8_mib(harness):
    cid = ready(harness)
    huge = harness.user("huge", cid)
    with open(huge, "r+b") as fh:  # sparse: the size alone decides
        fh.truncate(8 * 1024 * 1024 + 1)
    result = harness.run_cli()
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    failed = errors_naming(result, huge.name)
    assert failed and "8388609 bytes" in json.dumps(failed), result.stderr


@pytest.mark.parametrize("value", ["0", "-5", "8MiB", "1.5"])
def test_a_wrong_limit_is_a_settings_error(harness, value):
    harness.extra_env["OX_CONNECTOR_MAX_FILE_BYTES"] = value
    result = harness.run_cli()
    assert result.returncode == 2, result.stderr
    no_traceback(result)
    assert "OX_CONNECTOR_MAX_FILE_BYTES" in result.stderr
