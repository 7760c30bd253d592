"""Resources (``oxresources/oxresources``): created in their ``oxContext`` (the default
context unless set) with name, display name, description and mail address; changes;
a context move keeps the attributes; removal. Hypothesis varies display names and
descriptions.

As the Univention connector 2.1 handles and maps resources, and as its resource tests
check. Runs on both backends.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from udm_simulator import RESOURCES, UDMError

from .strategies import EMPTY, MAX_TEXT, NON_ASCII_TEXT, texts


def assert_resource(
    backend, cid: int, room, displayname: str, description: str | None, mail: str
) -> dict:
    """The OX resource of ``room`` in ``cid`` has these values; returns it."""
    found = backend.ox.resources(cid).get(room["name"])
    assert found is not None, f"no resource {room['name']} in context {cid}"
    assert found["name"] == room["name"]
    assert found["displayname"] == displayname
    assert (found["description"] or "") == (description or "")  # unset: None or ""
    assert found["email"].lower() == mail.lower()
    assert found["available"] is True
    return found


@pytest.fixture
def admin(backend):
    """The OX user who administers the test's resources (UDM requires one)."""
    return backend.user()


def test_a_resource_lands_in_the_default_context(backend, admin):
    name = backend.unique("room")
    room = backend.resource(
        admin,
        name=name,
        displayname="Room 1.23",
        description="Beamer, 12 seats",
        resourceMailAddress=backend.mail(name),
    )
    assert room["oxContext"] == backend.default_context  # the extended attribute's default
    backend.sync()
    assert_resource(
        backend, backend.default_context, room, "Room 1.23", "Beamer, 12 seats", backend.mail(name)
    )


def test_a_resource_in_a_new_context(backend, admin):
    cid = backend.context()["contextid"]
    room = backend.resource(admin, context=cid, displayname="Lab", description="Chemistry")
    backend.sync()
    assert_resource(backend, cid, room, "Lab", "Chemistry", room["resourceMailAddress"])
    assert room["name"] not in backend.ox.resources(backend.default_context)


def test_a_resource_without_description(backend, admin):
    room = backend.resource(admin, description=None)
    backend.sync()
    assert_resource(
        backend,
        backend.default_context,
        room,
        room["displayname"],
        None,
        room["resourceMailAddress"],
    )


def test_changes_reach_ox(backend, admin):
    cid = backend.default_context
    room = backend.resource(admin, displayname="Old name", description="old")
    backend.sync()
    ox_id = backend.ox.resources(cid)[room["name"]]["id"]

    new_mail = backend.mail(backend.unique("newroom"))
    room = backend.modify(
        room.dn,
        {"displayname": "New name", "description": "new text", "resourceMailAddress": new_mail},
    )
    backend.sync()
    found = assert_resource(backend, cid, room, "New name", "new text", new_mail)
    assert found["id"] == ox_id  # changed in place

    room = backend.modify(room.dn, {"description": None})
    backend.sync()
    assert_resource(backend, cid, room, "New name", None, new_mail)

    room = backend.modify(room.dn, {"description": "back again"})
    backend.sync()
    assert_resource(backend, cid, room, "New name", "back again", new_mail)


def test_udm_refuses_to_rename_a_resource(backend, admin):
    room = backend.resource(admin)
    with pytest.raises(UDMError):
        backend.modify(room.dn, {"name": backend.unique("room")})
    backend.sync()
    assert set(backend.ox.resources(backend.default_context)) == {room["name"]}


def test_udm_refuses_a_second_resource_with_the_same_mail_address(backend, admin):
    room = backend.resource(admin)
    with pytest.raises(UDMError):
        backend.resource(admin, resourceMailAddress=room["resourceMailAddress"])
    backend.sync()
    assert set(backend.ox.resources(backend.default_context)) == {room["name"]}


def test_a_context_move_keeps_the_attributes(backend, admin):
    home = backend.default_context
    second = backend.context()["contextid"]
    third = backend.context()["contextid"]
    room = backend.resource(admin, displayname="Board room", description="first floor")
    backend.sync()
    room = backend.modify(room.dn, {"description": "second floor"})
    backend.sync()

    room = backend.modify(room.dn, {"oxContext": second, "displayname": "Board room 2"})
    backend.sync()
    assert room["name"] not in backend.ox.resources(home)
    assert_resource(
        backend, second, room, "Board room 2", "second floor", room["resourceMailAddress"]
    )

    room = backend.modify(room.dn, {"oxContext": third})
    backend.sync()
    assert room["name"] not in backend.ox.resources(second)
    assert_resource(
        backend, third, room, "Board room 2", "second floor", room["resourceMailAddress"]
    )


def test_two_resources_swap_mail_addresses(backend, admin):
    """Two resources swap their mail addresses through a third one (UDM keeps them
    unique), all in one run: each OX resource keeps its id and gets the other's address."""
    cid = backend.default_context
    one, two = backend.resource(admin), backend.resource(admin)
    backend.sync()
    ids = {r["name"]: backend.ox.resources(cid)[r["name"]]["id"] for r in (one, two)}
    one_mail, two_mail = one["resourceMailAddress"], two["resourceMailAddress"]
    temporary = backend.mail(backend.unique("tmp"))
    one, two = backend.swap(one, two, "resourceMailAddress", temporary)
    backend.sync()
    for room, mail in ((one, two_mail), (two, one_mail)):
        found = assert_resource(backend, cid, room, room["displayname"], "", mail)
        assert found["id"] == ids[room["name"]]


def test_removal(backend, admin):
    cid = backend.context()["contextid"]
    keep = backend.resource(admin, context=cid)
    room = backend.resource(admin, context=cid)
    backend.sync()
    assert set(backend.ox.resources(cid)) == {keep["name"], room["name"]}

    backend.remove(room.dn)
    backend.sync()
    assert set(backend.ox.resources(cid)) == {keep["name"]}


def test_the_resource_admin_cannot_be_removed_while_administering(backend, admin):
    room = backend.resource(admin)
    backend.sync()
    with pytest.raises(UDMError):
        backend.remove(admin.dn)
    backend.sync()
    assert admin["username"] in backend.ox.users(backend.default_context)

    backend.remove(room.dn)
    backend.remove(admin.dn)
    backend.sync()
    assert backend.ox.resources(backend.default_context) == {}
    assert admin["username"] not in backend.ox.users(backend.default_context)


DISPLAY_NAMES = texts()
DESCRIPTIONS = st.one_of(st.just(EMPTY), texts())


@given(first=st.tuples(DISPLAY_NAMES, DESCRIPTIONS), second=st.tuples(DISPLAY_NAMES, DESCRIPTIONS))
@example(first=(MAX_TEXT, MAX_TEXT), second=(NON_ASCII_TEXT, EMPTY))
@example(first=(NON_ASCII_TEXT, NON_ASCII_TEXT), second=("x", MAX_TEXT))
def test_display_names_and_descriptions_arrive_unchanged(backend, first, second):
    cid = backend.default_context
    admin = backend.user()
    name = backend.unique("room")
    room = backend.create(
        RESOURCES,
        {
            "name": name,
            "displayname": first[0],
            "description": first[1],
            "resourceMailAddress": backend.mail(name),
            "resourceadmin": str(admin["uidNumber"]),
        },
    )
    backend.sync()
    assert_resource(backend, cid, room, first[0], first[1], backend.mail(name))

    room = backend.modify(room.dn, {"displayname": second[0], "description": second[1]})
    backend.sync()
    assert_resource(backend, cid, room, second[0], second[1], backend.mail(name))

    backend.remove(room.dn)
    backend.remove(admin.dn)
    backend.sync()
    assert name not in backend.ox.resources(cid)


def test_a_context_move_and_a_change_in_one_batch(backend, admin):
    home, second = backend.default_context, backend.context()["contextid"]
    room = backend.resource(admin, displayname="Hall", description="ground floor")
    backend.sync()

    new_mail = backend.mail(backend.unique("hall"))
    room = backend.modify(room.dn, {"oxContext": second})
    room = backend.modify(room.dn, {"displayname": "Great hall", "resourceMailAddress": new_mail})
    backend.sync()
    assert room["name"] not in backend.ox.resources(home)
    assert_resource(backend, second, room, "Great hall", "ground floor", new_mail)


def test_a_new_resource_admin_leaves_the_ox_resource_as_it_is(backend, admin):
    other = backend.user()
    room = backend.resource(admin, displayname="Studio", description="sound")
    backend.sync()
    before = backend.ox.resources(backend.default_context)[room["name"]]

    room = backend.modify(room.dn, {"resourceadmin": str(other["uidNumber"])})
    backend.sync()
    assert backend.ox.resources(backend.default_context)[room["name"]] == before
    backend.remove(admin.dn)  # no longer an administrator: UDM lets it go
    backend.sync()
    assert admin["username"] not in backend.ox.users(backend.default_context)
