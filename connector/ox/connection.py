"""The connector's SOAP layer: one connection to one OX server.

``OXConnection`` owns
- one keep-alive ``requests.Session`` (TLS verification on, optional CA bundle, timeouts,
  proxies resolved once instead of on every call), built on the first call;
- the WSDL cache in the state dir (``connector.ox.cache``): OX's WSDL documents by URL,
  fresh for 24 h, and the lean codecs compiled from them, by the documents' SHA-256;
- per OX service, built on first use from ``<base>/webservices/<S>?wsdl``:
  the lean codec (``codec="lean"``, the default; ``connector.ox.codec``), compiled once
  from zeep's parse of that WSDL and then loaded from the cache without zeep, or a zeep
  client (``codec="zeep"``, and for any operation the lean plan does not describe).
  Calls go to ``<base>/webservices/<S>`` whatever ``soap:address`` says.

``call(service, operation, auth=..., **params)`` runs one operation and turns every failure
into an ``OXError`` subclass (``connector.ox.errors``). Results are plain values with the
lean codec and zeep objects with zeep: ``as_dict``/``plain`` (``connector.ox.values``) make
them the same. It decides nothing: which calls to make is the reconciliation layer's
business.

Nothing heavy is imported before the first call: a run with an empty queue loads neither
requests nor zeep nor lxml.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..contract import SERVICES as CONTRACT_SERVICES
from ..model.credentials import Credentials, CredentialsLike
from .cache import DEFAULT_WSDL_CACHE_TTL, Documents, MemoryDocuments, WSDLCache, digest_of
from .errors import OXError, from_exception

if TYPE_CHECKING:
    import requests
    import zeep
    from zeep.transports import Transport

    from .codec import LeanOperation, LeanService

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
LEAN, ZEEP = "lean", "zeep"
CODECS = (LEAN, ZEEP)

__all__ = [
    "CODECS",
    "CONTEXT_SCOPED",
    "DEFAULT_WSDL_CACHE_TTL",
    "SERVICES",
    "MissingCredentials",
    "OXConnection",
    "WSDLCache",
]


class _Preloaded:
    """A transport cache that holds one document: zeep parses exactly what was hashed."""

    def __init__(self, url: str, content: bytes):
        self.url = url
        self.content = content

    def add(self, url: str, content: bytes) -> None:
        pass

    def get(self, url: str) -> bytes | None:
        return self.content if url == self.url else None


class MissingCredentials(OXError):
    """No credentials to call with (none given, no provider answer, no master)."""


class OXConnection:
    """One OX server. Thread-safe for building codecs and clients; calls share one Session.

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
                     environment's proxies for ``base_url``, looked up once (first call)
    context_credentials  ``cid -> credentials or None``: used for context-scoped services
                     when a call passes ``ctx`` (``context``) but no ``auth``
    connections      kept-alive HTTP connections (at least the number of calling threads)
    codec            ``"lean"`` (default) or ``"zeep"`` (OX_SOAP_CODEC)
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
        codec: str = LEAN,
    ):
        if codec not in CODECS:
            raise ValueError(f"unknown SOAP codec {codec!r} (known: {', '.join(CODECS)})")
        self.base_url = base_url.rstrip("/")
        self.master = Credentials.of(master) if master is not None else None
        self.context_credentials = context_credentials
        self.codec = codec
        self.timeout = (connect_timeout, read_timeout)
        self._verify: bool | str = str(ca_bundle) if ca_bundle else verify
        self._trust_env = trust_env
        self._proxies_given = dict(proxies) if proxies is not None else None
        self._connections = connections

        self.wsdl_cache: WSDLCache | None = None
        if wsdl_cache_dir is not None:
            directory = Path(wsdl_cache_dir)
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.wsdl_cache = WSDLCache(directory / WSDL_CACHE_FILE, timeout=wsdl_cache_ttl)
        self._documents: Documents = self.wsdl_cache or MemoryDocuments()
        self._session: requests.Session | None = None
        self._transport: Transport | None = None
        self._clients: dict[str, zeep.Client] = {}
        self._proxies: dict[str, Any] = {}
        self._lean: dict[str, LeanService] = {}
        self._loaded: dict[str, None] = {}  # services with a codec or client, in load order
        self._lock = threading.RLock()

    # -- HTTP ---------------------------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        """The keep-alive session, built on first use (importing requests only then)."""
        session = self._session
        if session is None:
            with self._lock:
                session = self._session
                if session is None:
                    session = self._session = self._new_session()
        return session

    def _new_session(self) -> requests.Session:
        import requests
        import requests.adapters

        session = requests.Session()
        # one kept-alive connection per worker that calls at the same time
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=self._connections)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.trust_env = self._trust_env
        session.verify = self._verify
        if self._proxies_given is not None:
            session.proxies.update(self._proxies_given)
        elif not self._trust_env:
            # Once, instead of requests' per-call environment lookup; honours NO_PROXY.
            session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        return session

    @property
    def transport(self) -> Transport:
        """zeep's transport over the session and the WSDL cache (zeep clients only)."""
        transport = self._transport
        if transport is None:
            from zeep.transports import Transport

            with self._lock:
                transport = self._transport
                if transport is None:
                    transport = Transport(
                        session=self.session,
                        cache=self._documents,
                        timeout=self.timeout,
                        operation_timeout=self.timeout,
                    )
                    transport.logger = _silent_logger()
                    self._transport = transport
        return transport

    # -- codecs and clients ---------------------------------------------------------------------

    def service_url(self, service: str) -> str:
        return f"{self.base_url}/webservices/{service}"

    def wsdl_url(self, service: str) -> str:
        return f"{self.service_url(service)}?wsdl"

    @property
    def loaded_services(self) -> tuple[str, ...]:
        return tuple(self._loaded)

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
        """Drop the codec, the client and the cached WSDL of ``service`` (next use fetches
        the WSDL again and, if it changed, compiles a new codec)."""
        with self._lock:
            self._clients.pop(service, None)
            self._proxies.pop(service, None)
            self._lean.pop(service, None)
            self._loaded.pop(service, None)
        self._documents.discard(self.wsdl_url(service))

    @staticmethod
    def _check_service(service: str) -> None:
        if service not in SERVICES:
            raise ValueError(f"unknown OX service {service!r} (known: {', '.join(SERVICES)})")

    def _build(self, service: str, *, announce: bool = True, document: bytes | None = None) -> Any:
        """The zeep service proxy, its client built on first use from the WSDL in the cache
        or from the server (or from ``document``, the WSDL a lean codec is compiled from)."""
        proxy = self._proxies.get(service)
        if proxy is not None:
            return proxy
        self._check_service(service)
        import requests
        import zeep
        import zeep.exceptions

        with self._lock:
            proxy = self._proxies.get(service)
            if proxy is not None:
                return proxy
            url = self.wsdl_url(service)
            cache = self.wsdl_cache
            hits = cache.hits if cache is not None else 0
            start = time.perf_counter()
            transport = self.transport
            if document is not None:
                from zeep.transports import Transport

                transport = Transport(
                    session=self.session,
                    cache=_Preloaded(url, document),
                    timeout=self.timeout,
                    operation_timeout=self.timeout,
                )
                transport.logger = _silent_logger()
            try:
                client = zeep.Client(url, transport=transport)
            except (zeep.exceptions.Error, requests.RequestException) as exc:
                raise from_exception(exc, f"{service}?wsdl") from exc
            # OX writes its own request URL into soap:address, behind a proxy sometimes
            # wrongly (http/https, port 80): always talk to the base URL we were given.
            proxy = client.create_service(_soap11_binding(client), self.service_url(service))
            self._clients[service] = client
            self._proxies[service] = proxy
            self._loaded[service] = None
            if announce:
                from_cache = cache is not None and cache.hits > hits
                log.debug(
                    "wsdl loaded",
                    extra={
                        "service": service,
                        "source": "cache" if from_cache else "server",
                        "codec": ZEEP,
                        "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                    },
                )
            return proxy

    def lean(self, service: str) -> LeanService:
        """The lean codec of ``service`` (loaded or compiled as for a call)."""
        return self._lean_service(service)

    def _lean_service(self, service: str) -> LeanService:
        """The lean codec of ``service``: from the cache by the digest of the fresh WSDL
        document, else compiled (once per WSDL digest) from zeep's parse of it."""
        lean = self._lean.get(service)
        if lean is not None:
            return lean
        self._check_service(service)
        from .codec import FORMAT

        with self._lock:
            lean = self._lean.get(service)
            if lean is not None:
                return lean
            start = time.perf_counter()
            url = self.wsdl_url(service)
            source = "cache"
            content: bytes | None = None
            digest = self._documents.digest(url)
            if digest is None:
                content = self._download(service)
                self._documents.add(url, content)
                digest = digest_of(content)
                source = "server"
            text = self._documents.codec(digest, FORMAT)
            lean = self._load_plan(service, text) if text is not None else None
            compiled = lean is None
            if lean is None:
                if content is None:
                    content = self._documents.get(url) or self._download(service)
                    digest = digest_of(content)
                plan = self._compile(service, content)
                lean = self._load_plan(service, json.dumps(plan))
                assert lean is not None
                if plan["operations"]:
                    self._documents.add_codec(digest, FORMAT, json.dumps(plan))
            self._lean[service] = lean
            self._loaded[service] = None
            log.debug(
                "wsdl loaded",
                extra={
                    "service": service,
                    "source": source,
                    "codec": LEAN,
                    "compiled": compiled,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                },
            )
            return lean

    def _download(self, service: str) -> bytes:
        """The WSDL document as the server sends it now (zeep's transport does the same)."""
        import requests

        try:
            response = self.session.get(self.wsdl_url(service), timeout=self.timeout)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise from_exception(exc, f"{service}?wsdl") from exc
        return response.content

    def _compile(self, service: str, content: bytes) -> dict[str, Any]:
        """The lean plan of ``service`` from zeep's parse of this WSDL document. If the
        compiler fails on it, every operation goes through zeep (and nothing is kept, so
        the next run tries again)."""
        with self._lock:
            self._clients.pop(service, None)  # parse exactly this document
            self._proxies.pop(service, None)
            self._build(service, announce=False, document=content)
        client = self._clients[service]
        binding = client.wsdl.bindings[_soap11_binding(client)]
        from .codec import FORMAT
        from .schema import compile_binding

        try:
            return compile_binding(binding)
        except Exception as exc:  # a WSDL the compiler does not expect: zeep it is
            log.warning(
                "lean codec not compiled, using zeep",
                extra={"service": service, "error": f"{type(exc).__name__}: {exc}"},
            )
            return {
                "format": FORMAT,
                "namespaces": [],
                "types": [],
                "operations": {},
                "unsupported": {name: "not compiled" for name in binding.all()},
            }

    @staticmethod
    def _load_plan(service: str, text: str) -> LeanService | None:
        from .codec import FORMAT, LeanService

        try:
            plan = json.loads(text)
            if plan.get("format") != FORMAT:
                return None
            return LeanService(service, plan)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return None  # a damaged or foreign entry: compile again

    # -- calls ------------------------------------------------------------------------------

    def call(
        self, service: str, operation: str, /, *, auth: CredentialsLike | None = None, **params: Any
    ) -> Any:
        """Run ``service.operation(**params, auth=...)`` and return its result (plain
        values with the lean codec, zeep's objects with zeep: see ``as_dict``).

        ``auth``: explicit credentials; otherwise, for context-scoped services with a
        ``ctx`` parameter, ``context_credentials(ctx id)``; otherwise the master.
        Raises an ``OXError`` subclass for every failure of the call (a wrong parameter
        name is a programming error and stays a TypeError).
        """
        name = f"{service}.{operation}"
        # OXSecondaryAccountService names its context parameter "context", the rest "ctx"
        context = params.get("ctx", params.get("context"))
        credentials = self._credentials(service, name, auth, context)
        if self.codec == LEAN:
            lean = self._lean_service(service)
            compiled = lean.operations.get(operation)
            if compiled is not None:
                return self._call_lean(service, compiled, params, credentials)
            if operation not in lean.unsupported:
                raise ValueError(f"OX service {service} has no operation {operation!r}")
            from .values import plain  # an operation the plan does not describe: zeep

            return plain(self._call_zeep(service, operation, params, credentials))
        return self._call_zeep(service, operation, params, credentials)

    def _call_lean(
        self,
        service: str,
        operation: LeanOperation,
        params: dict[str, Any],
        credentials: Credentials,
    ) -> Any:
        import requests

        from .codec import Mismatch, NeedsZeep

        name = operation.name
        url = self.service_url(service)
        start = time.perf_counter()
        try:
            body = operation.request({**params, "auth": credentials.soap()}, url)
            try:
                response = self._post(url, body, operation.headers)
            except requests.RequestException as exc:
                raise from_exception(exc, name) from exc
            try:
                result = operation.reply(
                    response.status_code, response.headers.get("Content-Type"), response.content
                )
            except NeedsZeep:
                result = self._zeep_reply(service, name, response)
            except Mismatch as exc:
                # The reply does not fit the WSDL we have: perhaps OX was upgraded and the
                # cached WSDL is stale. Load it afresh next time.
                self.forget(service)
                raise OXError(f"SOAP protocol error: {exc}", operation=name) from None
        except OXError as error:
            error.operation = error.operation or name
            self._log_call(name, start, type(error).__name__, LEAN)
            raise
        self._log_call(name, start, "ok", LEAN)
        return result

    def _post(self, url: str, body: bytes, headers: Mapping[str, str]) -> requests.Response:
        """``session.post(url, data=body, headers=headers, timeout=...)``, done as
        ``Session.request`` does it for a session that does not consult the environment:
        the session's headers, cookies, auth and hooks on a prepared request, sent through
        the session (its adapters, TLS settings, proxies, cookie jar, redirects). This
        skips requests' generic merging of per-call settings, which (requests 2.34 on
        Python 3.11) costs about a sixth of a call's client CPU. With ``trust_env`` the
        environment is consulted on every call, so that goes through ``post``."""
        import requests

        session = self.session
        if session.trust_env:
            return session.post(url, data=body, headers=headers, timeout=self.timeout)
        merged = requests.structures.CaseInsensitiveDict(
            {k: v for k, v in session.headers.items() if v is not None}
        )
        merged.update(headers)
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method="POST",
            url=url,
            headers=merged,
            data=body,
            cookies=session.cookies,
            auth=session.auth,
            hooks=session.hooks,
        )
        return session.send(prepared, timeout=self.timeout)

    def _zeep_reply(self, service: str, name: str, response: Any) -> Any:
        """zeep reads a reply the lean codec does not model (xsi:type, MTOM)."""
        import zeep.exceptions

        from .values import plain

        client = self.client(service)
        binding = client.service._binding
        operation = name.split(".", 1)[1]
        try:
            return plain(binding.process_reply(client, binding.get(operation), response))
        except zeep.exceptions.Error as exc:
            raise from_exception(exc, name) from exc

    def _call_zeep(
        self, service: str, operation: str, params: dict[str, Any], credentials: Credentials
    ) -> Any:
        import requests
        import zeep.exceptions

        name = f"{service}.{operation}"
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
    def _log_call(name: str, start: float, outcome: str, codec: str = ZEEP) -> None:
        if log.isEnabledFor(logging.DEBUG):
            ms = round((time.perf_counter() - start) * 1000, 2)
            log.debug(
                "soap call %s %s %.1f ms",
                name,
                outcome,
                ms,
                extra={"operation": name, "outcome": outcome, "duration_ms": ms, "codec": codec},
            )

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def __enter__(self) -> OXConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OXConnection({self.base_url!r}, codec={self.codec!r}, loaded={list(self._loaded)})"


def _soap11_binding(client: zeep.Client) -> Any:
    """The QName of the WSDL's SOAP 1.1 binding (OX's WSDLs have exactly one)."""
    from zeep.wsdl.bindings.soap import Soap11Binding

    bindings = client.wsdl.bindings
    for qname, binding in bindings.items():
        if isinstance(binding, Soap11Binding):
            return qname
    return next(iter(bindings))
