"""Groups and resources end to end: queue files -> the emulator over HTTP.

What the Univention connector 2.1 does with groups and resources (and its group and
resource tests), and OX's group and resource semantics, as the emulator implements them.
"""

from __future__ import annotations

import uuid

import pytest

from connector.run import RunFailed

from .harness import Harness, _context_ids, group_dn, udm_group, udm_resource, udm_user, user_dn

GROUP_TYPE = "groups/group"
USER_TYPE = "users/user"
RESOURCE_TYPE = "oxresources/oxresources"


@pytest.fixture
def h(harness):
    """The harness with the premium profile applied."""
    harness.profile()
    return harness


def uid(harness, cid: int, name: str) -> int:
    return harness.ox_user(cid, name).id


def group_ids(harness, cid: int) -> dict[str, int]:
    """name -> OX id of the context's groups, without the default group "users"."""
    groups = harness.ox.group.listAll(ctx={"id": cid}, auth=harness.admin(cid))
    return {g.name: g.id for g in groups or [] if g.id != 1}


def group_writes(harness) -> dict[str, int]:
    return {op: n for op, n in harness.writes().items() if op.startswith("OXGroupService.")}


def rename_group(harness, old: str, new: str, members: list[str], **props):
    """A UDM rename: new DN and name, same entryUUID."""
    object_id = harness.ids[group_dn(old).lower()]
    return harness.write(
        GROUP_TYPE,
        group_dn(new),
        udm_group(new, [user_dn(m) for m in members], **props),
        object_id=object_id,
    )


# -- groups --------------------------------------------------------------------------------------
def test_group_in_every_context_with_its_local_members(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c1)
    h.user("carl", c2)
    h.group("staff", ["anna", "bob", "carl"])
    h.run()
    assert h.ox_groups(c1) == {"staff": sorted([uid(h, c1, "anna"), uid(h, c1, "bob")])}
    assert h.ox_groups(c2) == {"staff": [uid(h, c2, "carl")]}
    grp = h.ox.group.getData(ctx={"id": c1}, grp={"name": "staff"}, auth=h.admin(c1))
    assert grp.displayname == "staff"
    assert h.pending() == []


def test_disabled_users_are_not_members(h):
    cid = h.context()
    h.user("anna", cid)
    h.user("bob", cid, isOxUser="Not")
    h.group("staff", ["anna", "bob"])
    h.group("ghosts", ["bob"])  # only a disabled member: no group at all
    h.run()
    assert h.ox_groups(cid) == {"staff": [uid(h, cid, "anna")]}


def test_reapplying_makes_no_writes(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c2)
    h.group("staff", ["anna", "bob"])
    h.run()
    h.reset_calls()
    h.group("staff", ["anna", "bob"])
    h.user("anna", c1)
    h.run()
    assert h.writes() == {}


def test_rename_keeps_the_ox_id_in_every_context(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c2)
    h.group("staff", ["anna", "bob"])
    h.run()
    before = {c1: group_ids(h, c1)["staff"], c2: group_ids(h, c2)["staff"]}

    h.reset_calls()
    rename_group(h, "staff", "crew", ["anna", "bob"])
    h.run()
    assert group_ids(h, c1) == {"crew": before[c1]}
    assert group_ids(h, c2) == {"crew": before[c2]}
    assert h.ox_groups(c1) == {"crew": [uid(h, c1, "anna")]}
    assert "OXGroupService.create" not in h.writes()
    assert "OXGroupService.delete" not in h.writes()


def test_last_member_leaving_a_context_removes_the_group_there(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c2)
    h.group("staff", ["anna", "bob"])
    h.run()
    assert set(h.ox_groups(c2)) == {"staff"}

    h.group("staff", ["anna"])
    h.run()
    assert h.ox_groups(c1) == {"staff": [uid(h, c1, "anna")]}
    assert h.ox_groups(c2) == {}


def test_not_ox_group_removes_it_everywhere(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c2)
    h.group("staff", ["anna", "bob"])
    h.group("other", ["anna"])
    h.run()
    assert set(h.ox_groups(c2)) == {"staff"}

    h.group("staff", ["anna", "bob"], isOxGroup="Not")
    h.run()
    assert h.ox_groups(c1) == {"other": [uid(h, c1, "anna")]}
    assert h.ox_groups(c2) == {}


@pytest.mark.parametrize("name", ["users", "Users"])
def test_udm_group_named_users_is_not_synced(h, name):
    cid = h.context()
    h.user("anna", cid)
    h.run()
    default = h.ox.group.getData(ctx={"id": cid}, grp={"id": 1}, auth=h.admin(cid))
    h.reset_calls()
    h.group(name, ["anna"])
    h.run()
    assert group_writes(h) == {}
    assert h.ox_groups(cid) == {}
    after = h.ox.group.getData(ctx={"id": cid}, grp={"id": 1}, auth=h.admin(cid))
    assert after.name == "users" and sorted(after.members) == sorted(default.members)
    assert h.pending() == []


def test_deletion_removes_the_group_from_every_context(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c2)
    h.group("staff", ["anna", "bob"])
    h.group("other", ["anna"])
    h.run()

    h.delete(GROUP_TYPE, group_dn("staff"))
    h.run()
    assert h.ox_groups(c1) == {"other": [uid(h, c1, "anna")]}
    assert h.ox_groups(c2) == {}
    assert h.pending() == []


def test_deleting_a_group_ox_no_longer_has_succeeds(h):
    cid = h.context()
    h.user("anna", cid)
    h.group("staff", ["anna"])
    h.run()
    h.ox.group.delete(ctx={"id": cid}, grp={"name": "staff"}, auth=h.admin(cid))
    h.delete(GROUP_TYPE, group_dn("staff"))
    h.run()
    assert h.ox_groups(cid) == {}
    assert h.pending() == []


def test_user_disabled_later_leaves_the_group_and_the_empty_group_goes(h):
    cid = h.context()
    h.user("anna", cid)
    h.user("bob", cid)
    h.group("staff", ["anna", "bob"])
    h.run()
    assert len(h.ox_groups(cid)["staff"]) == 2

    anna_id = uid(h, cid, "anna")
    h.user("bob", cid, isOxUser="Not")  # no group file queued
    h.run()
    assert h.ox_groups(cid) == {"staff": [anna_id]}

    h.user("anna", cid, isOxUser="Not")
    h.run()
    assert h.ox_groups(cid) == {}


def test_user_deleted_leaves_the_group_and_the_empty_group_goes(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c2)
    h.group("staff", ["anna", "bob"])
    h.run()
    h.delete(USER_TYPE, user_dn("bob"))
    h.run()
    assert h.ox_groups(c1) == {"staff": [uid(h, c1, "anna")]}
    assert h.ox_groups(c2) == {}


def test_user_created_after_its_group_becomes_a_member(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.group("staff", ["anna", "dave", "erin"])  # dave and erin do not exist yet
    h.run()
    assert h.ox_groups(c1) == {"staff": [uid(h, c1, "anna")]}

    h.user("dave", c1)  # no group file queued
    h.user("erin", c2)
    h.run()
    assert h.ox_groups(c1) == {"staff": sorted([uid(h, c1, "anna"), uid(h, c1, "dave")])}
    assert h.ox_groups(c2) == {"staff": [uid(h, c2, "erin")]}


def test_user_moving_context_moves_its_membership(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c1)
    h.group("staff", ["anna", "bob"])
    h.run()

    h.user("anna", c2)  # no group file queued
    h.run()
    assert h.ox_groups(c1) == {"staff": [uid(h, c1, "bob")]}
    assert h.ox_groups(c2) == {"staff": [uid(h, c2, "anna")]}


def test_only_member_moving_context_takes_the_group_along(h):
    c1, c2 = h.context(), h.context()
    h.user("anna", c1)
    h.user("bob", c2)
    h.group("staff", ["anna"])
    h.run()

    h.user("anna", c2)  # no group file queued
    h.run()
    assert h.ox_groups(c1) == {}
    assert h.ox_groups(c2) == {"staff": [uid(h, c2, "anna")]}


# -- resources -----------------------------------------------------------------------------------
def test_resource_fields(h):
    cid = h.context()
    h.resource(
        "beamer",
        cid,
        displayname="Beamer One",
        description="Projector in 101",
        resourceMailAddress="beamer1@example.org",
    )
    h.resource("room", cid, displayname="", description="")
    h.run()
    res = h.ox_resources(cid)
    assert set(res) == {"beamer", "room"}
    beamer = res["beamer"]
    assert (beamer.displayname, beamer.description, beamer.email) == (
        "Beamer One",
        "Projector in 101",
        "beamer1@example.org",
    )
    assert beamer.available is True
    assert res["room"].displayname == "room"  # UDM's default display name is the name
    assert not res["room"].description
    assert h.pending() == []


def test_resource_change(h):
    cid = h.context()
    h.resource("beamer", cid, displayname="Beamer One", description="old")
    h.run()
    ox_id = h.ox_resources(cid)["beamer"].id

    h.reset_calls()
    h.resource(
        "beamer",
        cid,
        displayname="Beamer Two",
        description="new",
        resourceMailAddress="beamer2@example.org",
    )
    h.run()
    assert h.writes() == {"OXResourceService.change": 1}
    beamer = h.ox_resources(cid)["beamer"]
    assert beamer.id == ox_id
    assert (beamer.displayname, beamer.description, beamer.email) == (
        "Beamer Two",
        "new",
        "beamer2@example.org",
    )

    h.resource(
        "beamer",
        cid,
        displayname="Beamer Two",
        description="",
        resourceMailAddress="beamer2@example.org",
    )
    h.run()
    assert not h.ox_resources(cid)["beamer"].description


def test_resources_swapping_mail_addresses_in_one_run(h):
    """OX's refusal ("Resource with this email address already exists") names no holder:
    the connector finds it, waits for it, and on the cycle parks one address."""
    cid = h.context()
    h.resource("beamer", cid, resourceMailAddress="beamer@example.org")
    h.resource("room", cid, resourceMailAddress="room@example.org")
    h.run()
    h.resource("beamer", cid, resourceMailAddress="room@example.org")
    h.resource("room", cid, resourceMailAddress="beamer@example.org")
    h.run()
    assert h.pending() == []
    res = h.ox_resources(cid)
    assert (res["beamer"].email, res["room"].email) == ("room@example.org", "beamer@example.org")


def test_user_taking_the_address_a_resource_gives_up_in_the_same_run(h):
    """Users are applied before resources, so the user meets the resource still holding
    the address: the resource is parked on a temporary one and its own step follows."""
    cid = h.context()
    h.resource("beamer", cid, resourceMailAddress="beamer@example.org")
    h.run()
    h.resource("beamer", cid, resourceMailAddress="projector@example.org")
    h.user("bea", cid, mailPrimaryAddress="beamer@example.org")
    h.run()
    assert h.pending() == []
    assert h.ox_user(cid, "bea").primaryEmail == "beamer@example.org"
    assert h.ox_resources(cid)["beamer"].email == "projector@example.org"


def test_a_holder_keeping_its_address_is_not_robbed(h):
    """The resource's pending change keeps its address: a user claiming that address must
    fail (naming the resource), not take it away by parking the resource."""
    cid = h.context()
    h.resource("beamer", cid, resourceMailAddress="beamer@example.org")
    h.run()
    h.resource("beamer", cid, resourceMailAddress="beamer@example.org", description="new")
    bea = h.user("bea", cid, mailPrimaryAddress="beamer@example.org")
    with pytest.raises(RunFailed) as failed:
        h.run()
    assert failed.value.path.name == bea.name
    assert "cn=beamer" in str(failed.value), failed.value
    assert h.ox_resources(cid)["beamer"].email == "beamer@example.org"
    assert "bea" not in h.ox_user_names(cid)


def test_resource_reapplying_makes_no_writes(h):
    cid = h.context()
    h.resource("beamer", cid, description="Projector")
    h.resource("room", cid)
    h.run()
    h.reset_calls()
    h.resource("beamer", cid, description="Projector")
    h.resource("room", cid)
    h.run()
    assert h.writes() == {}


def test_resource_context_move(h):
    c1, c2 = h.context(), h.context()
    h.resource("beamer", c1, description="Projector")
    h.resource("room", c1)
    h.run()

    h.resource("beamer", c2, description="Projector", displayname="Moved Beamer")
    h.run()
    assert set(h.ox_resources(c1)) == {"room"}
    moved = h.ox_resources(c2)["beamer"]
    assert (moved.displayname, moved.description, moved.email) == (
        "Moved Beamer",
        "Projector",
        "beamer@example.org",
    )

    # and a change in the new context is applied there
    h.reset_calls()
    h.resource("beamer", c2, description="Projector 2", displayname="Moved Beamer")
    h.run()
    assert h.writes() == {"OXResourceService.change": 1}
    assert h.ox_resources(c2)["beamer"].description == "Projector 2"


def test_resource_delete(h):
    cid = h.context()
    h.resource("beamer", cid)
    h.resource("room", cid)
    h.run()
    h.delete(RESOURCE_TYPE, "cn=beamer,cn=oxresources,dc=example,dc=org")
    h.run()
    assert set(h.ox_resources(cid)) == {"room"}
    assert h.pending() == []


def test_deleting_a_resource_ox_no_longer_has_succeeds(h):
    cid = h.context()
    h.resource("beamer", cid)
    h.run()
    h.ox.resource.delete(
        ctx={"id": cid}, res={"id": h.ox_resources(cid)["beamer"].id}, auth=h.admin(cid)
    )
    h.delete(RESOURCE_TYPE, "cn=beamer,cn=oxresources,dc=example,dc=org")
    h.run()
    assert h.ox_resources(cid) == {}
    assert h.pending() == []


def test_deleting_in_a_context_ox_no_longer_has_succeeds(h):
    cid = h.context()
    h.user("anna", cid)
    h.group("staff", ["anna"])
    h.resource("beamer", cid)
    h.run()
    h.ox.context.delete(ctx={"id": cid}, auth=h.ox.master)  # behind the connector's back
    h.delete(GROUP_TYPE, group_dn("staff"))
    h.delete(RESOURCE_TYPE, "cn=beamer,cn=oxresources,dc=example,dc=org")
    h.run()
    assert h.pending() == []


def test_resource_without_context_goes_to_the_default_context(emulator, ox, tmp_path):
    default = next(_context_ids)
    harness = Harness(emulator, ox, tmp_path, default_context=default)
    harness.context(default)
    obj = udm_resource("beamer", default)
    del obj["oxContext"]
    harness.write(RESOURCE_TYPE, "cn=beamer,cn=oxresources,dc=example,dc=org", obj)
    harness.run()
    assert set(harness.ox_resources(default)) == {"beamer"}


def test_a_renamed_members_old_dn_taken_by_a_new_user_keeps_the_group(changeable):
    """In one run: anna renamed to hanna (the group's file, re-queued by refint, lists the
    new DN), and a new user takes anna's old DN in another context. Refreshing the group
    from its stale stored member list would move it to the other context and re-create
    it with a new OX id; the group's own pending change must decide instead."""
    h = changeable
    c1, c2 = h.context(), h.context()
    h.profile()
    h.user("anna", c1)
    h.group("team", ["anna"])
    h.run()
    group_id = h.ox.group.getData(ctx={"id": c1}, grp={"name": "team"}, auth=h.admin(c1)).id
    anna_id = h.ids[user_dn("anna").lower()]
    h.write("users/user", user_dn("hanna"), udm_user("hanna", c1), object_id=anna_id)
    h.write("groups/group", group_dn("team"), udm_group("team", [user_dn("hanna")]))
    h.write(
        "users/user",
        user_dn("anna"),
        udm_user("anna", c2, mailPrimaryAddress="anna2@example.org", oxDisplayName="Anna Two"),
        object_id=str(uuid.uuid4()),
    )
    h.run()
    team = h.ox.group.getData(ctx={"id": c1}, grp={"name": "team"}, auth=h.admin(c1))
    assert team.id == group_id
    assert team.members == [h.ox_user(c1, "hanna").id]
    assert h.ox_groups(c2) == {}


def test_a_deferred_rename_goes_right_after_the_owner_before_the_groups(changeable):
    """bb renamed to cc, aa renamed to bb, cc edited, in one run: aa's rename waits for
    the holder of "bb" and must run right after it, still before the group step that
    looks its new DN up (one step later, the group lost its member)."""
    h = changeable
    cid = h.context()
    h.profile()
    h.user("aa", cid)
    h.user("bb", cid)
    h.group("team", ["aa"])
    h.run()
    team_id = h.ox.group.getData(ctx={"id": cid}, grp={"name": "team"}, auth=h.admin(cid)).id
    aa_ox = h.ox_user(cid, "aa").id
    a_id, b_id = h.ids[user_dn("aa").lower()], h.ids[user_dn("bb").lower()]
    h.write("users/user", user_dn("cc"), udm_user("cc", cid), object_id=b_id)
    h.write("users/user", user_dn("bb"), udm_user("bb", cid), object_id=a_id)
    h.write("groups/group", group_dn("team"), udm_group("team", [user_dn("bb")]))
    h.write("users/user", user_dn("cc"), udm_user("cc", cid, title="Dr."), object_id=b_id)
    h.run()
    assert h.pending() == []
    team = h.ox.group.getData(ctx={"id": cid}, grp={"name": "team"}, auth=h.admin(cid))
    assert (team.id, team.members) == (team_id, [aa_ox])
    assert h.ox_user(cid, "bb").id == aa_ox
