"""The SOAP wire format at HTTP level: faults exactly as OX sends them, bad requests as SOAP
faults (never a trace or a bare HTTP 500), dispatch on the body element, safe XML parsing."""

from __future__ import annotations

import re

import pytest
import requests
import zeep
from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
OX = "http://soap.admin.openexchange.com"
DATA = "http://dataobjects.soap.admin.openexchange.com/xsd"
CRED = "http://dataobjects.rmi.admin.openexchange.com/xsd"


def envelope(body: str, header: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP}" '
        f'xmlns:ox="{OX}" xmlns:d="{DATA}" xmlns:c="{CRED}"><soap:Header>{header}'
        f"</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def post(emulator, service: str, data: bytes, **headers) -> requests.Response:
    return requests.post(
        emulator.service_url(service),
        data=data,
        timeout=10,
        headers={"Content-Type": "text/xml; charset=utf-8", **headers},
    )


def fault_of(response: requests.Response) -> tuple[str, str, etree._Element | None]:
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/xml")
    doc = etree.fromstring(response.content)
    fault = doc.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None, response.text
    return fault.findtext("faultcode"), fault.findtext("faultstring"), fault.find("detail")


def auth(ctx) -> str:
    return (
        f"<ox:auth><c:login>{ctx.admin['login']}</c:login>"
        f"<c:password>{ctx.admin['password']}</c:password></ox:auth>"
    )


def test_fault_is_http_500_soap_server_with_exception_id_and_typed_detail(emulator, ctx):
    body = (
        f"<ox:getData><ox:ctx><d:id>{ctx.id}</d:id></ox:ctx>"
        f"<ox:user><d:name>nobody</d:name></ox:user>{auth(ctx)}</ox:getData>"
    )
    code, text, detail = fault_of(post(emulator, "OXUserService", envelope(body)))
    assert code == "soap:Server"
    assert re.fullmatch(rf"No such user nobody in context {ctx.id}; exceptionId -?\d+-\d+", text)
    outer = detail[0]
    assert outer.tag == f"{{{OX}}}NoSuchUserException"
    assert outer[0].tag == f"{{{OX}}}NoSuchUserException"


def test_exception_ids_share_a_prefix_and_count_up(emulator, ctx):
    body = (
        f"<ox:getData><ox:ctx><d:id>{ctx.id}</d:id></ox:ctx>"
        f"<ox:user><d:id>999</d:id></ox:user>{auth(ctx)}</ox:getData>"
    )
    ids = [
        fault_of(post(emulator, "OXUserService", envelope(body)))[1].rsplit(" ", 1)[1]
        for _ in range(2)
    ]
    (p1, n1), (p2, n2) = (i.rsplit("-", 1) for i in ids)
    assert p1 == p2 and int(n2) == int(n1) + 1


def test_unknown_element_is_refused_with_oxs_message(emulator, ctx):
    body = (
        f"<ox:getData><ox:ctx><d:id>{ctx.id}</d:id><d:colour>red</d:colour></ox:ctx>"
        f"<ox:user><d:id>2</d:id></ox:user>{auth(ctx)}</ox:getData>"
    )
    _, text, _ = fault_of(post(emulator, "OXUserService", envelope(body)))
    assert text.startswith(
        'Unexpected element "colour". Please remove that element from SOAP request.; exceptionId '
    )


@pytest.mark.parametrize("field,value", [("id", "twelve"), ("id", "99999999999"), ("id", "")])
def test_invalid_values_give_a_soap_fault(emulator, ctx, field, value):
    body = (
        f"<ox:getData><ox:ctx><d:{field}>{value}</d:{field}></ox:ctx>"
        f"<ox:user><d:id>2</d:id></ox:user>{auth(ctx)}</ox:getData>"
    )
    code, text, _ = fault_of(post(emulator, "OXUserService", envelope(body)))
    assert code == "soap:Server" and "Unmarshalling Error" in text and "Traceback" not in text


def test_invalid_boolean_and_base64_give_soap_faults(emulator, ctx):
    for field, value in (("mailenabled", "maybe"), ("image1", "!!notbase64!!")):
        body = (
            f"<ox:change><ox:ctx><d:id>{ctx.id}</d:id></ox:ctx><ox:usrdata><d:id>2</d:id>"
            f"<d:{field}>{value}</d:{field}></ox:usrdata>{auth(ctx)}</ox:change>"
        )
        _, text, _ = fault_of(post(emulator, "OXUserService", envelope(body)))
        assert "Unmarshalling Error" in text and field in text


def test_malformed_xml_and_non_soap_bodies_give_soap_faults(emulator):
    for data in (b"<not-closed", b"", b"hello", b"<x/>", envelope("<ox:getData/><ox:getData/>")):
        code, text, _ = fault_of(post(emulator, "OXUserService", data))
        assert code == "soap:Server" and "exceptionId" in text


def test_unknown_operation_is_a_soap_fault(emulator):
    _, text, _ = fault_of(post(emulator, "OXUserService", envelope("<ox:launchRocket/>")))
    assert "launchRocket" in text


def test_dtd_and_entities_are_refused(emulator, ctx):
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + envelope("<ox:listAll>&e;</ox:listAll>").split(b"?>", 1)[1]
    )
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        + envelope("<ox:listAll>&c;</ox:listAll>").split(b"?>", 1)[1]
    )
    for data in (xxe, bomb):
        response = post(emulator, "OXContextService", data)
        _, text, _ = fault_of(response)
        assert "DTD" in text and b"root:" not in response.content


def test_oversized_request_is_refused_with_a_soap_fault(emulator):
    data = envelope("<ox:listAll>" + "x" * (17 * 1024 * 1024) + "</ox:listAll>")
    _, text, _ = fault_of(post(emulator, "OXContextService", data))
    assert "too large" in text


def test_dispatch_ignores_soapaction(emulator, ox):
    body = (
        f"<ox:listAll><ox:auth><c:login>{ox.master['login']}</c:login>"
        f"<c:password>{ox.master['password']}</c:password></ox:auth></ox:listAll>"
    )
    response = post(emulator, "OXContextService", envelope(body), SOAPAction='"urn:delete"')
    assert response.status_code == 200
    assert etree.fromstring(response.content).find(f".//{{{OX}}}listAllResponse") is not None


def test_ws_addressing_headers_are_accepted(emulator, ox):
    header = (
        '<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:listAll'
        '</wsa:Action><wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">'
        "urn:uuid:1</wsa:MessageID>"
    )
    body = (
        f"<ox:listAll><ox:auth><c:login>{ox.master['login']}</c:login>"
        f"<c:password>{ox.master['password']}</c:password></ox:auth></ox:listAll>"
    )
    assert post(emulator, "OXContextService", envelope(body, header)).status_code == 200


def test_void_operation_answers_an_empty_body(emulator, ctx):
    body = (
        f"<ox:change><ox:ctx><d:id>{ctx.id}</d:id></ox:ctx><ox:usrdata><d:id>2</d:id>"
        f"<d:company>X</d:company></ox:usrdata>{auth(ctx)}</ox:change>"
    )
    response = post(emulator, "OXUserService", envelope(body))
    assert response.status_code == 200
    assert len(etree.fromstring(response.content).find(f"{{{SOAP}}}Body")) == 0


def test_wsdl_endpoints_and_service_list(emulator):
    index = requests.get(f"{emulator.url}/webservices/", timeout=10)
    assert index.status_code == 200 and "OXUserService" in index.text
    assert (
        requests.get(f"{emulator.service_url('OXNoSuchService')}?wsdl", timeout=10).status_code
        == 404
    )
    legacy = requests.get(f"{emulator.url}/servlet/axis2/services/OXUserService?wsdl", timeout=10)
    assert legacy.status_code == 200 and b"OXUserService" in legacy.content


def test_zeep_fault_carries_detail(ox, ctx):
    with pytest.raises(zeep.exceptions.Fault) as exc_info:
        ox.user.getData(ctx=ctx.ref, user={"id": 4242}, auth=ctx.admin)
    assert exc_info.value.code == "soap:Server"
    assert etree.QName(exc_info.value.detail[0]).localname == "NoSuchUserException"
