"""The lean SOAP codec against zeep, over HTTP against the emulator (the codec is compiled
from the emulator's own WSDL, as it is from OX's in production).

Properties (Hypothesis):
- requests: for generated parameters of every operation the connector uses, the bodies
  the two codecs send parse, with the emulator's own codec, to the same values; None and
  absent elements included (OX treats both as "unchanged");
- stored values: users, groups and resources created and changed through each codec (one
  context each) read back the same, and read the same through both codecs;
- replies: generated reply documents (absent, nil, empty elements, odd texts, wrong
  order, unknown elements) read to the same values as zeep reads them, or fail for both.
Plus the nil/absent semantics, hostile replies (DTD, entities), the zeep fallbacks
(xsi:type, an operation the plan does not describe) and a reply that does not fit.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zeep.exceptions import XMLParseError

from connector.contract import SERVICES as CONTRACT
from connector.contract import TYPES
from connector.ox import OXConnection, OXError, as_dict, plain
from connector.ox.codec import Mismatch
from ox_emulator.codec import decode_fields, parse_envelope
from ox_emulator.faults import OXFault

from ..oxclient import new_context
from .soap_proxy import SoapProxy

NOBODY = ("nobody", "not-a-password")  # every call in the request property fails auth
BOGUS_CONTEXT = {"id": 987_654}
HOT = (
    [
        ("OXUserService", op)
        for op in (
            "getData",
            "getMultipleData",
            "create",
            "createByModuleAccess",
            "change",
            "changeByModuleAccess",
            "getModuleAccess",
            "delete",
            "listAll",
        )
    ]
    + [("OXGroupService", op) for op in ("getData", "create", "change", "delete", "listAll")]
    + [
        ("OXResourceService", op)
        for op in ("getData", "create", "change", "delete", "list", "listAll")
    ]
    + [("OXContextService", op) for op in ("getData", "create", "change", "delete")]
    + [("OXSecondaryAccountService", op) for op in ("list", "create", "update", "delete")]
    + [("OXUserCopyService", "copyUser")]
)
_FAST = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# -- values from the contract's types (the emulator serves its WSDL from the same table) -------

_NOT_XML = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"]
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters=_NOT_XML), max_size=12)
SCALARS = {
    "string": TEXT,
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**63), 2**63 - 1),
    "boolean": st.booleans(),
    "date": st.dates(),
    "base64Binary": st.binary(max_size=24),
    "anyType": st.none(),
}


def _fields(service, type_name):
    tdef = service.types.get(type_name) or TYPES[type_name]
    base = _fields(service, tdef.base) if tdef.base and tdef.base in service.types else ()
    return base + tdef.fields


def _value(service, field, depth):
    if field.builtin:
        one = SCALARS[field.type]
    elif depth > 3:
        one = st.just({})
    else:
        one = _object(service, field.type, depth + 1)
    item = st.one_of(st.none(), one)
    return st.lists(item, max_size=3) | st.none() if field.repeated else item


def _object(service, type_name, depth=0):
    return st.fixed_dictionaries(
        {}, optional={f.name: _value(service, f, depth) for f in _fields(service, type_name)}
    )


def params_of(service_name, operation):
    service = CONTRACT[service_name]
    op = service.by_name[operation]
    return st.fixed_dictionaries(
        {}, optional={f.name: _value(service, f, 0) for f in op.params if f.name != "auth"}
    )


# -- fixtures ----------------------------------------------------------------------------------


def _master(emulator):
    return {"login": "oxadminmaster", "password": emulator.master_password}


@pytest.fixture(scope="module")
def lean(emulator, tmp_path_factory):
    cache = tmp_path_factory.mktemp("lean-codec")
    with OXConnection(emulator.url, _master(emulator), wsdl_cache_dir=cache) as conn:
        yield conn


@pytest.fixture(scope="module")
def zeep_conn(emulator, tmp_path_factory):
    cache = tmp_path_factory.mktemp("zeep-codec")
    with OXConnection(emulator.url, _master(emulator), wsdl_cache_dir=cache, codec="zeep") as c:
        yield c


@pytest.fixture(scope="module")
def contexts(ox):
    """One context written through each codec: (lean's, zeep's)."""
    return new_context(ox), new_context(ox)


class Bodies:
    """The SOAP bodies a connection posts (a response hook of its session)."""

    def __init__(self, conn: OXConnection):
        self.sent: list[bytes] = []
        conn.session.hooks["response"].append(self._hook)

    def _hook(self, response, *args, **kwargs):
        if response.request.method == "POST":
            self.sent.append(response.request.body)

    def take(self) -> list[bytes]:
        sent, self.sent = self.sent, []
        return sent


def as_the_emulator_reads_it(service_name: str, body: bytes):
    service = CONTRACT[service_name]
    try:
        request = parse_envelope(body)
        op = service.by_name[request.operation]
        params = decode_fields(request.element, op.params, service.namespace, service)
    except OXFault as fault:
        return ("fault", fault.message)
    return (request.namespace, request.operation, params)


def outcome(call):
    try:
        return ("ok", call())
    except OXError as error:
        return (type(error).__name__, error.message)


# -- requests ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("service", "operation"), HOT)
@_FAST
@given(data=st.data())
def test_requests_parse_alike(lean, zeep_conn, service, operation, data):
    params = data.draw(params_of(service, operation))
    for name in ("ctx", "context"):
        if name in params and service != "OXContextService":
            params[name] = BOGUS_CONTEXT  # nothing is written: the context does not exist
    seen = []
    for conn in (lean, zeep_conn):
        bodies = Bodies(conn)
        result = outcome(lambda conn=conn: conn.call(service, operation, auth=NOBODY, **params))
        sent = bodies.take()
        conn.session.hooks["response"].clear()
        assert len(sent) <= 1
        parsed = as_the_emulator_reads_it(service, sent[0]) if sent else None
        seen.append((result[0] if not sent else "sent", parsed))
    assert seen[0] == seen[1]


def test_none_and_absent_are_left_out_as_zeep_leaves_them_out(lean, zeep_conn, contexts):
    """OX ignores nil; zeep writes no element for None (the User fields are optional), and
    neither does the lean codec: the change below changes nothing."""
    lean_ctx, zeep_ctx = contexts
    for conn, ctx in ((lean, lean_ctx), (zeep_conn, zeep_ctx)):
        ctx.create_user("nilly", company="ACME", aliases=["nilly@example.org"])
        before = as_dict(
            zeep_conn.call(
                "OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"name": "nilly"}
            )
        )
        bodies = Bodies(conn)
        change = {"id": before["id"], "company": None, "display_name": None, "aliases": None}
        conn.call("OXUserService", "change", auth=ctx.admin, ctx=ctx.ref, usrdata=change)
        (body,) = bodies.take()
        conn.session.hooks["response"].clear()
        assert as_the_emulator_reads_it("OXUserService", body)[2]["usrdata"] == {"id": before["id"]}
        after = as_dict(
            zeep_conn.call(
                "OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"name": "nilly"}
            )
        )
        assert after == before and after["company"] == "ACME"


def test_text_that_is_not_xml_is_refused_by_both(lean, zeep_conn, contexts):
    for conn in (lean, zeep_conn):
        with pytest.raises(ValueError, match="XML compatible"):
            conn.call(
                "OXUserService",
                "getData",
                auth=NOBODY,
                ctx=BOGUS_CONTEXT,
                user={"name": "nul\x00byte"},
            )


def test_an_unknown_key_is_a_type_error_for_both(lean, zeep_conn):
    for conn in (lean, zeep_conn):
        with pytest.raises(TypeError, match="unexpected keyword argument 'nmae'"):
            conn.call(
                "OXUserService", "getData", auth=NOBODY, ctx=BOGUS_CONTEXT, user={"nmae": "x"}
            )


# -- stored values and replies over HTTP ---------------------------------------------------------

_numbers = itertools.count(1)
_USER = {f.name: f for f in CONTRACT["OXUserService"].types["User"].fields}
# fields the emulator checks against other fields or settings (names, addresses, mail
# server, quota, language) are set by the test itself; the rest take any value
_SET_BY_TEST = {
    "id", "name", "display_name", "password", "passwordMech", "primaryEmail", "email1",
    "email2", "email3", "defaultSenderAddress", "aliases", "language", "timezone",
    "contextadmin", "maxQuota", "usedQuota", "filestoreId", "filestore_name", "imapServer",
    "imapServerString", "smtpServer", "smtpServerString", "imapLogin", "imapPort",
    "smtpPort", "imapSchema", "smtpSchema", "default_group", "guiPreferencesForSoap",
    "folderTree", "primaryAccountName", "mailenabled",
}  # fmt: skip
FREE = sorted(n for n, f in _USER.items() if n not in _SET_BY_TEST and f.type != "anyType")
ATTRIBUTES = st.fixed_dictionaries(
    {
        "entries": st.lists(
            st.fixed_dictionaries(
                {
                    "key": st.sampled_from(["config", "custom"]),
                    "value": st.fixed_dictionaries(
                        {
                            "entries": st.lists(
                                st.fixed_dictionaries(
                                    {
                                        "key": st.from_regex(r"[a-z]{1,8}", fullmatch=True),
                                        "value": TEXT,
                                    }
                                ),
                                max_size=2,
                            )
                        }
                    ),
                }
            ),
            max_size=2,
        )
    }
)


def user_fields(with_none: bool):
    def value(name):
        field = _USER[name]
        if name == "userAttributes":
            one = ATTRIBUTES
        else:
            one = (
                SCALARS[field.type]
                if field.builtin
                else _object(CONTRACT["OXUserService"], field.type)
            )
        one = st.lists(one, max_size=2) if field.repeated else one
        return st.one_of(st.none(), one) if with_none else one

    return st.fixed_dictionaries({}, optional={name: value(name) for name in FREE})


def both_ways(lean, zeep_conn, contexts, call):
    """``call(conn, ctx)`` through the lean codec in one context and zeep in the other."""
    return [
        outcome(lambda c=c, x=x: call(c, x))
        for c, x in zip((lean, zeep_conn), contexts, strict=True)
    ]


def read_back(zeep_conn, lean, ctx, service, param, ref):
    """The object read by zeep (as_dict) and by the lean codec, which must agree."""
    by_zeep = outcome(
        lambda: as_dict(
            zeep_conn.call(service, "getData", auth=ctx.admin, ctx=ctx.ref, **{param: ref})
        )
    )
    by_lean = outcome(
        lambda: lean.call(service, "getData", auth=ctx.admin, ctx=ctx.ref, **{param: ref})
    )
    assert by_lean == by_zeep
    return by_zeep


@_FAST
@given(data=st.data())
def test_users_written_and_read_by_either_codec_are_the_same(lean, zeep_conn, contexts, data):
    n = next(_numbers)
    name, mail = f"user{n}", f"user{n}@example.org"
    extra_mails = [f"alias{n}.{i}@example.org" for i in range(3)]
    create = {
        "name": name,
        "display_name": f"User {n}",
        "password": "secret",
        "given_name": "Given",
        "sur_name": "Sur",
        "primaryEmail": mail,
        "email1": mail,
        "aliases": [mail, *data.draw(st.lists(st.sampled_from(extra_mails), max_size=3))],
        **data.draw(user_fields(with_none=False)),
    }
    change = data.draw(user_fields(with_none=True))
    if data.draw(st.booleans()):
        change["aliases"] = [mail, *data.draw(st.lists(st.sampled_from(extra_mails)))]

    created = both_ways(
        lean,
        zeep_conn,
        contexts,
        lambda c, x: c.call("OXUserService", "create", auth=x.admin, ctx=x.ref, usrdata=create)[
            "id"
        ],
    )
    assert created[0] == created[1]
    if created[0][0] != "ok":
        return
    uid = created[0][1]
    changed = both_ways(
        lean,
        zeep_conn,
        contexts,
        lambda c, x: c.call(
            "OXUserService", "change", auth=x.admin, ctx=x.ref, usrdata={"id": uid, **change}
        ),
    )
    assert changed[0] == changed[1]
    stored = [read_back(zeep_conn, lean, x, "OXUserService", "user", {"id": uid}) for x in contexts]
    assert stored[0] == stored[1]
    # the reads of many: every user of the context, as zeep and as the lean codec read them
    for ctx in contexts:
        ids = [
            {"id": u["id"]}
            for u in lean.call("OXUserService", "listAll", auth=ctx.admin, ctx=ctx.ref)
        ]
        assert ids == [
            {"id": u["id"]}
            for u in plain(zeep_conn.call("OXUserService", "listAll", auth=ctx.admin, ctx=ctx.ref))
        ]
        assert lean.call(
            "OXUserService", "getMultipleData", auth=ctx.admin, ctx=ctx.ref, users=ids
        ) == plain(
            zeep_conn.call(
                "OXUserService", "getMultipleData", auth=ctx.admin, ctx=ctx.ref, users=ids
            )
        )
        assert lean.call(
            "OXUserService", "getModuleAccess", auth=ctx.admin, ctx=ctx.ref, user={"id": uid}
        ) == as_dict(
            zeep_conn.call(
                "OXUserService", "getModuleAccess", auth=ctx.admin, ctx=ctx.ref, user={"id": uid}
            )
        )


@_FAST
@given(
    displayname=TEXT.filter(str.strip),
    members=st.lists(st.just(2), max_size=2),
    new_displayname=st.none() | TEXT.filter(str.strip),
    new_members=st.none() | st.lists(st.just(2), max_size=2),
)
def test_groups_written_and_read_by_either_codec_are_the_same(
    lean, zeep_conn, contexts, displayname, members, new_displayname, new_members
):
    name = f"group{next(_numbers)}"
    group = {"name": name, "displayname": displayname, "members": members}
    created = both_ways(
        lean,
        zeep_conn,
        contexts,
        lambda c, x: c.call("OXGroupService", "create", auth=x.admin, ctx=x.ref, grp=group)["id"],
    )
    assert created[0] == created[1]
    if created[0][0] != "ok":
        return
    change = {"id": created[0][1], "displayname": new_displayname, "members": new_members}
    assert (
        len(
            set(
                map(
                    repr,
                    both_ways(
                        lean,
                        zeep_conn,
                        contexts,
                        lambda c, x: c.call(
                            "OXGroupService", "change", auth=x.admin, ctx=x.ref, grp=change
                        ),
                    ),
                )
            )
        )
        == 1
    )
    stored = [
        read_back(zeep_conn, lean, x, "OXGroupService", "grp", {"name": name}) for x in contexts
    ]
    assert stored[0] == stored[1]
    for ctx in contexts:
        assert lean.call("OXGroupService", "listAll", auth=ctx.admin, ctx=ctx.ref) == plain(
            zeep_conn.call("OXGroupService", "listAll", auth=ctx.admin, ctx=ctx.ref)
        )


@_FAST
@given(
    resource=st.fixed_dictionaries(
        {"displayname": TEXT.filter(str.strip)},
        optional={"description": TEXT, "available": st.booleans()},
    ),
    change=st.fixed_dictionaries(
        {},
        optional={
            "description": st.none() | TEXT,
            "available": st.none() | st.booleans(),
            "displayname": st.none() | TEXT.filter(str.strip),
        },
    ),
)
def test_resources_written_and_read_by_either_codec_are_the_same(
    lean, zeep_conn, contexts, resource, change
):
    name = f"room{next(_numbers)}"
    resource = {"name": name, "email": f"{name}@example.org", **resource}
    created = both_ways(
        lean,
        zeep_conn,
        contexts,
        lambda c, x: c.call("OXResourceService", "create", auth=x.admin, ctx=x.ref, res=resource)[
            "id"
        ],
    )
    assert created[0] == created[1]
    if created[0][0] != "ok":
        return
    assert (
        len(
            set(
                map(
                    repr,
                    both_ways(
                        lean,
                        zeep_conn,
                        contexts,
                        lambda c, x: c.call(
                            "OXResourceService",
                            "change",
                            auth=x.admin,
                            ctx=x.ref,
                            res={"id": created[0][1], **change},
                        ),
                    ),
                )
            )
        )
        == 1
    )
    stored = [
        read_back(zeep_conn, lean, x, "OXResourceService", "res", {"name": name}) for x in contexts
    ]
    assert stored[0] == stored[1]
    for ctx in contexts:
        for op, params in (("listAll", {}), ("list", {"pattern": "room*"})):
            assert lean.call(
                "OXResourceService", op, auth=ctx.admin, ctx=ctx.ref, **params
            ) == plain(
                zeep_conn.call("OXResourceService", op, auth=ctx.admin, ctx=ctx.ref, **params)
            )


def test_contexts_and_accounts_read_alike(lean, zeep_conn, contexts):
    ctx = contexts[0]
    assert lean.call("OXContextService", "getData", ctx=ctx.ref) == as_dict(
        zeep_conn.call("OXContextService", "getData", ctx=ctx.ref)
    )
    ctx.create_user("fa1")
    for conn in (lean, zeep_conn):
        conn.call(
            "OXSecondaryAccountService",
            "create",
            auth=ctx.admin,
            context=ctx.ref,
            accountDataOnCreate={
                "primaryAddress": f"shared-{conn.codec}@example.org",
                "login": f"shared-{conn.codec}",
                "password": "pw",
                "name": "Shared",
                "mailEndpointSource": "primary",
            },
            users=[{"id": 2}],
            groups=[],
        )
    assert lean.call("OXSecondaryAccountService", "list", auth=ctx.admin, context=ctx.ref) == plain(
        zeep_conn.call("OXSecondaryAccountService", "list", auth=ctx.admin, context=ctx.ref)
    )


# -- replies the emulator never sends: the reader against zeep's ---------------------------------


class Reply:
    """What zeep's process_reply reads of a requests response."""

    def __init__(self, content: bytes, status: int = 200):
        self.status_code = status
        self.content = content
        self.headers = {"Content-Type": "text/xml; charset=utf-8"}
        self.encoding = "utf-8"


ODD = {
    "int": [" 7 ", "x", "1_000", "+3", "", "\t-4\n", "2147483648"],
    "long": ["9223372036854775808", " 12", "1e3"],
    "boolean": [" true ", "1", "0", "TRUE", "yes", "\ntrue\t", ""],
    "date": ["2020-02-30", "2020-01-01Z", " 2020-01-01 ", "2020-01-01+02:00", "20200101",
             "2020-W01-1", "2020-12", "0000-01-01", "10000-01-01"],
    "base64Binary": ["!!", "YWJj", "YW Jj", "YWJ", "", "w7w="],
    "string": ["", " ", "a&amp;b", "<![CDATA[x<y]]>"],
}  # fmt: skip
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope '
    'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:ns0="http://soap.admin.openexchange.com" '
    'xmlns:ns4="http://dataobjects.soap.admin.openexchange.com/xsd"><soap:Body>{}'
    "</soap:Body></soap:Envelope>"
)


@st.composite
def element_of(draw, service, field, depth=0):
    tag = f"ns4:{field.name}"
    how = draw(st.sampled_from(["nil", "empty", "value", "value", "odd"]))
    if how == "nil":
        return f'<{tag} xsi:nil="true"/>'
    if how == "empty":
        return f"<{tag}/>"
    if field.type == "anyType":
        return f"<{tag}>{escape(draw(TEXT))}</{tag}>"
    if not field.builtin:
        return f"<{tag}>{draw(object_of(service, field.type, depth + 1))}</{tag}>"
    if how == "odd":
        return f"<{tag}>{draw(st.sampled_from(ODD.get(field.type, ODD['string'])))}</{tag}>"
    value = draw(SCALARS[field.type])
    if field.type == "boolean":
        text = "true" if value else "false"
    elif field.type == "date":
        text = value.isoformat()
    elif field.type == "base64Binary":
        import base64

        text = base64.b64encode(value).decode()
    else:
        text = escape(str(value))
    return f"<{tag}>{text}</{tag}>"


@st.composite
def object_of(draw, service, type_name, depth=0):
    if depth > 3:
        return ""
    out = []
    for field in _fields(service, type_name):
        count = draw(st.integers(0, 3)) if field.repeated else draw(st.sampled_from([0, 1, 1]))
        out += [draw(element_of(service, field, depth)) for _ in range(count)]
    if out and draw(st.integers(0, 9)) == 0:  # now and then: out of order, or unknown
        if draw(st.booleans()):
            i = draw(st.integers(0, len(out) - 1))
            out.insert(draw(st.integers(0, len(out))), out.pop(i))
        else:
            out.insert(draw(st.integers(0, len(out))), "<ns4:zz_unknown>1</ns4:zz_unknown>")
    return "".join(out)


def read_by_both(lean, zeep_conn, service, operation, document: bytes):
    client = zeep_conn.client(service)
    binding = client.service._binding
    try:
        by_zeep = (
            "ok",
            plain(binding.process_reply(client, binding.get(operation), Reply(document))),
        )
    except XMLParseError:  # what does not fit the WSDL
        by_zeep = ("does not fit",)
    try:
        by_lean = ("ok", lean.lean(service).operations[operation].reply(200, "text/xml", document))
    except Mismatch:
        by_lean = ("does not fit",)
    return by_lean, by_zeep


@settings(_FAST, max_examples=100)
@given(data=st.data())
def test_generated_user_replies_read_as_zeep_reads_them(lean, zeep_conn, data):
    service = CONTRACT["OXUserService"]
    user = data.draw(object_of(service, "User"))
    wrapper = data.draw(st.sampled_from(["<ns0:return>{}</ns0:return>", "{}"]))
    body = f"<ns0:getDataResponse>{wrapper.format(user)}</ns0:getDataResponse>"
    by_lean, by_zeep = read_by_both(
        lean, zeep_conn, "OXUserService", "getData", ENVELOPE.format(body).encode()
    )
    assert by_lean[0] == by_zeep[0]
    if by_lean[0] == "ok":
        assert by_lean == by_zeep


@_FAST
@given(data=st.data())
def test_generated_list_replies_read_as_zeep_reads_them(lean, zeep_conn, data):
    service = CONTRACT["OXGroupService"]
    groups = data.draw(st.lists(object_of(service, "Group"), max_size=3))
    body = "".join(f"<ns0:return>{g}</ns0:return>" for g in groups)
    document = ENVELOPE.format(f"<ns0:listAllResponse>{body}</ns0:listAllResponse>").encode()
    by_lean, by_zeep = read_by_both(lean, zeep_conn, "OXGroupService", "listAll", document)
    assert by_lean == by_zeep


# -- what the plan does not model goes to zeep ---------------------------------------------------


@pytest.fixture
def proxy(emulator):
    with SoapProxy(emulator.url) as server:
        yield server


def test_a_reply_with_xsi_type_is_read_by_zeep(proxy, ctx, tmp_path, caplog):
    proxy.rewrite = lambda body: body.replace(
        b"<ns0:return>", b'<ns0:return xsi:type="ns4:User">', 1
    )
    readings = []
    for codec in ("lean", "zeep"):
        conn = OXConnection(proxy.url, wsdl_cache_dir=tmp_path / codec, codec=codec)
        readings.append(
            as_dict(
                conn.call("OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2})
            )
        )
    assert readings[0] == readings[1] and readings[0]["name"] == "oxadmin"


def test_an_operation_the_plan_does_not_describe_goes_through_zeep(
    emulator, proxy, ctx, tmp_path, caplog
):
    wsdl = requests.get(f"{emulator.url}/webservices/OXUserService?wsdl", timeout=10).content
    # an attribute on getData's request wrapper: zeep writes it (not set: nothing), the
    # lean plan does not describe attributes
    marked, count = re.subn(
        rb'(<xs:element name="getData">\s*<xs:complexType>\s*<xs:sequence>.*?</xs:sequence>)',
        rb'\1<xs:attribute name="note" type="xs:string"/>',
        wsdl,
        count=1,
        flags=re.S,
    )
    assert count == 1
    proxy.wsdl["OXUserService"] = marked
    conn = OXConnection(proxy.url, wsdl_cache_dir=tmp_path)
    assert "getData" in conn.lean("OXUserService").unsupported
    assert "listAll" in conn.lean("OXUserService").operations
    with caplog.at_level("DEBUG", logger="ox_connector.ox"):
        user = conn.call("OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2})
        ids = conn.call("OXUserService", "listAll", auth=ctx.admin, ctx=ctx.ref)
    assert isinstance(user, dict) and user["name"] == "oxadmin"  # plain, like lean results
    assert ids and isinstance(ids[0], dict)
    codecs = [
        (r.operation, r.codec)
        for r in caplog.records
        if getattr(r, "codec", None) and getattr(r, "operation", None)
    ]
    assert codecs == [("OXUserService.getData", "zeep"), ("OXUserService.listAll", "lean")]


@pytest.mark.parametrize("codec", ["lean", "zeep"])
def test_a_reply_that_does_not_fit_drops_the_cached_wsdl(proxy, ctx, tmp_path, codec):
    conn = OXConnection(proxy.url, wsdl_cache_dir=tmp_path, codec=codec)
    conn.call("OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2})
    proxy.rewrite = lambda body: body.replace(
        b"</ns0:return>", b"<ns4:zz_new_in_ox_9>1</ns4:zz_new_in_ox_9></ns0:return>", 1
    )
    with pytest.raises(OXError, match="SOAP protocol error") as info:
        conn.call("OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2})
    assert type(info.value) is OXError and info.value.operation == "OXUserService.getData"
    assert conn.wsdl_cache.urls() == [] and conn.loaded_services == ()
    proxy.rewrite = None
    before = len(proxy.paths("GET"))
    conn.call("OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2})
    assert len(proxy.paths("GET")) == before + 1  # the WSDL is fetched again


@pytest.mark.parametrize("codec", ["lean", "zeep"])
def test_cookies_and_session_headers_go_with_every_call(proxy, ctx, tmp_path, codec):
    """A load balancer's sticky cookie comes back, the session's headers are sent."""
    proxy.set_cookie = "route=node7; Path=/"
    conn = OXConnection(proxy.url, wsdl_cache_dir=tmp_path, codec=codec)
    conn.session.headers["X-Trace"] = "abc"
    seen = []
    conn.session.hooks["response"].append(
        lambda r, *a, **k: seen.append(r.request.headers.get("X-Trace"))
    )
    for _ in range(2):
        conn.call("OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2})
    assert proxy.cookies == [None, "route=node7"]
    assert seen[-2:] == ["abc", "abc"]


# -- hostile replies -----------------------------------------------------------------------------

GET_DATA_REPLY = (
    "<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/' "
    "xmlns:ns0='http://soap.admin.openexchange.com' "
    "xmlns:ns4='http://dataobjects.soap.admin.openexchange.com/xsd'><soap:Body>"
    "<ns0:getDataResponse><ns0:return><ns4:name>{}</ns4:name></ns0:return>"
    "</ns0:getDataResponse></soap:Body></soap:Envelope>"
)


def hostile(kind: str, base: str) -> bytes:
    if kind == "external entity":
        head = f'<!DOCTYPE x [<!ENTITY leak SYSTEM "{base}/leak">]>'
        return (head + GET_DATA_REPLY.format("&leak;")).encode()
    if kind == "entity expansion":
        laughs = ['<!ENTITY l0 "lol">'] + [
            f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
        ]
        return (f"<!DOCTYPE x [{''.join(laughs)}]>" + GET_DATA_REPLY.format("&l9;")).encode()
    if kind == "local file":
        head = '<!DOCTYPE x [<!ENTITY leak SYSTEM "file:///etc/hostname">]>'
        return (head + GET_DATA_REPLY.format("&leak;")).encode()
    assert kind == "external DTD"
    return (f'<!DOCTYPE x SYSTEM "{base}/dtd">' + GET_DATA_REPLY.format("dtd")).encode()


@pytest.mark.parametrize("codec", ["lean", "zeep"])
@pytest.mark.parametrize(
    "kind", ["external entity", "entity expansion", "local file", "external DTD"]
)
def test_hostile_replies_expand_nothing_and_fetch_nothing(proxy, ctx, tmp_path, codec, kind):
    proxy.answer = lambda service, body: (200, hostile(kind, proxy.url))
    conn = OXConnection(proxy.url, wsdl_cache_dir=tmp_path, codec=codec)
    try:
        result = outcome(
            lambda: conn.call(
                "OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2}
            )
        )
    except Exception as exc:  # pragma: no cover - the assertion below names it
        pytest.fail(f"not an OXError: {exc!r}")
    assert [p for p in proxy.paths("GET") if not p.endswith("?wsdl")] == []  # no network
    expected = {
        "external entity": "OXError",  # lean: a DTD; zeep: EntitiesForbidden
        "entity expansion": "Transient",  # libxml2 refuses the amplification: not XML
        "local file": "OXError",
        # lean: libxml2 refuses to load it (not XML); zeep parses it and ignores the DTD
        "external DTD": "Transient" if codec == "lean" else "ok",
    }[kind]
    assert result[0] == expected
    if expected == "OXError":
        assert "SOAP protocol error" in result[1]
    expanded = ("lollol", "no such thing", Path("/etc/hostname").read_text().strip() or "?")
    assert not any(text in repr(result) for text in expanded)


# -- faults and HTTP errors ------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["lean", "zeep"])
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (502, b"<html><body>Bad gateway</body></html>", "Transient"),
        (503, b"", "Transient"),
        (200, b"not xml at all", "Transient"),
    ],
)
def test_http_errors_without_a_fault_are_transient(
    proxy, ctx, tmp_path, codec, status, body, expected
):
    proxy.answer = lambda service, request: (status, body)
    conn = OXConnection(proxy.url, wsdl_cache_dir=tmp_path, codec=codec)
    result = outcome(
        lambda: conn.call("OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"id": 2})
    )
    assert result[0] == expected


def test_dates_and_images_come_back_as_date_and_bytes(lean, contexts):
    ctx = contexts[0]
    ctx.create_user(
        "pic", birthday=dt.date(1999, 12, 31), image1=b"\x89PNG\r\n", image1ContentType="image/png"
    )
    user = lean.call("OXUserService", "getData", auth=ctx.admin, ctx=ctx.ref, user={"name": "pic"})
    assert user["birthday"] == dt.date(1999, 12, 31) and user["image1"] == b"\x89PNG\r\n"
