"""Settings from the environment: defaults, and every wrong setting named at start."""

from __future__ import annotations

import pytest

from connector.config import ConfigError, Settings

BASE = {"OX_SOAP_SERVER": "https://ox.example.org"}


def test_defaults_are_the_app_centers():
    s = Settings.from_env(BASE)
    assert s.soap_server == "https://ox.example.org"
    assert (s.master_admin, s.default_context) == ("oxadminmaster", 10)
    assert (s.language, s.timezone) == ("de_DE", "Europe/Berlin")
    assert (s.imap_server, s.smtp_server) == ("imap://localhost:143", "smtp://localhost:587")
    assert s.tls_verify is True and s.trust_env_proxies is False and s.ca_bundle is None
    assert str(s.queue_dir) == "/var/lib/univention-appcenter/apps/ox-connector/data/listener"
    assert s.credentials_file.name == "contexts.json"


def test_all_problems_are_reported_together_naming_each_variable(tmp_path):
    env = {
        "OX_SOAP_SERVER": "ftp://ox",
        "DEFAULT_CONTEXT": "ten",
        "OX_LANGUAGE": "german",
        "LOCAL_TIMEZONE": "Mars/Olympus",
        "OX_IMAP_SERVER": "imap://host:99999",
        "OX_TLS_VERIFY": "maybe",
        "OX_CONNECTOR_LOG_LEVEL": "loud",
        "OX_CA_BUNDLE": str(tmp_path / "missing.pem"),
        "OX_SOAP_TIMEOUT": "-3",
    }
    with pytest.raises(ConfigError) as exc_info:
        Settings.from_env(env)
    named = {p.split(":", 1)[0] for p in exc_info.value.problems}
    assert named == {
        "OX_SOAP_SERVER",
        "DEFAULT_CONTEXT",
        "OX_LANGUAGE",
        "LOCAL_TIMEZONE",
        "OX_IMAP_SERVER",
        "OX_TLS_VERIFY",
        "OX_CONNECTOR_LOG_LEVEL",
        "OX_CA_BUNDLE",
        "OX_SOAP_TIMEOUT",
    }
    assert '"ten" is not a positive whole number' in str(exc_info.value)


def test_soap_server_is_required():
    with pytest.raises(ConfigError) as exc_info:
        Settings.from_env({})
    assert exc_info.value.problems == ["OX_SOAP_SERVER: not set (required)"]


@pytest.mark.parametrize("value", ["0", "-1", "1.5", ""])
def test_default_context_must_be_a_positive_integer(value):
    env = {**BASE, "DEFAULT_CONTEXT": value}
    if value == "":
        assert Settings.from_env(env).default_context == 10  # empty = the default
    else:
        with pytest.raises(ConfigError):
            Settings.from_env(env)


def test_master_password_never_in_repr():
    s = Settings.from_env({**BASE, "OX_MASTER_PASSWORD": "s3cret-value"})
    assert s.master_password == "s3cret-value"
    assert "s3cret-value" not in repr(s)


def test_paths_and_switches(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    s = Settings.from_env(
        {
            **BASE,
            "OX_CA_BUNDLE": str(ca),
            "OX_TLS_VERIFY": "no",
            "OX_USE_PROXY_ENV": "yes",
            "OX_CONNECTOR_QUEUE_DIR": str(tmp_path),
            "OX_SOAP_SERVER": "http://127.0.0.1:8080/",
        }
    )
    assert s.ca_bundle == ca and s.tls_verify is False and s.trust_env_proxies is True
    assert s.queue_dir == tmp_path and s.soap_server == "http://127.0.0.1:8080"


def test_json_log_lines_carry_extras_but_no_colour_codes():
    import io
    import json
    import logging

    from connector import logs

    root, own = logging.getLogger(), logging.getLogger("ox_connector")
    saved = root.handlers[:], root.level, own.level
    stream = io.StringIO()
    logs.setup("info", stream)
    try:
        logging.getLogger("ox_connector.t").info(
            "hello", extra={"op": "x", "color_message": "\x1b[36mhi"}
        )
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        own.setLevel(saved[2])
    record = json.loads(stream.getvalue())
    assert (record["msg"], record["op"], record["level"]) == ("hello", "x", "info")
    assert "color_message" not in record


def test_gui_spam_filter_setting_and_trace_log_level():
    assert Settings.from_env(BASE).gui_spam_filter is True
    assert (
        Settings.from_env({**BASE, "OX_ENABLE_GUI_SPAM_FILTER": "false"}).gui_spam_filter is False
    )
    assert Settings.from_env({**BASE, "OX_CONNECTOR_LOG_LEVEL": "trace"}).log_level == "TRACE"
    with pytest.raises(ConfigError) as exc_info:
        Settings.from_env({**BASE, "OX_ENABLE_GUI_SPAM_FILTER": "sometimes"})
    assert exc_info.value.problems == [
        'OX_ENABLE_GUI_SPAM_FILTER: "sometimes" is not a boolean (true/false)'
    ]


def test_soap_codec_lean_by_default_zeep_on_request():
    assert Settings.from_env(BASE).soap_codec == "lean"
    assert Settings.from_env({**BASE, "OX_SOAP_CODEC": " ZEEP "}).soap_codec == "zeep"
    with pytest.raises(ConfigError) as exc_info:
        Settings.from_env({**BASE, "OX_SOAP_CODEC": "suds"})
    assert exc_info.value.problems == ['OX_SOAP_CODEC: "suds" is not one of lean, zeep']


@pytest.mark.parametrize(
    "value",
    [
        "https://ox.example.org",
        "https://ox.example.org/",
        "https://ox.example.org/webservices",
        "https://ox.example.org/webservices/",
    ],
)
def test_ox_soap_server_with_or_without_webservices_is_the_base(value):
    assert Settings.from_env({"OX_SOAP_SERVER": value}).soap_server == "https://ox.example.org"


@pytest.mark.parametrize(
    "value",
    [
        "https://ox.example.org/appsuite",
        "https://ox.example.org/webservices/OXUserService",
        "https://ox.example.org/servlet/axis2/services",
        "https://ox.example.org/?wsdl",
        "https://ox.example.org/#top",
    ],
)
def test_ox_soap_server_with_another_path_is_refused_naming_the_forms(value):
    with pytest.raises(ConfigError) as exc_info:
        Settings.from_env({"OX_SOAP_SERVER": value})
    [problem] = exc_info.value.problems
    assert problem.startswith(f'OX_SOAP_SERVER: "{value}"')
    assert "https://ox.example.org" in problem and "/webservices" in problem
