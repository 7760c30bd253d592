"""The connector's settings, read from the environment with the App Center setting names.

The one place that knows the settings' names, defaults and how they are parsed: the
connector's run (``Settings``), the operations commands that need only the local files
(``LocalPaths``) and ``resync --from-udm`` (``UDMRestSettings``) all read them here.

Every wrong or missing setting is reported at start, all at once, each naming the
variable; nothing is silently replaced by a default that differs from the documented one.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .desired.templates import (
    DEFAULT_FA_LOGIN,
    TemplateError,
    fa_login_template,
    imap_login_template,
)
from .model.errors import ConnectorError
from .model.udm import MAX_FILE_BYTES

MAPPING_FILE_NAME = "AttributeMapping.json"
APP_DATA = Path("/var/lib/univention-appcenter/apps/ox-connector/data")
DEFAULT_QUEUE_DIR = APP_DATA / "listener"
CREDENTIALS_IN_STATE_DIR = Path("secrets", "contexts.json")  # unless OX_CREDENTIALS_FILE
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")  # TRACE: logs.TRACE
SOAP_CODECS = ("lean", "zeep")  # connector.ox.CODECS (config does not import ox)
MAX_WORKERS = 64  # more would only queue up in OX's own thread pools
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(ConnectorError):
    def __init__(self, problems: list[str]):
        super().__init__("invalid settings:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LocalPaths:
    """Where the connector keeps its files: all that the operations commands (queue, dead
    letters, health, mapping) need, so they work without any OX setting. The files follow
    the state dir (also when ``--state-dir`` moves it) unless their own setting names them."""

    queue_dir: Path
    state_dir: Path
    mapping_file: Path | None = None  # None: <state dir>/AttributeMapping.json
    credentials: Path | None = None  # None: <state dir>/secrets/contexts.json

    @property
    def attribute_mapping_file(self) -> Path:
        return self.mapping_file or self.state_dir / MAPPING_FILE_NAME

    @property
    def credentials_file(self) -> Path:
        return self.credentials or self.state_dir / CREDENTIALS_IN_STATE_DIR

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LocalPaths:
        return _read_paths(_Reader(env, []))  # any text is a path: nothing to report


def _read_paths(reader: _Reader) -> LocalPaths:
    return LocalPaths(
        queue_dir=reader.path("OX_CONNECTOR_QUEUE_DIR", DEFAULT_QUEUE_DIR),
        state_dir=reader.path("OX_CONNECTOR_STATE_DIR", APP_DATA),
        mapping_file=reader.optional_path("OX_ATTRIBUTE_MAPPING_FILE"),
        credentials=reader.optional_path("OX_CREDENTIALS_FILE"),
    )


@dataclass(frozen=True)
class Settings:
    soap_server: str  # base URL; services at <base>/webservices/<Service>
    master_admin: str
    master_password: str | None  # may also come from the credentials file ("master")
    default_context: int
    imap_server: str
    smtp_server: str
    language: str
    timezone: str
    domain_name: str
    log_level: str
    queue_dir: Path
    state_dir: Path
    ca_bundle: Path | None
    tls_verify: bool
    soap_timeout: float
    trust_env_proxies: bool
    soap_codec: str = "lean"  # OX_SOAP_CODEC: "lean" (compiled from the WSDL) or "zeep"
    user_identifier: str = "username"
    group_identifier: str = "name"
    imap_login: str = "{}"  # OX_IMAP_LOGIN; "" = imapLogin left to OX
    fa_login: str = DEFAULT_FA_LOGIN
    mapping_file: Path | None = None  # None: <state dir>/AttributeMapping.json
    credentials: Path | None = None  # None: <state dir>/secrets/contexts.json
    stop_on_error: bool = True
    retry_first: float = 5.0  # seconds before a failed file is tried again (doubling)
    retry_max: float = 600.0  # the bound of that back-off
    max_file_bytes: int = MAX_FILE_BYTES  # larger queue files are refused unread
    workers: int = 8  # steps applied at the same time (1: one after the other)
    gui_spam_filter: bool = True  # users get gui_spam_filter_enabled=true (as upstream)
    verify_after: float = 86400.0  # seconds an unchanged object is trusted without reading OX

    @property
    def paths(self) -> LocalPaths:
        return LocalPaths(self.queue_dir, self.state_dir, self.mapping_file, self.credentials)

    @property
    def attribute_mapping_file(self) -> Path:
        return self.paths.attribute_mapping_file

    @property
    def credentials_file(self) -> Path:
        """OX_CREDENTIALS_FILE, else ``secrets/contexts.json`` in the state dir."""
        return self.paths.credentials_file

    def __repr__(self) -> str:  # the master password stays out of logs
        return (
            f"Settings(soap_server={self.soap_server!r}, master_admin="
            f"{self.master_admin!r}, master_password={'***' if self.master_password else None}"
            f", default_context={self.default_context}, queue_dir={str(self.queue_dir)!r}, "
            f"state_dir={str(self.state_dir)!r})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        problems: list[str] = []
        reader = _Reader(env, problems)
        paths = _read_paths(reader)
        settings = cls(
            soap_server=reader.soap_server("OX_SOAP_SERVER"),
            master_admin=reader.text("OX_MASTER_ADMIN", "oxadminmaster"),
            master_password=reader.secret("OX_MASTER_PASSWORD"),
            default_context=reader.positive_int("DEFAULT_CONTEXT", "10"),
            imap_server=reader.url("OX_IMAP_SERVER", "imap://localhost:143", ("imap", "imaps")),
            smtp_server=reader.url("OX_SMTP_SERVER", "smtp://localhost:587", ("smtp", "smtps")),
            language=reader.language("OX_LANGUAGE", "de_DE"),
            timezone=reader.timezone("LOCAL_TIMEZONE", "Europe/Berlin"),
            domain_name=reader.text("DOMAINNAME", "localhost.localdomain"),
            log_level=reader.choice("OX_CONNECTOR_LOG_LEVEL", "INFO", LOG_LEVELS),
            queue_dir=paths.queue_dir,
            state_dir=paths.state_dir,
            ca_bundle=reader.existing_file("OX_CA_BUNDLE"),
            tls_verify=reader.boolean("OX_TLS_VERIFY", "true"),
            soap_timeout=reader.positive_float("OX_SOAP_TIMEOUT", "60"),
            trust_env_proxies=reader.boolean("OX_USE_PROXY_ENV", "false"),
            soap_codec=reader.choice("OX_SOAP_CODEC", "lean", SOAP_CODECS, upper=False),
            user_identifier=reader.property_name("OX_USER_IDENTIFIER", "username"),
            group_identifier=reader.property_name("OX_GROUP_IDENTIFIER", "name"),
            # unset: the primary mail address (as upstream); set but empty: OX's default
            imap_login=reader.template(
                "OX_IMAP_LOGIN", env.get("OX_IMAP_LOGIN", "{}"), imap_login_template
            ),
            fa_login=reader.template(
                "OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE",
                env.get("OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE", "").strip() or DEFAULT_FA_LOGIN,
                fa_login_template,
            ),
            stop_on_error=reader.boolean("OX_CONNECTOR_STOP_ON_ERROR", "true"),
            retry_first=reader.seconds("OX_CONNECTOR_RETRY_FIRST", "5"),
            retry_max=reader.seconds("OX_CONNECTOR_RETRY_MAX", "600"),
            max_file_bytes=reader.positive_int("OX_CONNECTOR_MAX_FILE_BYTES", str(MAX_FILE_BYTES)),
            workers=reader.bounded_int("OX_CONNECTOR_WORKERS", "8", 1, MAX_WORKERS),
            gui_spam_filter=reader.boolean("OX_ENABLE_GUI_SPAM_FILTER", "true"),
            verify_after=reader.seconds("OX_CONNECTOR_VERIFY_AFTER", "86400"),
            mapping_file=paths.mapping_file,
            credentials=paths.credentials,
        )
        if problems:
            raise ConfigError(problems)
        return settings


@dataclass(frozen=True)
class UDMRestSettings:
    """The UDM REST API that ``resync --from-udm`` reads objects from."""

    url: str  # https://<ucs>/univention/udm
    user: str
    password: str = field(repr=False)
    ca_file: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> UDMRestSettings:
        problems: list[str] = []
        reader = _Reader(env, problems)
        settings = cls(
            url=reader.url("UDM_REST_URL", None, ("https", "http")),
            user=reader.text("UDM_USER", None),
            password=reader.secret("UDM_PASSWORD", required=True) or "",
            ca_file=reader.optional_path("UDM_CA_FILE"),
        )
        if problems:
            raise ConfigError(problems)
        return settings


class _Reader:
    """Reads one variable at a time; records a problem instead of raising, so that every
    wrong setting is reported in one go."""

    def __init__(self, env: Mapping[str, str], problems: list[str]):
        self.env = env
        self.problems = problems

    def _value(self, name: str, default: str | None) -> str | None:
        """The stripped value, else ``default``; None (and a problem) if required but unset."""
        value = self.env.get(name, "").strip()
        if value:
            return value
        if default is None:
            self.problems.append(f"{name}: not set (required)")
        return default

    def _raw(self, name: str, default: str) -> str:
        return self.env.get(name, "").strip() or default

    def _bad(self, name: str, value: str, why: str) -> None:
        self.problems.append(f'{name}: "{value}" {why}')

    def text(self, name: str, default: str | None) -> str:
        return self._value(name, default) or ""

    def secret(self, name: str, required: bool = False) -> str | None:
        """A password: taken as it is (spaces are characters of a password); empty is unset."""
        value = self.env.get(name) or None
        if value is None and required:
            self.problems.append(f"{name}: not set (required)")
        return value

    def path(self, name: str, default: Path) -> Path:
        value = self.env.get(name, "").strip()
        return Path(value) if value else default

    def optional_path(self, name: str) -> Path | None:
        value = self.env.get(name, "").strip()
        return Path(value) if value else None

    def url(self, name: str, default: str | None, schemes: tuple[str, ...]) -> str:
        value = self._value(name, default)
        if value is None:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.hostname:
            self._bad(name, value, f"is not a URL of the form {schemes[0]}://host[:port]")
        else:
            try:
                parts.port  # noqa: B018 - raises on a bad port
            except ValueError:
                self._bad(name, value, "has an invalid port")
        return value

    def soap_server(self, name: str) -> str:
        """OX's base URL: ``https://host[:port]``, also given with ``/webservices`` (the
        services' path, which the connector adds); any other path is refused, since every
        request would miss the services (HTTP 404, retried for ever as transient)."""
        known = len(self.problems)
        value = self.url(name, None, ("http", "https"))
        if not value or len(self.problems) > known:
            return value
        parts = urlsplit(value)
        path = parts.path.rstrip("/")
        if path == "/webservices":
            path = ""
        if path or parts.query or parts.fragment or value.endswith(("?", "#")):
            base = f"{parts.scheme}://{parts.netloc}"
            self._bad(
                name,
                value,
                f"is not OX's base URL: give {base} (or {base}/webservices); the connector "
                "adds /webservices/<Service>",
            )
            return value
        return f"{parts.scheme}://{parts.netloc}"

    def positive_int(self, name: str, default: str) -> int:
        value = self._raw(name, default)
        if not re.fullmatch(r"[1-9][0-9]*", value):
            self._bad(name, value, "is not a positive whole number")
            return 0
        return int(value)

    def bounded_int(self, name: str, default: str, low: int, high: int) -> int:
        value = self.positive_int(name, default)
        if value and not low <= value <= high:
            self._bad(name, str(value), f"is not between {low} and {high}")
        return value

    def positive_float(self, name: str, default: str) -> float:
        value = self._raw(name, default)
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if number <= 0:
            self._bad(name, value, "is not a positive number of seconds")
        return number

    def seconds(self, name: str, default: str) -> float:
        value = self._raw(name, default)
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if number < 0:
            self._bad(name, value, "is not a number of seconds (0 or more)")
        return number

    def boolean(self, name: str, default: str) -> bool:
        value = self._raw(name, default).lower()
        if value not in _TRUE | _FALSE:
            self._bad(name, value, "is not a boolean (true/false)")
        return value in _TRUE

    def choice(self, name: str, default: str, choices: tuple[str, ...], upper: bool = True) -> str:
        value = self._raw(name, default)
        value = value.upper() if upper else value.lower()
        if value not in choices:
            self._bad(name, value, f"is not one of {', '.join(choices)}")
        return value

    def language(self, name: str, default: str) -> str:
        value = self._raw(name, default)
        if not re.fullmatch(r"[a-z]{2,3}_[A-Z]{2}", value):
            self._bad(name, value, "is not a language like de_DE")
        return value

    def timezone(self, name: str, default: str) -> str:
        value = self._raw(name, default)
        try:  # a direct look-up; listing every zone costs ~0.15 s per start
            zoneinfo.ZoneInfo(value)
            known = True
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            known = False
        if not known:
            self._bad(name, value, "is not a time zone name like Europe/Berlin")
        return value

    def property_name(self, name: str, default: str) -> str:
        value = self._raw(name, default)
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", value):
            self._bad(name, value, "is not a UDM property name")
        return value

    def template(self, name: str, value: str, parse: Callable[[str], object]) -> str:
        try:
            parse(value)
        except TemplateError as exc:
            self.problems.append(str(exc))
        return value

    def existing_file(self, name: str) -> Path | None:
        path = self.optional_path(name)
        if path is not None and not path.is_file():
            self._bad(name, str(path), "does not exist or is not a file")
        return path


def require_queue_dir(queue_dir: Path, option: str = "--queue-dir") -> None:
    """The queue dir is the App Center's (its converter fills it): a missing one means a
    wrong setting or no App Center here. Raises ConfigError naming it."""
    if not queue_dir.is_dir():
        raise ConfigError(
            [
                f'OX_CONNECTOR_QUEUE_DIR (or {option}): "{queue_dir}" '
                + ("is not a directory" if queue_dir.exists() else "does not exist")
            ]
        )
