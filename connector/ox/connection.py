"""The connector's SOAP layer: one connection to one OX server.

``OXConnection`` owns
- one keep-alive ``requests.Session`` (TLS verification on, optional CA bundle, timeouts,
  proxies resolved once instead of on every call),
- one zeep ``Transport`` with an on-disk WSDL cache (``zeep.cache.SqliteCache``),
- one zeep client per OX service, built on first use from ``<base>/webservices/<S>?wsdl``,
  with the endpoint forced to ``<base>/webservices/<S>`` whatever ``soap:address`` says.

``call(service, operation, auth=..., **params)`` runs one operation and turns every failure
into an ``OXError`` subclass (``connector.ox.errors``). It decides nothing: which calls to
make is the reconciliation layer's business.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests
import requests.adapters
import zeep
import zeep.cache
import zeep.exceptions
from zeep.transports import Transport
from zeep.wsdl.bindings.soap import Soap11Binding

from ..contract import SERVICES as CONTRACT_SERVICES
from ..files import SQLITE_COMPANIONS, private_file
from ..model.credentials import Credentials, CredentialsLike
from .errors import OXError, from_exception

log = logging.getLogger("ox_connector.ox")


def _silent_logger() -> logging.Logger:
    """zeep's Transport logs every request body at DEBUG ("HTTP Post to ...") and with it
    the ``auth`` password. Our transports get this logger instead: a private one, outside
    the logging tree, that drops everything (no global logging configuration is touched)."""
    silent = logging.Logger("ox_connector.ox.wire", level=logging.CRITICAL + 1)
    silent.propagate = False
    return silent


SERVICES = tuple(CONTRACT_SERVICES)  # the six admin services of the OX contract
# Services whose every operation needs the admin of the context in ``ctx``.
CONTEXT_SCOPED = frozenset(
    {"OXUserService", "OXGroupService", "OXResourceService", "OXSecondaryAccountService"}
)
DATA_NS = "http://dataobjects.soap.admin.openexchange.com/xsd"
WSDL_CACHE_FILE = "ox-wsdl-cache.sqlite"
DEFAULT_WSDL_CACHE_TTL = 24 * 3600


class MissingCredentials(OXError):
    """No credentials to call with (none given, no provider answer, no master)."""


class WSDLCache:
    """zeep's SQLite cache (keyed by URL, with a timeout) plus hit/miss counters, a listing
    and ``discard`` to drop one stale document. zeep's Transport needs only add and get."""

    def __init__(self, path: str | Path, timeout: int | None = DEFAULT_WSDL_CACHE_TTL):
        # 0600 like every file in the state dir (SQLite's journal takes the file's mode)
        private_file(Path(path), SQLITE_COMPANIONS)
        self._cache = zeep.cache.SqliteCache(path=str(path), timeout=timeout)
        self.hits = 0
        self.misses = 0

    def add(self, url: str, content: bytes) -> None:
        self._cache.add(url, content)

    def get(self, url: str) -> bytes | None:
        content: bytes | None = self._cache.get(url)
        if content:
            self.hits += 1
        else:
            self.misses += 1
        return content

    def urls(self) -> list[str]:
        with self._cache.db_connection() as conn:
            return [row[0] for row in conn.execute("SELECT url FROM request ORDER BY url")]

    def discard(self, url: str) -> None:
        with self._cache.db_connection() as conn:
            conn.execute("DELETE FROM request WHERE url = ?", (url,))
            conn.commit()


class OXConnection:
    """One OX server. Thread-safe for building clients; calls share one Session.

    base_url         ``https://ox.example.org`` (services at ``<base>/webservices/<S>``)
    master           master admin credentials (OXContextService, OXUserCopyService), or None
    wsdl_cache_dir   directory for the WSDL cache (e.g. the state dir); None = no disk cache
    wsdl_cache_ttl   seconds a cached WSDL is used before it is fetched again (None: forever)
    connect_timeout, read_timeout   seconds, per HTTP request (WSDL downloads too)
    verify           TLS certificate verification (default on)
    ca_bundle        path of a CA bundle file or directory; implies verification
    trust_env        let requests consult the environment on *every* call (proxies,
                     NO_PROXY, REQUESTS_CA_BUNDLE, .netrc); costs ~0.5-1 ms per call
    proxies          explicit ``{"https": "http://proxy:3128"}``; ``None`` (default) = the
                     environment's proxies for ``base_url``, looked up once here
    context_credentials  ``cid -> credentials or None``: used for context-scoped services
                     when a call passes ``ctx`` (``context``) but no ``auth``
    connections      kept-alive HTTP connections (at least the number of calling threads)
    """

    def __init__(
        self,
        base_url: str,
        master: CredentialsLike | None = None,
        *,
        wsdl_cache_dir: str | Path | None = None,
        wsdl_cache_ttl: int | None = DEFAULT_WSDL_CACHE_TTL,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        verify: bool = True,
        ca_bundle: str | Path | None = None,
        trust_env: bool = False,
        proxies: Mapping[str, str] | None = None,
        context_credentials: Callable[[int], CredentialsLike | None] | None = None,
        connections: int = 10,
    ):
        self.base_url = base_url.rstrip("/")
        self.master = Credentials.of(master) if master is not None else None
        self.context_credentials = context_credentials

        session = requests.Session()
        # one kept-alive connection per worker that calls at the same time
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=connections)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.trust_env = trust_env
        session.verify = str(ca_bundle) if ca_bundle else verify
        if proxies is not None:
            session.proxies.update(proxies)
        elif not trust_env:
            # Once, instead of requests' per-call environment lookup; honours NO_PROXY.
            session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        self.session = session

        self.wsdl_cache: WSDLCache | None = None
        if wsdl_cache_dir is not None:
            directory = Path(wsdl_cache_dir)
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.wsdl_cache = WSDLCache(directory / WSDL_CACHE_FILE, timeout=wsdl_cache_ttl)
        timeout = (connect_timeout, read_timeout)
        self.transport = Transport(
            session=session, cache=self.wsdl_cache, timeout=timeout, operation_timeout=timeout
        )
        self.transport.logger = _silent_logger()
        self._clients: dict[str, zeep.Client] = {}
        self._proxies: dict[str, Any] = {}
        self._lock = threading.Lock()

    # -- clients ----------------------------------------------------------------------------

    def service_url(self, service: str) -> str:
        return f"{self.base_url}/webservices/{service}"

    def wsdl_url(self, service: str) -> str:
        return f"{self.service_url(service)}?wsdl"

    @property
    def loaded_services(self) -> tuple[str, ...]:
        return tuple(self._proxies)

    def client(self, service: str) -> zeep.Client:
        """The zeep client of ``service``, built (WSDL loaded) on first use."""
        self._build(service)
        return self._clients[service]

    def service(self, service: str) -> Any:
        """The zeep service proxy of ``service``, bound to ``<base>/webservices/<service>``."""
        return self._build(service)

    def type_factory(self, service: str, namespace: str = DATA_NS) -> Any:
        """zeep type factory for OX's data objects (User, Group, ...) of this service's WSDL."""
        return self.client(service).type_factory(namespace)

    def forget(self, service: str) -> None:
        """Drop the client and the cached WSDL of ``service`` (next use fetches it again)."""
        with self._lock:
            self._clients.pop(service, None)
            self._proxies.pop(service, None)
        if self.wsdl_cache is not None:
            self.wsdl_cache.discard(self.wsdl_url(service))

    def _build(self, service: str) -> Any:
        proxy = self._proxies.get(service)
        if proxy is not None:
            return proxy
        if service not in SERVICES:
            raise ValueError(f"unknown OX service {service!r} (known: {', '.join(SERVICES)})")
        with self._lock:
            proxy = self._proxies.get(service)
            if proxy is not None:
                return proxy
            url = self.wsdl_url(service)
            cache = self.wsdl_cache
            hits = cache.hits if cache is not None else 0
            start = time.perf_counter()
            try:
                client = zeep.Client(url, transport=self.transport)
            except (zeep.exceptions.Error, requests.RequestException) as exc:
                raise from_exception(exc, f"{service}?wsdl") from exc
            # OX writes its own request URL into soap:address, behind a proxy sometimes
            # wrongly (http/https, port 80): always talk to the base URL we were given.
            proxy = client.create_service(_soap11_binding(client), self.service_url(service))
            self._clients[service] = client
            self._proxies[service] = proxy
            from_cache = cache is not None and cache.hits > hits
            log.debug(
                "wsdl loaded",
                extra={
                    "service": service,
                    "source": "cache" if from_cache else "server",
                    "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                },
            )
            return proxy

    # -- calls ------------------------------------------------------------------------------

    def call(
        self, service: str, operation: str, /, *, auth: CredentialsLike | None = None, **params: Any
    ) -> Any:
        """Run ``service.operation(**params, auth=...)`` and return zeep's result.

        ``auth``: explicit credentials; otherwise, for context-scoped services with a
        ``ctx`` parameter, ``context_credentials(ctx id)``; otherwise the master.
        Raises an ``OXError`` subclass for every failure of the call (a wrong parameter
        name is a programming error and stays zeep's TypeError).
        """
        name = f"{service}.{operation}"
        # OXSecondaryAccountService names its context parameter "context", the rest "ctx"
        context = params.get("ctx", params.get("context"))
        credentials = self._credentials(service, name, auth, context)
        proxy = self._build(service)
        try:
            method = proxy[operation]
        except (AttributeError, KeyError, ValueError):
            raise ValueError(f"OX service {service} has no operation {operation!r}") from None
        start = time.perf_counter()
        try:
            result = method(**params, auth=credentials.soap())
        except (zeep.exceptions.Error, requests.RequestException) as exc:
            error = from_exception(exc, name)
            self._log_call(name, start, type(error).__name__)
            if isinstance(
                exc, (zeep.exceptions.XMLParseError, zeep.exceptions.UnexpectedElementError)
            ):
                # The reply does not fit the WSDL we have: perhaps OX was upgraded and the
                # cached WSDL is stale. Load it afresh next time.
                self.forget(service)
            raise error from exc
        self._log_call(name, start, "ok")
        return result

    def _credentials(
        self, service: str, name: str, auth: CredentialsLike | None, ctx: Any
    ) -> Credentials:
        if auth is not None:
            return Credentials.of(auth)
        if service in CONTEXT_SCOPED and ctx is not None and self.context_credentials:
            cid = ctx.get("id") if isinstance(ctx, Mapping) else getattr(ctx, "id", None)
            if cid is not None:
                found = self.context_credentials(int(cid))
                if found is not None:
                    return Credentials.of(found)
                if self.master is None:
                    raise MissingCredentials(f"no credentials for context {cid}", operation=name)
        if self.master is None:
            raise MissingCredentials(
                "no credentials given and no master admin configured", operation=name
            )
        return self.master

    @staticmethod
    def _log_call(name: str, start: float, outcome: str) -> None:
        if log.isEnabledFor(logging.DEBUG):
            ms = round((time.perf_counter() - start) * 1000, 2)
            log.debug(
                "soap call %s %s %.1f ms",
                name,
                outcome,
                ms,
                extra={"operation": name, "outcome": outcome, "duration_ms": ms},
            )

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> OXConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OXConnection({self.base_url!r}, loaded={list(self._proxies)})"


def _soap11_binding(client: zeep.Client) -> Any:
    """The QName of the WSDL's SOAP 1.1 binding (OX's WSDLs have exactly one)."""
    bindings = client.wsdl.bindings
    for qname, binding in bindings.items():
        if isinstance(binding, Soap11Binding):
            return qname
    return next(iter(bindings))
