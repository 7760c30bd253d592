"""Render a service's WSDL 1.1 document from the contract table (``connector.contract``).

The layout follows what OX's CXF publishes: document/literal wrapped, one schema per
namespace, wrapper elements for requests, responses and faults in the service namespace,
``urn:<op>`` as soapAction and WS-Addressing action.
"""

from __future__ import annotations

from lxml import etree

from connector.contract import (
    BUILTIN_TYPES,
    NS_DATA,
    NS_EXC,
    NS_IO,
    NS_RMI,
    NS_RMI_DATA,
    SERVICES,
    Field,
    Service,
)

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD = "http://www.w3.org/2001/XMLSchema"
WSAM = "http://www.w3.org/2007/05/addressing/metadata"
WSAW = "http://www.w3.org/2006/05/addressing/wsdl"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"
NAMESPACE_ORDER = (NS_RMI, NS_IO, NS_EXC, NS_DATA, NS_RMI_DATA)


def _w(tag: str) -> str:
    return f"{{{WSDL}}}{tag}"


def _x(tag: str) -> str:
    return f"{{{XSD}}}{tag}"


class _Prefixes:
    """Stable prefixes for the namespaces one WSDL uses (tns for the service namespace)."""

    def __init__(self, service: Service):
        self.tns = service.namespace
        used = {t.namespace for t in service.types.values()}
        # OX's order, so that clients print the same ns0..ns5 prefixes as for a real server.
        others = [ns for ns in NAMESPACE_ORDER if ns in used and ns != self.tns]
        self.map = {self.tns: "tns", **{ns: f"ns{i}" for i, ns in enumerate(others, start=1)}}

    def qname(self, service: Service, type_name: str) -> str:
        if type_name in BUILTIN_TYPES:
            return f"xs:{type_name}"
        if type_name == "Exception":
            return "tns:Exception"
        return f"{self.map[service.types[type_name].namespace]}:{type_name}"


def _element(parent, f: Field, type_qname: str) -> None:
    attrs = {}
    if not f.required:
        attrs["minOccurs"] = "0"
    if f.repeated:
        attrs["maxOccurs"] = "unbounded"
    attrs["name"] = f.name
    if f.nillable:
        attrs["nillable"] = "true"
    attrs["type"] = type_qname
    etree.SubElement(parent, _x("element"), attrs)


def _sequence_of(parent, service: Service, prefixes: _Prefixes, fields) -> None:
    seq = etree.SubElement(parent, _x("sequence"))
    for f in fields:
        _element(seq, f, prefixes.qname(service, f.type))


def _schemas(types_el, service: Service, prefixes: _Prefixes) -> None:
    nsmap = {"xs": XSD, **{p: ns for ns, p in prefixes.map.items()}}
    namespaces = list(prefixes.map)
    for ns in namespaces:
        schema = etree.SubElement(
            types_el,
            _x("schema"),
            nsmap=nsmap,
            attrib={"elementFormDefault": "qualified", "targetNamespace": ns, "version": "1.0"},
        )
        for other in namespaces:
            if other != ns:
                etree.SubElement(schema, _x("import"), namespace=other)
        if ns == service.namespace:
            _service_elements(schema, service, prefixes)
        for name, tdef in service.types.items():
            if tdef.namespace != ns:
                continue
            ct = etree.SubElement(schema, _x("complexType"), name=name)
            if tdef.base:
                ext = etree.SubElement(
                    etree.SubElement(ct, _x("complexContent")),
                    _x("extension"),
                    base=prefixes.qname(service, tdef.base),
                )
                _sequence_of(ext, service, prefixes, tdef.fields)
            else:
                _sequence_of(ct, service, prefixes, tdef.fields)


def _service_elements(schema, service: Service, prefixes: _Prefixes) -> None:
    faults = sorted({f for op in service.operations for f in op.faults})
    for fault in faults:
        el = etree.SubElement(schema, _x("element"), name=fault)
        _sequence_of(
            etree.SubElement(el, _x("complexType")), service, prefixes, (Field(fault, fault),)
        )
    for op in service.operations:
        el = etree.SubElement(schema, _x("element"), name=op.name)
        _sequence_of(etree.SubElement(el, _x("complexType")), service, prefixes, op.params)
        if op.result:
            el = etree.SubElement(schema, _x("element"), name=op.name + "Response")
            _sequence_of(etree.SubElement(el, _x("complexType")), service, prefixes, (op.result,))
    ct = etree.SubElement(schema, _x("complexType"), name="Exception")
    _sequence_of(ct, service, prefixes, (Field("Exception", "anyType"),))


def render_wsdl(service_name: str, address: str) -> bytes:
    """The WSDL of ``service_name`` with ``address`` as its soap:address location."""
    service = SERVICES[service_name]
    prefixes = _Prefixes(service)
    root = etree.Element(
        _w("definitions"),
        nsmap={
            "wsdl": WSDL,
            "soap": SOAP_BINDING,
            "tns": service.namespace,
            "wsam": WSAM,
            "wsaw": WSAW,
            "xsd": XSD,
        },
        attrib={"name": service_name, "targetNamespace": service.namespace},
    )
    _schemas(etree.SubElement(root, _w("types")), service, prefixes)

    faults = sorted({f for op in service.operations for f in op.faults})
    for op in service.operations:
        msg = etree.SubElement(root, _w("message"), name=op.name)
        etree.SubElement(msg, _w("part"), element=f"tns:{op.name}", name="parameters")
        msg = etree.SubElement(root, _w("message"), name=op.name + "Response")
        if op.result:
            etree.SubElement(msg, _w("part"), element=f"tns:{op.name}Response", name="parameters")
    for fault in faults:
        msg = etree.SubElement(root, _w("message"), name=fault + "_Exception")
        etree.SubElement(msg, _w("part"), element=f"tns:{fault}", name=fault + "_Exception")

    port_type = etree.SubElement(root, _w("portType"), name=service_name + "PortType")
    for op in service.operations:
        el = etree.SubElement(port_type, _w("operation"), name=op.name)
        for kind, suffix in (("input", ""), ("output", "Response")):
            action = f"urn:{op.name}{suffix}"
            etree.SubElement(
                el,
                _w(kind),
                {
                    "message": f"tns:{op.name}{suffix}",
                    "name": op.name + suffix,
                    f"{{{WSAM}}}Action": action,
                    f"{{{WSAW}}}Action": action,
                },
            )
        for fault in op.faults:
            action = f"urn:{op.name}{fault}"
            etree.SubElement(
                el,
                _w("fault"),
                {
                    "message": f"tns:{fault}_Exception",
                    "name": fault + "_Exception",
                    f"{{{WSAM}}}Action": action,
                    f"{{{WSAW}}}Action": action,
                },
            )

    binding_name = service_name + "SoapBinding"
    binding = etree.SubElement(
        root, _w("binding"), name=binding_name, type=f"tns:{service_name}PortType"
    )
    etree.SubElement(
        binding, f"{{{SOAP_BINDING}}}binding", style="document", transport=HTTP_TRANSPORT
    )
    for op in service.operations:
        el = etree.SubElement(binding, _w("operation"), name=op.name)
        etree.SubElement(
            el, f"{{{SOAP_BINDING}}}operation", soapAction=f"urn:{op.name}", style="document"
        )
        for kind, suffix in (("input", ""), ("output", "Response")):
            io = etree.SubElement(el, _w(kind), name=op.name + suffix)
            etree.SubElement(io, f"{{{SOAP_BINDING}}}body", use="literal")
        for fault in op.faults:
            f_el = etree.SubElement(el, _w("fault"), name=fault + "_Exception")
            etree.SubElement(
                f_el, f"{{{SOAP_BINDING}}}fault", name=fault + "_Exception", use="literal"
            )

    svc = etree.SubElement(root, _w("service"), name=service_name)
    port = etree.SubElement(svc, _w("port"), binding=f"tns:{binding_name}", name=service.port)
    etree.SubElement(port, f"{{{SOAP_BINDING}}}address", location=address)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
