"""Compile the lean codec's plan of one service from zeep's parsed WSDL.

zeep stays the source of truth for the contract: this module walks the binding, messages,
elements and types that zeep built from the server's own WSDL and writes down, as plain
data (JSON), what ``connector.ox.codec`` needs to write requests and read replies the way
zeep does: per operation the SOAPAction, the WS-Addressing action, the request wrapper
element and the reply's shape; per complex type its elements in schema order with their
qualified names, built-in type, occurrence bounds and nillability.

An operation that uses anything the plan does not describe (rpc style, SOAP headers,
choices, attributes, defaults, simple types other than string, the integer family,
boolean, date and base64Binary, anyType in a request) is listed as unsupported; the
connection sends it through zeep.

Only imported when a codec has to be compiled (a new or changed WSDL): it imports zeep.
"""

from __future__ import annotations

from typing import Any

from zeep.wsdl.messages.soap import DocumentMessage
from zeep.xsd import ComplexType
from zeep.xsd.elements import Element, Sequence
from zeep.xsd.types import builtins
from zeep.xsd.types.any import AnyType

from .codec import FORMAT

_INTEGERS = (builtins.Integer.pythonvalue, builtins.Long.pythonvalue)


class Unsupported(Exception):
    """Something the lean codec does not model: the operation goes through zeep."""


def _kind(xsd_type: Any) -> str:
    """The codec's name for a zeep type (exact classes: a subclass may convert otherwise)."""
    cls = type(xsd_type)
    if isinstance(xsd_type, ComplexType):
        return "complex"
    if cls is builtins.String:
        return "string"
    if cls is builtins.Boolean:
        return "boolean"
    if cls is builtins.Date:
        return "date"
    if cls is builtins.Base64Binary:
        return "base64"
    if (
        isinstance(xsd_type, builtins.Integer)
        and cls.xmlvalue is builtins.Integer.xmlvalue
        and cls.pythonvalue in _INTEGERS
    ):
        return "int"
    if cls is AnyType:
        return "any"
    raise Unsupported(f"type {getattr(xsd_type, 'qname', None) or cls.__name__}")


class _Compiler:
    def __init__(self) -> None:
        self.namespaces: list[str] = []
        self.types: list[dict[str, Any]] = []
        self._index: dict[int, int] = {}  # id(zeep type) -> position in self.types
        self._zeep: list[Any] = []  # keeps the zeep types alive while ids are in use

    def namespace(self, uri: str | None) -> int:
        if not uri:
            return -1
        if uri not in self.namespaces:
            self.namespaces.append(uri)
        return self.namespaces.index(uri)

    def complex_type(self, xsd_type: Any) -> int:
        key = id(xsd_type)
        if key in self._index:
            return self._index[key]
        position = len(self.types)
        self._index[key] = position
        self._zeep.append(xsd_type)
        entry: dict[str, Any] = {"name": str(xsd_type.qname or "anonymous"), "fields": []}
        self.types.append(entry)
        if xsd_type.attributes:
            raise Unsupported(f"attributes of {entry['name']}")
        if getattr(xsd_type, "_array_type", None):
            raise Unsupported(f"SOAP-encoded array {entry['name']}")
        elements: list[Any] = []
        top = xsd_type._element  # None (no elements) or the content model's particle
        if top is not None:
            # a bare element here is simple content or a case zeep writes specially
            self._sequence(top, elements, entry["name"])
        entry["fields"] = [self.field(element) for element in elements]
        return position

    def _sequence(self, particle: Any, out: list[Any], owner: str) -> None:
        """The elements of a sequence in order, nested sequences (once each) inlined, as
        zeep reads and writes them; any other particle is unsupported."""
        if type(particle) is not Sequence or particle.min_occurs != 1 or particle.max_occurs != 1:
            raise Unsupported(f"{type(particle).__name__} in {owner}")
        for _, child in particle.elements_nested:
            if isinstance(child, Element):
                out.append(child)
            else:
                self._sequence(child, out, owner)

    def field(self, element: Any) -> list[Any]:
        if element.default is not None:
            raise Unsupported(f"default value of element {element.name}")
        kind = _kind(element.type)
        sub = self.complex_type(element.type) if kind == "complex" else -1
        bound = element.max_occurs
        return [
            element.attr_name,
            self.namespace(element.qname.namespace),
            element.qname.localname,
            kind,
            sub,
            int(element.min_occurs),
            -1 if bound == "unbounded" else int(bound),
            bool(element.nillable),
        ]

    def reaches_any(self, position: int, seen: set[int] | None = None) -> bool:
        """Whether a value of this type can hold an anyType element (not writable)."""
        seen = set() if seen is None else seen
        if position in seen:
            return False
        seen.add(position)
        for field in self.types[position]["fields"]:
            if field[3] == "any" or (field[3] == "complex" and self.reaches_any(field[4], seen)):
                return True
        return False

    def operation(self, operation: Any) -> dict[str, Any]:
        request, reply = operation.input, operation.output
        if not isinstance(request, DocumentMessage) or not isinstance(reply, DocumentMessage):
            raise Unsupported("not document/literal")
        for message in (request, reply):
            if message.header is not None and message.header.type.elements:
                raise Unsupported("SOAP headers")
            if message._is_body_wrapped:
                raise Unsupported("more than one body part")
        plan: dict[str, Any] = {
            "soapaction": operation.soapaction,
            "wsa_action": operation.abstract.wsa_action or None,
            "input": None,
            "output": None,
        }
        if request.body is not None:
            body = request.body
            if _kind(body.type) != "complex":
                raise Unsupported("a request body that is not a complex type")
            position = self.complex_type(body.type)
            if self.reaches_any(position):
                raise Unsupported("anyType in the request")
            plan["input"] = [self.namespace(body.qname.namespace), body.qname.localname, position]
        if reply.body is not None:
            if _kind(reply.body.type) != "complex":
                raise Unsupported("a reply body that is not a complex type")
            plan["output"] = [self.complex_type(reply.body.type), self.unwrap(reply.body.type)]
        return plan

    def unwrap(self, wrapper: Any) -> str:
        """What zeep returns of the reply wrapper (``DocumentMessage.deserialize``): None
        for no elements, the wrapper for several, else its one element's value, and of
        that, when it is an object of a type with exactly one element, that element."""
        elements = wrapper.elements
        if not elements:
            return "none"
        if len(elements) > 1:
            return "object"
        element = elements[0][1]
        inner = element.type
        if (
            isinstance(inner, ComplexType)
            and not element.accepts_multiple
            and len(inner.elements) == 1
            and not inner.attributes
        ):
            return "inner"
        return "field"


def compile_binding(binding: Any) -> dict[str, Any]:
    """The plan of every operation of a zeep SOAP 1.1 binding (see the module doc)."""
    operations: dict[str, Any] = {}
    unsupported: dict[str, str] = {}
    compiler = _Compiler()
    for name, operation in binding.all().items():
        snapshot = (len(compiler.types), dict(compiler._index), len(compiler.namespaces))
        try:
            operations[name] = compiler.operation(operation)
        except Unsupported as exc:
            unsupported[name] = str(exc)
            # forget what this operation added: other plans must not refer to half types
            del compiler.types[snapshot[0] :]
            compiler._index = snapshot[1]
            del compiler.namespaces[snapshot[2] :]
    return {
        "format": FORMAT,
        "namespaces": compiler.namespaces,
        "types": compiler.types,
        "operations": operations,
        "unsupported": unsupported,
    }
