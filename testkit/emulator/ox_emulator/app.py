"""The emulator's core, independent of the HTTP server: SOAP calls in, SOAP bytes out.

Requests are dispatched on the body element, as OX does (it drops the SOAPAction header);
WS-Addressing headers are accepted and ignored. ``web.py`` puts this on the network.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from connector.contract import SERVICES, Operation

from .codec import Encoder, decode_fields, parse_envelope
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
from .wsdl import render_wsdl

log = logging.getLogger("ox_emulator")

HANDLERS: tuple[type[Handler], ...] = (
    ContextHandler,
    UserHandler,
    GroupHandler,
    ResourceHandler,
    SecondaryAccountHandler,
    UserCopyHandler,
)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "text/xml; charset=utf-8"


@dataclass(frozen=True)
class Call:
    """A parsed request: the operation of one service and its body element."""

    service_name: str
    operation: Operation
    element: etree._Element

    @property
    def name(self) -> str:
        return f"{self.service_name}.{self.operation.name}"


@lru_cache(maxsize=64)
def wsdl(service_name: str, address: str) -> bytes:
    return render_wsdl(service_name, address)


class Emulator:
    def __init__(self, store: Store, settings: OXSettings, controls: Controls | None = None):
        self.store = store
        self.settings = settings
        self.controls = controls or Controls()
        self.handlers = {h.service_name: h(store, settings) for h in HANDLERS}
        self.encoders = {name: Encoder(SERVICES[name]) for name in self.handlers}

    def soap_call(self, service_name: str, body: bytes) -> Reply:
        """One SOAP request to ``service_name`` (a key of ``handlers``)."""
        call = self.parse(service_name, body)
        return call if isinstance(call, Reply) else self.execute(call)

    def parse(self, service_name: str, body: bytes) -> Call | Reply:
        """The operation a request asks for, or the fault for a request that names none (the
        web layer waits the operation's latency between ``parse`` and ``execute``)."""
        service = SERVICES[service_name]
        try:
            req = parse_envelope(body)
            op = service.by_name.get(req.operation)
            if op is None or req.namespace != service.namespace:
                raise OXFault.generic(
                    f"Unexpected wrapper element {{{req.namespace}}}{req.operation} found. "
                    f"Expected one of the operations of {service_name}."
                )
        except OXFault as fault:
            return self.fault(service_name, fault, service_name)
        return Call(service_name, op, req.element)

    def execute(self, call: Call) -> Reply:
        """Count, inject the configured faults, run the handler and encode its answer."""
        started = time.perf_counter()
        service_name, op = call.service_name, call.operation
        service, handler = SERVICES[service_name], self.handlers[service_name]
        name = call.name
        try:
            self.controls.count(name)
            self.controls.injected_fault(name)
            params = decode_fields(call.element, op.params, service.namespace, service)
            with self.store.transaction():
                result = getattr(handler, op.name)(params)
            payload = self.encoders[service_name].response(op.name, op.result, result)
            log.debug("call", extra={"op": name, "ms": (time.perf_counter() - started) * 1e3})
            return Reply(200, payload)
        except OXFault as fault:
            return self.fault(service_name, fault, name)
        except InjectedHTTPError as exc:
            return Reply(exc.status, f"Injected HTTP error {exc.status}\n".encode(), "text/plain")
        except Exception as exc:
            log.exception("internal error in %s", name)
            return self.fault(service_name, OXFault.remote(f"{type(exc).__name__}: {exc}"), name)

    def fault(self, service_name: str, fault: OXFault, name: str) -> Reply:
        exception_id = self.controls.exception_id()
        log.info("fault", extra={"op": name, "kind": fault.kind, "fault": fault.message})
        return Reply(500, self.encoders[service_name].fault(fault, exception_id))
