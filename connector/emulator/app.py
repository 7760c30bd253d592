"""The emulator's WSGI application: OX's SOAP endpoints and WSDLs, plus control endpoints.

SOAP requests are dispatched on the body element, as OX does (it drops the SOAPAction
header); WS-Addressing headers are accepted and ignored.
"""

from __future__ import annotations

import json
import logging
import time
from functools import lru_cache
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..soap_contract.spec import SERVICES, Service
from ..soap_contract.wsdl import render_wsdl
from .codec import MAX_REQUEST_BYTES, Encoder, decode_fields, parse_envelope
from .controls import Controls, InjectedHTTPError
from .faults import OXFault
from .handlers.base import Handler
from .handlers.contexts import ContextHandler
from .handlers.groups import GroupHandler
from .handlers.resources import ResourceHandler
from .handlers.secondary_accounts import SecondaryAccountHandler
from .handlers.user_copy import UserCopyHandler
from .handlers.users import UserHandler
from .settings import OXSettings
from .store import Store

log = logging.getLogger("ox_emulator")

HANDLERS: tuple[type[Handler], ...] = (ContextHandler, UserHandler, GroupHandler,
                                       ResourceHandler, SecondaryAccountHandler, UserCopyHandler)
XML = "text/xml; charset=utf-8"


@lru_cache(maxsize=64)
def _wsdl(service_name: str, address: str) -> bytes:
    return render_wsdl(service_name, address)


class EmulatorApp:
    def __init__(self, store: Store, settings: OXSettings, controls: Controls | None = None):
        self.store = store
        self.settings = settings
        self.controls = controls or Controls()
        self.handlers = {h.service_name: h(store, settings) for h in HANDLERS}
        self.encoders = {name: Encoder(SERVICES[name]) for name in self.handlers}
        self.url_map = Map([
            Rule("/webservices/", endpoint="index", methods=["GET"]),
            Rule("/webservices/<service>", endpoint="soap", methods=["GET", "POST"]),
            # OX 6 (Axis2) path, still used by some scripts
            Rule("/servlet/axis2/services/<service>", endpoint="soap", methods=["GET", "POST"]),
            Rule("/emulator/stats", endpoint="stats", methods=["GET"]),
            Rule("/emulator/stats/reset", endpoint="stats_reset", methods=["POST"]),
            Rule("/emulator/faults", endpoint="faults", methods=["GET", "POST"]),
            Rule("/emulator/health", endpoint="health", methods=["GET"]),
        ])

    def __call__(self, environ, start_response):
        request = Request(environ)
        request.max_content_length = MAX_REQUEST_BYTES
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            response = getattr(self, f"on_{endpoint}")(request, **args)
        except HTTPException as exc:
            response = exc.get_response(environ)
        return response(environ, start_response)

    # SOAP -------------------------------------------------------------------------------
    def on_index(self, request: Request) -> Response:
        base = request.host_url.rstrip("/")
        lines = [f"{name}: {base}/webservices/{name}?wsdl" for name in self.handlers]
        return Response("\n".join(lines) + "\n", mimetype="text/plain")

    def on_soap(self, request: Request, service: str) -> Response:
        if service not in self.handlers:
            raise NotFound(f"No such service {service}")
        if request.method == "GET":
            if "wsdl" not in {k.lower() for k in request.args}:
                raise NotFound("Ask for ?wsdl")
            address = request.host_url.rstrip("/") + request.path
            return Response(_wsdl(service, address), content_type=XML)
        handler = self.handlers[service]
        try:
            body = request.get_data()
        except RequestEntityTooLarge:
            fault = OXFault.generic(f"Request too large (more than {MAX_REQUEST_BYTES} bytes)")
            return self._fault(handler, fault, service)
        return self._soap_call(SERVICES[service], handler, body)

    def _soap_call(self, service: Service, handler: Handler, body: bytes) -> Response:
        started = time.perf_counter()
        name = "?"
        try:
            req = parse_envelope(body)
            op = service.by_name.get(req.operation)
            if op is None or req.namespace != service.namespace:
                raise OXFault.generic(
                    f"Unexpected wrapper element {{{req.namespace}}}{req.operation} found. "
                    f"Expected one of the operations of {handler.service_name}.")
            name = f"{handler.service_name}.{op.name}"
            self.controls.count(name)
            if self.controls.latency_ms:
                time.sleep(self.controls.latency_ms / 1000)
            self.controls.injected_fault(name)
            params = decode_fields(req.element, op.params, service.namespace, service)
            with self.store.transaction():
                result = getattr(handler, op.name)(params)
            payload = self.encoders[handler.service_name].response(op.name, op.result, result)
            log.debug("call", extra={"op": name, "ms": (time.perf_counter() - started) * 1e3})
            return Response(payload, content_type=XML)
        except OXFault as fault:
            return self._fault(handler, fault, name)
        except InjectedHTTPError as exc:
            return Response(f"Injected HTTP error {exc.status}\n", status=exc.status,
                            mimetype="text/plain")
        except Exception as exc:  # noqa: BLE001 - a client must get a SOAP fault, not a trace
            log.exception("internal error in %s", name)
            return self._fault(handler, OXFault.remote(f"{type(exc).__name__}: {exc}"), name)

    def _fault(self, handler: Handler, fault: OXFault, name: str) -> Response:
        exception_id = self.controls.exception_id()
        log.info("fault", extra={"op": name, "kind": fault.kind, "fault": fault.message})
        body = self.encoders[handler.service_name].fault(fault, exception_id)
        return Response(body, status=500, content_type=XML)

    # control endpoints --------------------------------------------------------------------
    @staticmethod
    def _json(data: Any, status: int = 200) -> Response:
        return Response(json.dumps(data, indent=1) + "\n", status=status,
                        mimetype="application/json")

    def on_stats(self, request: Request) -> Response:
        return self._json(self.controls.stats())

    def on_stats_reset(self, request: Request) -> Response:
        self.controls.reset_stats()
        return self._json(self.controls.stats())

    def on_faults(self, request: Request) -> Response:
        if request.method == "GET":
            return self._json(self.controls.describe())
        try:
            settings = json.loads(request.get_data() or b"{}")
            if not isinstance(settings, dict):
                raise ValueError("expected a JSON object")
            return self._json(self.controls.configure(settings))
        except (ValueError, TypeError) as exc:
            return self._json({"error": str(exc)}, status=400)

    def on_health(self, request: Request) -> Response:
        return self._json({"status": "ok", "services": sorted(self.handlers)})
