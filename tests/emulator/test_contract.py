"""Contract: the emulator's own WSDLs describe OX 8's wire format, and a zeep client
compiled from the reference OX WSDLs (../shared/ox-wsdl) works for every operation a
connector uses."""

from __future__ import annotations

import pytest
import requests
import zeep
from lxml import etree

from ..oxclient import SERVICES, client_wsdl_dir, factory, new_context, reference_wsdl_dir

# The operations a connector needs (those the Univention connector calls, plus the
# list/read/module-access extras).
REQUIRED = {
    "OXContextService": {
        "create",
        "change",
        "delete",
        "getData",
        "list",
        "listAll",
        "exists",
        "getModuleAccess",
        "createModuleAccessByName",
    },
    "OXUserService": {
        "create",
        "createByModuleAccess",
        "createByModuleAccessName",
        "change",
        "changeByModuleAccess",
        "changeByModuleAccessName",
        "delete",
        "exists",
        "getData",
        "getMultipleData",
        "list",
        "listAll",
        "getContextAdmin",
        "getModuleAccess",
    },
    "OXGroupService": {
        "create",
        "change",
        "delete",
        "getData",
        "getMultipleData",
        "list",
        "listAll",
        "listGroupsForUser",
    },
    "OXResourceService": {
        "create",
        "change",
        "delete",
        "getData",
        "getMultipleData",
        "list",
        "listAll",
    },
    "OXSecondaryAccountService": {"create", "update", "delete", "list"},
    "OXUserCopyService": {"copyUser"},
}


def zeep_view(client: zeep.Client) -> dict[str, object]:
    """Operation signatures, soapActions and type signatures, as zeep sees them."""
    view: dict[str, object] = {}
    for service in client.wsdl.services.values():
        for port in service.ports.values():
            for op in port.binding._operations.values():
                view[f"op {op.name}"] = (op.input.signature(), op.output.signature(), op.soapaction)
    for xsd_type in client.wsdl.types.types:
        qname = xsd_type.qname
        # OX's CXF names a few wrapper types where we use anonymous ones: same XML.
        if (
            qname is None
            or "XMLSchema" in qname.namespace
            or qname.localname.endswith(("Response", "Wrapper"))
        ):
            continue
        view[f"type {qname}"] = xsd_type.signature(schema=client.wsdl.types)
    return view


@pytest.mark.contract
def test_the_test_clients_are_compiled_from_the_reference_wsdls():
    """Where the reference is there, every test's OX client (tests/oxclient.py, the
    reference suite's inspector) is built from it, not from the emulator's own WSDLs."""
    assert client_wsdl_dir() == reference_wsdl_dir()
    assert {p.name for p in reference_wsdl_dir().glob("*.wsdl")} >= {f"{s}.wsdl" for s in SERVICES}


@pytest.mark.contract
@pytest.mark.parametrize("service", SERVICES)
def test_served_wsdl_matches_reference(emulator, service):
    url = f"{emulator.service_url(service)}?wsdl"
    served = zeep.Client(url)
    reference = zeep.Client(str(reference_wsdl_dir() / f"{service}.wsdl"))
    ours, theirs = zeep_view(served), zeep_view(reference)
    assert ours.keys() == theirs.keys()
    assert {k: v for k, v in ours.items() if theirs[k] != v} == {}
    # The address inside points back at the emulator, as OX writes its request URL there.
    doc = etree.fromstring(requests.get(url, timeout=10).content)
    address = doc.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location")
    assert address == emulator.service_url(service)


@pytest.mark.contract
def test_get_data_writes_every_user_element_in_ox_order(emulator, ox, ctx):
    """OX serialises every element of the type, in WSDL order, xsi:nil for nulls."""
    user = ctx.create_user("dora", company="Example AG")
    client = zeep.Client(str(reference_wsdl_dir() / "OXUserService.wsdl"))
    message = client.create_message(
        client.service, "getData", ctx=ctx.ref, user={"id": user.id}, auth=ctx.admin
    )
    response = requests.post(
        emulator.service_url("OXUserService"),
        data=etree.tostring(message),
        timeout=10,
        headers={"Content-Type": "text/xml; charset=utf-8"},
    )
    assert response.status_code == 200
    ret = etree.fromstring(response.content).find(".//{http://soap.admin.openexchange.com}return")
    names = [etree.QName(el).localname for el in ret]
    reference_order = [name for name, _ in factory("OXUserService").User.elements]
    assert len(reference_order) == 137
    # aliases is a repeated element (one here); every other field appears exactly once
    assert names == reference_order
    by_name = {etree.QName(el).localname: el for el in ret}
    nil = "{http://www.w3.org/2001/XMLSchema-instance}nil"
    assert by_name["password"].get(nil) == "true"
    assert by_name["company"].text == "Example AG" and by_name["company"].get(nil) is None


@pytest.mark.contract
def test_client_built_from_served_wsdl_works(emulator, ox, ctx):
    served = zeep.Client(f"{emulator.service_url('OXUserService')}?wsdl")
    admin = served.service.getContextAdmin(ctx=ctx.ref, auth=ctx.admin)
    assert admin.name == "oxadmin" and admin.id == 2


@pytest.mark.contract
def test_every_required_operation_through_reference_client(emulator, ox):
    emulator.control("stats/reset")
    cid_main = new_context(ox)
    c, a = cid_main.ref, cid_main.admin

    # contexts
    assert ox.context.exists(ctx=c, auth=ox.master) is True
    assert ox.context.getData(ctx=c, auth=ox.master).id == cid_main.id
    ox.context.change(ctx={"id": cid_main.id, "maxQuota": 500}, auth=ox.master)
    assert cid_main.id in [x.id for x in ox.context.list(search_pattern="*", auth=ox.master)]
    assert cid_main.id in [x.id for x in ox.context.listAll(auth=ox.master)]
    assert ox.context.getModuleAccess(ctx=c, auth=ox.master).webmail is True
    other_id = cid_main.id + 10_000
    ox.context.createModuleAccessByName(
        ctx={"id": other_id, "maxQuota": -1},
        admin_user={
            "name": "oxadmin",
            "display_name": "Admin",
            "password": "pw2",
            "given_name": "A",
            "sur_name": "B",
            "primaryEmail": "a@other.example",
            "email1": "a@other.example",
        },
        access_combination_name="all",
        auth=ox.master,
    )

    # users
    uma = factory().UserModuleAccess
    alice = cid_main.create_user("alice", aliases=["alias@example.org"])
    bob = ox.user.createByModuleAccess(
        ctx=c,
        usrdata={
            "name": "bob",
            "display_name": "Bob",
            "password": "x",
            "given_name": "B",
            "sur_name": "T",
            "primaryEmail": "bob@example.org",
            "email1": "bob@example.org",
        },
        access=uma(webmail=True, calendar=False),
        auth=a,
    )
    carol = ox.user.createByModuleAccessName(
        ctx=c,
        usrdata={
            "name": "carol",
            "display_name": "Carol",
            "password": "x",
            "given_name": "C",
            "sur_name": "T",
            "primaryEmail": "carol@example.org",
            "email1": "carol@example.org",
        },
        access_combination_name="webmail",
        auth=a,
    )
    assert [alice.id, bob.id, carol.id] == [3, 4, 5]
    assert ox.user.exists(ctx=c, user={"name": "alice"}, auth=a) is True
    ox.user.change(ctx=c, usrdata={"id": alice.id, "company": "Example AG"}, auth=a)
    assert ox.user.getData(ctx=c, user={"name": "alice"}, auth=a).company == "Example AG"
    ox.user.changeByModuleAccess(
        ctx=c,
        user={"id": alice.id},
        moduleAccess=uma(**{n: False for n, _ in uma.elements}),
        auth=a,
    )
    assert ox.user.getModuleAccess(ctx=c, user={"id": alice.id}, auth=a).webmail is False
    ox.user.changeByModuleAccessName(
        ctx=c, user={"id": alice.id}, access_combination_name="webmail", auth=a
    )
    assert ox.user.getModuleAccess(ctx=c, user={"id": alice.id}, auth=a).webmail is True
    listed = ox.user.list(ctx=c, search_pattern="*", auth=a)
    assert [u.id for u in listed] == [2, 3, 4, 5]
    every = ox.user.listAll(ctx=c, auth=a)
    full = ox.user.getMultipleData(ctx=c, users=[{"id": u.id} for u in every], auth=a)
    assert [u.name for u in full] == ["oxadmin", "alice", "bob", "carol"]
    assert ox.user.getContextAdmin(ctx=c, auth=a).name == "oxadmin"

    # groups
    group = ox.group.create(
        ctx=c, grp={"name": "staff", "displayname": "Staff", "members": [alice.id, bob.id]}, auth=a
    )
    ox.group.change(
        ctx=c,
        grp={"id": group.id, "name": "staff", "displayname": "All staff", "members": [bob.id]},
        auth=a,
    )
    got = ox.group.getData(ctx=c, grp={"name": "staff"}, auth=a)
    assert (got.displayname, got.members) == ("All staff", [bob.id])
    assert [g.name for g in ox.group.list(ctx=c, pattern="st*", auth=a)] == ["staff"]
    assert {g.name for g in ox.group.listAll(ctx=c, auth=a)} == {"users", "staff"}
    assert [g.id for g in ox.group.getMultipleData(ctx=c, grps=[{"id": group.id}], auth=a)] == [
        group.id
    ]
    assert {g.name for g in ox.group.listGroupsForUser(ctx=c, usr={"id": bob.id}, auth=a)} == {
        "users",
        "staff",
    }

    # resources
    res = ox.resource.create(
        ctx=c,
        res={
            "name": "beamer",
            "displayname": "Beamer",
            "email": "beamer@example.org",
            "description": "",
        },
        auth=a,
    )
    ox.resource.change(ctx=c, res={"id": res.id, "available": False}, auth=a)
    assert ox.resource.getData(ctx=c, res={"name": "beamer"}, auth=a).available is False
    assert [r.name for r in ox.resource.list(ctx=c, pattern="bea*", auth=a)] == ["beamer"]
    assert [r.id for r in ox.resource.listAll(ctx=c, auth=a)] == [res.id]
    assert [
        r.id for r in ox.resource.getMultipleData(ctx=c, resources=[{"id": res.id}], auth=a)
    ] == [res.id]

    # secondary accounts (functional mailboxes)
    ox.secondary.create(
        accountDataOnCreate={
            "name": "Office",
            "primaryAddress": "office@example.org",
            "personal": "The Office",
            "login": "office-alice",
            "mailEndpointSource": "primary",
        },
        context=c,
        users=[{"id": alice.id}],
        auth=a,
    )
    assert (
        ox.secondary.update(
            primaryAddress="office@example.org",
            accountDataUpdate={"name": "Front office"},
            context=c,
            users=[{"id": alice.id}],
            auth=a,
        )
        is True
    )
    accounts = ox.secondary.list(context=c, users=[{"id": alice.id}], auth=a)
    assert [(x.userId, x.name, x.primaryAddress) for x in accounts] == [
        (alice.id, "Front office", "office@example.org")
    ]
    assert (
        ox.secondary.delete(
            primaryAddress="office@example.org", context=c, groups=[{"id": 0}], auth=a
        )
        is True
    )

    # user copy (context move)
    copied = ox.copy.copyUser(user={"id": carol.id}, src=c, dest={"id": other_id}, auth=ox.master)
    assert copied.name == "carol"

    # deletes
    ox.resource.delete(ctx=c, res={"id": res.id}, auth=a)
    ox.group.delete(ctx=c, grp={"id": group.id}, auth=a)
    ox.user.delete(ctx=c, user={"id": bob.id}, auth=a)
    ox.context.delete(ctx={"id": other_id}, auth=ox.master)

    called = emulator.control("stats")["calls"]
    missing = {f"{svc}.{op}" for svc, ops in REQUIRED.items() for op in ops} - set(called)
    assert missing == set()


@pytest.mark.contract
def test_user_filestore_operations_through_reference_client(ox, ctx):
    """The per-user quota and the filestore moves, as a client compiled from OX's WSDLs
    sends and reads them: maxQuota (MB) and filestoreId in User, the moves' int job id."""
    a = ctx.admin
    anna = ctx.create_user("anna")
    job = ox.user.moveFromContextToUserFilestore(
        ctx=ctx.ref, user={"id": anna.id}, dst_filestore_id={"id": 1}, max_quota=512, auth=a
    )
    assert isinstance(job, int)
    got = ox.user.getData(ctx=ctx.ref, user={"id": anna.id}, auth=a)
    assert (got.filestoreId, got.maxQuota, got.usedQuota) == (1, 512, 0)
    assert got.filestore_name == f"{ctx.id}_ctx_{anna.id}_user_store"
    ox.user.change(ctx=ctx.ref, usrdata={"id": anna.id, "maxQuota": 1024}, auth=a)
    assert ox.user.getData(ctx=ctx.ref, user={"id": anna.id}, auth=a).maxQuota == 1024
    again = ox.user.moveFromUserToContextFilestore(ctx=ctx.ref, user={"id": anna.id}, auth=a)
    assert isinstance(again, int) and again != job
    got = ox.user.getData(ctx=ctx.ref, user={"id": anna.id}, auth=a)
    assert (got.filestoreId, got.filestore_name, got.maxQuota) == (None, None, -1)
