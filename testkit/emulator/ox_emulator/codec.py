"""SOAP 1.1 document/literal codec driven by the contract table.

Requests are decoded into plain dicts that hold only the elements that were sent with a
value: OX treats an absent element and ``xsi:nil`` alike ("leave unchanged"), so both are
simply missing from the dict. Responses are written the way OX's CXF writes them: every
element of the type, in WSDL order, with ``xsi:nil="true"`` for nulls.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from connector.contract import (
    NS_COPY,
    NS_DATA,
    NS_EXC,
    NS_IO,
    NS_RMI,
    NS_RMI_DATA,
    NS_SOAP,
    TYPES,
    Field,
    Service,
)

from .faults import OXFault

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_NIL = f"{{{XSI}}}nil"
INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)
MAX_REQUEST_BYTES = 16 * 1024 * 1024

# No DTDs, no entities, no network: the request body is untrusted input.
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)
_DATE = re.compile(r"^\s*(-?\d{4,})-(\d{2})-(\d{2})")


@dataclass
class Request:
    operation: str  # local name of the body element
    namespace: str
    element: etree._Element


def parse_envelope(body: bytes) -> Request:
    """The operation element of a SOAP 1.1 request; faults for anything else."""
    if len(body) > MAX_REQUEST_BYTES:
        raise OXFault.generic(f"Request too large ({len(body)} bytes)")
    try:
        doc = etree.fromstring(body, _PARSER).getroottree()
    except etree.XMLSyntaxError as exc:
        raise OXFault.generic(f"Unmarshalling Error: {exc}") from None
    if doc.docinfo.doctype or doc.docinfo.internalDTD is not None:
        raise OXFault.generic("Unmarshalling Error: DTD is not allowed")
    root = doc.getroot()
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise OXFault.generic("Unmarshalling Error: no SOAP 1.1 Envelope")
    body_el = root.find(f"{{{SOAP_ENV}}}Body")
    children = [] if body_el is None else [c for c in body_el if isinstance(c.tag, str)]
    if len(children) != 1:
        raise OXFault.generic("Unmarshalling Error: the SOAP Body must hold one element")
    qname = etree.QName(children[0])
    return Request(qname.localname, qname.namespace or "", children[0])


def _unexpected(name: str) -> OXFault:
    return OXFault.generic(
        f'Unexpected element "{name}". Please remove that element from SOAP request.'
    )


def _scalar(f: Field, text: str) -> Any:
    try:
        if f.type == "string":
            return text
        if f.type in ("int", "long"):
            value = int(text.strip())
            low, high = INT_RANGE if f.type == "int" else LONG_RANGE
            if not low <= value <= high:
                raise ValueError("out of range")
            return value
        if f.type == "boolean":
            value = text.strip()
            if value in ("true", "1"):
                return True
            if value in ("false", "0"):
                return False
            raise ValueError("not a boolean")
        if f.type == "date":
            # OX parses dates leniently: a time or zone part after the date is ignored.
            m = _DATE.match(text)
            if not m:
                raise ValueError("not a date")
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        if f.type == "base64Binary":
            return base64.b64decode("".join(text.split()), validate=True)
    except (ValueError, TypeError, base64.binascii.Error) as exc:
        raise OXFault.generic(
            f'Unmarshalling Error: invalid value "{text[:80]}" for element "{f.name}" '
            f"of type {f.type} ({exc})"
        ) from None
    return None  # anyType: accepted, ignored


def decode_fields(
    parent: etree._Element, fields: tuple[Field, ...], namespace: str, service: Service
) -> dict[str, Any]:
    """Children of ``parent`` as a dict; nil/absent elements are left out."""
    by_name = {f.name: f for f in fields}
    out: dict[str, Any] = {}
    for child in parent:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        f = by_name.get(qname.localname)
        if f is None or (qname.namespace or "") != namespace:
            raise _unexpected(qname.localname)
        if f.repeated:
            out.setdefault(f.name, [])
        if child.get(XSI_NIL) in ("true", "1"):
            continue
        if f.builtin:
            value = _scalar(f, child.text or "")
        else:
            tdef = service.types[f.type]
            value = decode_fields(child, _all_fields(tdef, service), tdef.namespace, service)
        if f.repeated:
            out[f.name].append(value)
        else:
            out[f.name] = value
    return out


def _all_fields(tdef, service: Service) -> tuple[Field, ...]:
    if tdef.base and tdef.base in service.types:
        return _all_fields(service.types[tdef.base], service) + tdef.fields
    return tdef.fields


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _text(type_name: str, value: Any) -> str:
    if type_name == "string":
        return _escape(value)
    if type_name == "boolean":
        return "true" if value else "false"
    if type_name == "base64Binary":
        return base64.b64encode(value).decode("ascii")
    return str(value)


# Responses are written as text from a per-type plan: building ~140 lxml elements per user
# cost more than the whole rest of a getData call.
_PREFIXES = {
    NS_SOAP: "ns0",
    NS_COPY: "ns0",
    NS_RMI: "ns1",
    NS_IO: "ns2",
    NS_EXC: "ns3",
    NS_DATA: "ns4",
    NS_RMI_DATA: "ns5",
}


@dataclass(frozen=True)
class _Slot:
    """One element of a type, with its tags prepared once."""

    name: str
    type: str
    builtin: bool
    repeated: bool
    open: str
    close: str
    nil: str  # what a null writes: xsi:nil, or nothing for a Java primitive


def _slot(tag: str, f: Field) -> _Slot:
    return _Slot(
        f.name,
        f.type,
        f.builtin,
        f.repeated,
        f"<{tag}>",
        f"</{tag}>",
        f'<{tag} xsi:nil="true"/>' if f.nillable else "",
    )


class Encoder:
    """Writes values of one service's types the way OX does: every element, in order,
    ``xsi:nil`` for nulls, repeated elements for lists (nothing for an empty list)."""

    def __init__(self, service: Service):
        self.service = service
        self._plans: dict[str, tuple[_Slot, ...]] = {}
        ns_decls = " ".join(
            f'xmlns:{p}="{ns}"'
            for ns, p in _PREFIXES.items()
            if ns != (NS_COPY if service.namespace == NS_SOAP else NS_SOAP)
        )
        self.envelope_open = (
            f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}" '
            f'xmlns:xsi="{XSI}" {ns_decls}><soap:Body>'
        )
        self.envelope_close = "</soap:Body></soap:Envelope>"

    def _plan(self, type_name: str) -> tuple[_Slot, ...]:
        plan = self._plans.get(type_name)
        if plan is None:
            tdef = self.service.types.get(type_name) or TYPES[type_name]
            prefix = _PREFIXES[tdef.namespace]
            plan = tuple(_slot(f"{prefix}:{f.name}", f) for f in tdef.fields)
            self._plans[type_name] = plan
        return plan

    def _value(self, out: list[str], slot: _Slot, value: Any) -> None:
        if slot.builtin:
            out.append(slot.open + _text(slot.type, value) + slot.close)
        else:
            out.append(slot.open)
            self._object(out, slot.type, value)
            out.append(slot.close)

    def _write(self, out: list[str], slot: _Slot, value: Any) -> None:
        if value is None:
            if slot.nil and not slot.repeated:
                out.append(slot.nil)
        elif slot.repeated:
            for item in value:
                self._value(out, slot, item)
        elif slot.type == "string":  # the common case, inlined
            out.append(slot.open + _escape(value) + slot.close)
        else:
            self._value(out, slot, value)

    def _object(self, out: list[str], type_name: str, obj: dict[str, Any]) -> None:
        get = obj.get
        for slot in self._plan(type_name):
            self._write(out, slot, get(slot.name))

    def field(self, out: list[str], tag: str, f: Field, value: Any) -> None:
        self._write(out, _slot(tag, f), value)

    def response(self, operation: str, result: Field | None, value: Any) -> bytes:
        out = [self.envelope_open]
        if result is not None:
            out.append(f"<ns0:{operation}Response>")
            self.field(out, f"ns0:{result.name}", result, value)
            out.append(f"</ns0:{operation}Response>")
        out.append(self.envelope_close)
        return "".join(out).encode("utf-8")

    def fault(self, fault: OXFault, exception_id: str) -> bytes:
        """OX's fault: soap:Server, message + exceptionId, detail typed by the fault name."""
        out = [
            self.envelope_open,
            "<soap:Fault><faultcode>soap:Server</faultcode>",
            f"<faultstring>{_escape(fault.message)}; exceptionId {exception_id}</faultstring>",
        ]
        if fault.kind and fault.kind in self.service.types:
            out.append(f"<detail><ns0:{fault.kind}><ns0:{fault.kind}>")
            out.append('<ns0:Exception xsi:nil="true"/>')
            self._object(out, fault.kind, {"message": fault.message})
            out.append(f"</ns0:{fault.kind}></ns0:{fault.kind}></detail>")
        out.append("</soap:Fault>")
        out.append(self.envelope_close)
        return "".join(out).encode("utf-8")
