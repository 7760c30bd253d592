"""The lean SOAP codec: requests written from templates, replies read by plans, both
compiled once per WSDL (``connector.ox.schema``, from zeep's parse of the server's WSDL)
and kept in the state dir (``connector.ox.cache``).

It does what zeep does for OX's document/literal operations, at a fraction of the cost:

- a request is zeep's: the same elements in schema order, an absent or None optional
  element left out (OX: unchanged), None for a required one written as ``xsi:nil``, the
  same text for each value (``String``/``Boolean``/``Integer``/``Date``/``Base64Binary``
  ``xmlvalue``), the same SOAPAction and WS-Addressing header, the same checks (unknown
  keys are a TypeError, collections a ValueError, missing required elements InvalidData,
  text that is not XML a ValueError);
- a reply is read the way zeep reads it (elements matched in sequence order by local name,
  absent and nil simple values None, an empty element None, a nil object an object of
  Nones, numbers, booleans, dates and base64 converted as zeep converts them, zeep's
  unwrapping of the reply wrapper), into plain values: dicts, lists, str, int, bool,
  ``datetime.date``, bytes, None;
- faults become the same typed errors (``classify_fault``), HTTP errors without a SOAP
  fault ``Transient``; a reply that does not fit the WSDL raises ``Mismatch``; one that
  uses what the plan does not model (``xsi:type``, MTOM) raises ``NeedsZeep``, and the
  connection lets zeep read that reply.

Replies are parsed without DTDs, entity resolution or network access, and a reply that
carries a DTD is refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from lxml import etree

from .errors import InvalidData, OXError, Transient, classify_fault, fault_type, strip_exception_id

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = f"{{{XSI}}}type"
XSI_NIL = f"{{{XSI}}}nil"
BODY = f"{{{SOAP_ENV}}}Body"
FAULT = f"{{{SOAP_ENV}}}Fault"
CONTENT_TYPE = "text/xml; charset=utf-8"
# The plan's format (``connector.ox.schema`` writes it): bumped whenever the layout or the
# meaning of a plan changes, so that cached plans of another format are compiled again.
FORMAT = 1

# What lxml refuses in text (zeep sets element text through lxml); lone surrogates fail
# when the request is encoded.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_COLLAPSE = re.compile(r"[\n\r\t ]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TYPED = re.compile(rb":type\s*=")  # an xsi:type attribute needs a prefix
_ABSENT: Any = object()


class Mismatch(Exception):
    """The reply does not fit the compiled WSDL (zeep: XMLParseError)."""


class NeedsZeep(Exception):
    """The reply uses something the plan does not model; zeep has to read it."""


def _new_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


_parsers = threading.local()


def parse_reply(content: bytes) -> etree._Element:
    """The reply's root element; a DTD is refused (ValueError), no entity is ever
    expanded, nothing is loaded. Raises etree.XMLSyntaxError for what is not XML (also
    what libxml2 refuses: entity amplification, an external DTD it would have to load)."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = _new_parser()
    root = etree.fromstring(content, parser)
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise ValueError("a DTD in the reply is not allowed")
    return root


def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        return (
            text.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace("\r", "&#13;")
        )
    return text


def _no_collection(kind: str, value: Any) -> None:
    if isinstance(value, (list, dict, set)):
        raise ValueError(f"The {kind} type doesn't accept collections as value")


def _text(kind: str, value: Any) -> str:
    """zeep's ``xmlvalue`` of each built-in type, escaped for element text."""
    if kind == "string":
        _no_collection("String", value)
        return _escape(value.decode("utf-8") if isinstance(value, bytes) else str(value))
    if kind == "int":
        return _escape(str(value))
    if kind == "boolean":
        _no_collection("Boolean", value)
        return "true" if value and value not in ("false", "0") else "false"
    if kind == "date":
        _no_collection("Date", value)
        return _escape(value if isinstance(value, str) else value.strftime("%Y-%m-%d"))
    if kind == "base64":
        _no_collection("Base64Binary", value)
        return _escape(value if isinstance(value, str) else base64.b64encode(value).decode())
    raise TypeError(f"cannot write a value of XML Schema type {kind}")


def _zeep_value(kind: str, text: str) -> Any:
    """zeep's own conversion, for the texts the fast paths below do not cover."""
    from zeep.xsd.types import builtins

    converter = builtins.Boolean() if kind == "boolean" else builtins.Date()
    try:
        return converter.pythonvalue(text)
    except (TypeError, ValueError):
        return None  # zeep logs and returns None


class _Type:
    __slots__ = ("fields", "name", "names")

    def __init__(self, name: str):
        self.name = name
        self.fields: tuple[_Field, ...] = ()
        self.names: frozenset[str] = frozenset()


class _Field:
    __slots__ = (
        "close",
        "empty",
        "kind",
        "local",
        "max",
        "min",
        "name",
        "nil",
        "nillable",
        "ns",
        "open",
        "repeated",
        "single",
        "string",
        "tag",
        "type",
    )

    def __init__(self, spec: list[Any], namespaces: list[str], types: list[_Type]):
        name, ns_index, local, kind, sub, low, high, nillable = spec
        self.name: str = name
        self.ns: str = namespaces[ns_index] if ns_index >= 0 else ""
        self.local: str = local
        self.tag = f"{{{self.ns}}}{local}" if self.ns else local
        self.kind: str = kind
        self.string = kind == "string"
        self.type: _Type | None = types[sub] if kind == "complex" else None
        self.min: int = low
        self.max: int = high  # -1: unbounded
        self.repeated = high != 1
        self.single = not self.repeated
        self.nillable: bool = nillable
        written = f"ns{ns_index}:{local}" if ns_index >= 0 else local
        self.open = f"<{written}>"
        self.close = f"</{written}>"
        self.empty = f"<{written}/>"
        self.nil = f'<{written} xsi:nil="true"/>'


def _invalid(message: str) -> InvalidData:
    return InvalidData(f"rejected before sending: {message}")


class _Writer:
    """Writes the body of one request (zeep's render, in text)."""

    __slots__ = ("out",)

    def __init__(self) -> None:
        self.out: list[str] = []

    def object(self, typ: _Type, value: Any) -> None:
        if not isinstance(value, Mapping):
            raise TypeError(f"{typ.name}: a mapping is needed, not {type(value).__name__}")
        if not typ.names.issuperset(value):
            key = next(k for k in value if k not in typ.names)
            raise TypeError(f"{typ.name}() got an unexpected keyword argument {key!r}")
        get = value.get
        out = self.out
        append = out.append
        for field in typ.fields:
            item = get(field.name, _ABSENT)
            if item is _ABSENT or item is None:
                if field.min == 0:
                    continue  # absent: OX leaves the field as it is
                # zeep's default of a required element: [] if repeated, else None
                item = [] if item is _ABSENT and field.repeated else None
            elif field.string and type(item) is str:  # the common case, inlined
                if "&" in item or "<" in item or ">" in item or "\r" in item:
                    item = _escape(item)
                append(field.open)
                append(item)
                append(field.close)
                continue
            self.element(field, item)

    def element(self, field: _Field, value: Any) -> None:
        if field.repeated and isinstance(value, list):
            count = len(value)
            if count < field.min:
                raise _invalid(
                    f"Expected at least {field.min} items (minOccurs check) {count} items found."
                )
            if 0 <= field.max < count:
                raise _invalid(
                    f"Expected at most {field.max} items (maxOccurs check) {count} items found."
                )
            for item in value:
                self.check(field, item)
            for item in value:
                self.item(field, item)
            return
        if value is None and field.min > 0 and not field.nillable:
            raise _invalid(f"Missing element {field.name}")
        self.check(field, value)
        self.item(field, value)

    @staticmethod
    def check(field: _Field, value: Any) -> None:
        if value is None and not field.nillable and field.kind != "complex":
            raise _invalid(f"The element {field.tag} is not valid: Value is required")

    def item(self, field: _Field, value: Any) -> None:
        if value is None:
            if field.min > 0:
                self.out.append(field.nil if field.nillable else field.empty)
        elif field.type is not None:
            self.out.append(field.open)
            self.object(field.type, value)
            self.out.append(field.close)
        else:
            self.out.append(field.open + _text(field.kind, value) + field.close)


class _Reader:
    """Reads one reply: zeep's ComplexType.parse_xmlelement with Sequence and
    Element.parse_xmlelements, for plain values. ``typed``: the reply may carry
    ``xsi:type`` attributes (zeep honours them; the lean reader hands such replies to
    zeep), so each element is checked; without the attribute's text in the reply, none is.
    """

    __slots__ = ("typed",)

    def __init__(self, typed: bool):
        self.typed = typed

    def object(self, element: etree._Element, typ: _Type, allow_none: bool) -> Any:
        fields = typ.fields
        if not fields:
            return None  # zeep: an empty complexType reads as None
        children = list(element)
        count = len(children)
        if not count and allow_none and not len(element.attrib):
            return None  # <x/>; but <x xsi:nil="true"/> is an object of Nones, as in zeep
        result: dict[str, Any] = {}
        at = 0
        plain_strings = not self.typed
        for field in fields:
            if at == count:
                result[field.name] = [] if field.repeated else None
                continue
            child = children[at]
            if field.single and child.tag == field.tag:  # the common case
                at += 1
                if field.string and plain_strings:
                    result[field.name] = child.text
                else:
                    result[field.name] = self.value(child, field)
                continue
            values: list[Any] = []
            while at < count and (field.max < 0 or len(values) < field.max):
                child = children[at]
                tag = child.tag
                if tag != field.tag:
                    if not isinstance(tag, str):
                        raise Mismatch(f"unexpected node {child!r}")
                    if tag[:1] == "{":
                        namespace, _, local = tag[1:].partition("}")
                    else:
                        namespace, local = "", tag
                    if namespace and field.ns and namespace != field.ns:
                        break  # zeep (strict): another namespace ends the element's run
                    if local != field.local:
                        if not values and field.min > 0:
                            raise Mismatch(f"Unexpected element {tag!r}, expected {field.tag!r}")
                        break
                values.append(self.value(child, field))
                at += 1
            if field.repeated:
                result[field.name] = values
            else:
                result[field.name] = values[0] if values else None
        if at < count:
            raise Mismatch(f"Unexpected element {children[at].tag!r}")
        return result

    def value(self, element: etree._Element, field: _Field) -> Any:
        if self.typed and element.get(XSI_TYPE) is not None:
            raise NeedsZeep("xsi:type")
        kind = field.kind
        if kind == "string":
            return element.text
        if field.type is not None:
            return self.object(element, field.type, True)
        text = element.text
        if kind == "any":
            if element.get(XSI_NIL) == "true":
                return None
            if len(element):
                raise NeedsZeep("anyType with elements")
            return text
        if text is None:
            return None
        if kind == "int":
            try:
                return int(text)
            except ValueError:
                return None
        if kind == "boolean":
            if text == "true":
                return True
            if text == "false":
                return False
            return _COLLAPSE.sub(" ", text).strip() in ("true", "1")
        if kind == "date":
            if _ISO_DATE.fullmatch(text):
                try:
                    return dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
                except ValueError:
                    return None
            return _zeep_value(kind, text)
        if kind == "base64":
            try:
                return base64.b64decode(text)
            except ValueError:
                return None
        raise NeedsZeep(f"XML Schema type {kind}")


class LeanOperation:
    """One operation: ``request(params, address)`` -> body bytes, ``reply(...)`` -> value."""

    def __init__(self, service: LeanService, name: str, plan: Mapping[str, Any]):
        self.name = f"{service.name}.{name}"
        soapaction = plan["soapaction"]
        self.headers = {
            "SOAPAction": f'"{soapaction}"' if soapaction else '""',
            "Content-Type": CONTENT_TYPE,
        }
        self._head = service.head
        wsa_action = plan["wsa_action"]
        self._wsa = (
            None
            if not wsa_action
            else (
                f'<soap-env:Header xmlns:wsa="{WSA}"><wsa:Action>{_escape(wsa_action)}'
                "</wsa:Action><wsa:MessageID>urn:uuid:"
            )
        )
        self._input: tuple[str, str, _Type] | None = None
        if plan["input"] is not None:
            ns_index, local, position = plan["input"]
            tag = f"ns{ns_index}:{local}" if ns_index >= 0 else local
            self._input = (f"<{tag}>", f"</{tag}>", service.types[position])
        self._output: tuple[_Type, str] | None = None
        if plan["output"] is not None:
            position, unwrap = plan["output"]
            self._output = (service.types[position], unwrap)

    def request(self, params: Mapping[str, Any], address: str) -> bytes:
        writer = _Writer()
        out = writer.out
        out.append(self._head)
        if self._wsa is not None:
            out.append(
                f"{self._wsa}{uuid.uuid4()}</wsa:MessageID><wsa:To>{_escape(address)}"
                "</wsa:To></soap-env:Header>"
            )
        out.append("<soap-env:Body>")
        if self._input is not None:
            open_tag, close_tag, typ = self._input
            out.append(open_tag)
            writer.object(typ, params)
            out.append(close_tag)
        out.append("</soap-env:Body></soap-env:Envelope>")
        text = "".join(out)
        if _NOT_XML.search(text):
            raise ValueError(
                "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or "
                "control characters"
            )
        return text.encode("utf-8")

    def reply(self, status: int, content_type: str | None, content: bytes) -> Any:
        """The value of a reply, as zeep's ``process_reply`` (plain values); raises the
        OXError of a fault, Transient for HTTP errors, Mismatch, NeedsZeep."""
        if status in (201, 202) and not content:
            return None
        if status != 200 and not content:
            raise self._http_error(status)
        if content_type and content_type.split(";", 1)[0].strip().lower() == "multipart/related":
            raise NeedsZeep("multipart reply")
        try:
            root = parse_reply(content)
        except etree.XMLSyntaxError:
            raise self._http_error(status) from None
        except ValueError as exc:
            raise OXError(f"SOAP protocol error: {exc}", operation=self.name) from None
        body = root.find(BODY)
        fault = body.find(FAULT) if body is not None else None
        if fault is not None:
            message = strip_exception_id(fault.findtext("faultstring") or "")
            kind = fault_type(fault.find("detail"))
            raise classify_fault(message, kind)(
                message, operation=self.name, fault_type=kind, http_status=status
            )
        if status != 200:
            raise self._http_error(status)
        if self._output is None:
            return None
        if body is None or not len(body):
            raise OXError("SOAP protocol error: the reply has no body", operation=self.name)
        wrapper = body[0]
        if wrapper.get(XSI_TYPE) is not None:
            raise NeedsZeep("xsi:type")
        typ, unwrap = self._output
        typed = b":type" in content and _TYPED.search(content) is not None
        value = _Reader(typed).object(wrapper, typ, False)
        if unwrap == "object" or value is None:
            return value
        value = value[typ.fields[0].name]
        if unwrap == "inner" and isinstance(value, dict):
            inner = typ.fields[0].type
            assert inner is not None
            return value[inner.fields[0].name]
        return value

    def _http_error(self, status: int) -> Transient:
        return Transient(
            f"HTTP {status} without a SOAP fault", operation=self.name, http_status=status
        )


class LeanService:
    """The compiled plan of one service: its operations by name."""

    def __init__(self, name: str, plan: Mapping[str, Any]):
        self.name = name
        namespaces: list[str] = list(plan["namespaces"])
        declarations = "".join(f' xmlns:ns{i}="{ns}"' for i, ns in enumerate(namespaces))
        self.head = (
            "<?xml version='1.0' encoding='utf-8'?>\n"
            f'<soap-env:Envelope xmlns:soap-env="{SOAP_ENV}" xmlns:xsi="{XSI}"{declarations}>'
        )
        self.types = [_Type(spec["name"]) for spec in plan["types"]]
        for typ, spec in zip(self.types, plan["types"], strict=True):
            typ.fields = tuple(_Field(f, namespaces, self.types) for f in spec["fields"])
            typ.names = frozenset(f.name for f in typ.fields)
        self.operations = {
            name: LeanOperation(self, name, op) for name, op in plan["operations"].items()
        }
        self.unsupported: dict[str, str] = dict(plan["unsupported"])
