"""``ox-connector check``: after the connector's syncs OX shows no drift; changes made to
OX by hand are found, named, and undone by ``check --fix --prune``, after which OX is what
the directory says again (checked in OX, not in the connector's report alone)."""

from __future__ import annotations

import pytest

from .tamper import OXTamper
from .test_users import check_user


def by_problem(findings: list[dict]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for f in findings:
        out.setdefault(f["problem"], []).append((f["udm_object_type"], f["name"]))
    return {k: sorted(v) for k, v in out.items()}


@pytest.mark.observes("admin_command")
def test_check_finds_what_was_changed_by_hand_and_fix_undoes_it(backend):
    cid = backend.context()["contextid"]
    anna, bert = backend.user(context=cid), backend.user(context=cid)
    staff = backend.group(members=[anna, bert])
    room = backend.resource(anna, context=cid)
    shared = backend.functional_account(users=[anna])
    team = backend.functional_account(users=[anna, bert])
    backend.sync()
    assert backend.check(cid) == [], "drift right after the connector's own sync"

    ox_user = backend.ox.user(cid, bert["username"])
    ox_group = backend.ox.groups(cid)[staff["name"]]
    tamper = OXTamper(backend.ox)
    tamper.rename_user_display(cid, ox_user["id"], "Changed By Hand")
    tamper.delete_group(cid, ox_group["id"])
    stray = backend.unique("stray")
    tamper.create_resource(cid, stray, backend.mail(stray))
    tamper.delete_account(cid, team["mailPrimaryAddress"], ox_user["id"])
    anna_id = backend.ox.user(cid, anna["username"])["id"]
    tamper.change_account_personal(cid, shared["mailPrimaryAddress"], anna_id, "By Hand")

    findings = backend.check(cid)
    assert by_problem(findings) == {
        "different": [
            ("oxmail/functional_account", f"{shared['mailPrimaryAddress']} (user {anna_id})"),
            ("users/user", bert["username"]),
        ],
        "missing": [
            ("groups/group", staff["name"]),
            # one OX account per member: named by the address and the member's OX id
            ("oxmail/functional_account", f"{team['mailPrimaryAddress']} (user {ox_user['id']})"),
        ],
        "orphan": [("oxresources/oxresources", stray)],
    }
    different = {f["udm_object_type"]: f for f in findings if f["problem"] == "different"}
    assert (different["users/user"]["dn"], different["users/user"]["fields"]) == (
        bert.dn,
        ["display_name"],
    )
    account = different["oxmail/functional_account"]
    assert (account["dn"], account["object_id"]) == (shared.dn, shared.id)
    assert account["fields"] == ["name", "personal", "login"]
    missing = next(f for f in findings if f["problem"] == "missing")
    assert (missing["dn"], missing["object_id"]) == (staff.dn, staff.id)
    orphan = next(f for f in findings if f["problem"] == "orphan")
    assert (orphan["dn"], orphan["object_id"]) == (None, None)

    # without --prune the orphan stays (and is reported again); the rest is repaired
    backend.check(cid, fix=True)
    assert by_problem(backend.check(cid)) == {"orphan": [("oxresources/oxresources", stray)]}
    backend.check(cid, fix=True, prune=True)
    assert backend.check(cid) == []

    check_user(backend, bert)
    check_user(backend, anna)
    group = backend.ox.groups(cid)[staff["name"]]
    assert group["members"] == sorted([anna["username"], bert["username"]])
    assert group["id"] != ox_group["id"]  # re-created: OX gives a new id
    resources = backend.ox.resources(cid)
    assert set(resources) == {room["name"]}
    accounts = backend.ox.functional_accounts(cid)
    assert accounts[shared["mailPrimaryAddress"]]["users"] == [anna["username"]]
    assert accounts[shared["mailPrimaryAddress"]]["personal"] != "By Hand"
    both = sorted([anna["username"], bert["username"]])
    assert accounts[team["mailPrimaryAddress"]]["users"] == both


@pytest.mark.observes("admin_command")
def test_objects_ox_already_has_are_adopted(backend):
    """An installation taking over from another provisioning (or a run interrupted after
    OX created the object): OX already has a user, a group and a resource by the names the
    directory's objects map to. The connector adopts each (same OX id) and makes it match
    the directory instead of failing or creating a second one; check then finds no drift."""
    cid = backend.context()["contextid"]
    backend.sync()
    tamper = OXTamper(backend.ox)
    name, group_name, room_name = (backend.unique(p) for p in ("u", "group", "room"))
    user_id = tamper.create_user(cid, name, backend.mail(name))["id"]
    group_id = tamper.create_group(cid, group_name, [user_id])["id"]
    room_id = tamper.create_resource(cid, room_name, backend.mail(room_name))["id"]

    anna = backend.user(username=name, context=cid)
    bert = backend.user(context=cid)
    staff = backend.group(name=group_name, members=[anna, bert])
    room = backend.resource(anna, name=room_name, context=cid, description="adopted")
    backend.sync()

    assert check_user(backend, anna)["id"] == user_id
    group = backend.ox.groups(cid)[staff["name"]]
    assert (group["id"], group["displayname"]) == (group_id, staff["name"])
    assert group["members"] == sorted([anna["username"], bert["username"]])
    found = backend.ox.resources(cid)[room["name"]]
    assert (found["id"], found["displayname"], found["description"]) == (
        room_id,
        room["displayname"],
        "adopted",
    )
    assert backend.check(cid) == []


def test_a_context_ox_already_has_is_adopted_with_the_directory_name_and_quota(backend):
    """A context made in OX by hand (by its id) before the directory's context object:
    the connector adopts it (same id, OX keeps its admin) and gives it the directory's
    name and quota."""
    cid = backend.new_context_id()
    OXTamper(backend.ox).create_context(cid, f"by-hand-{cid}")
    context = backend.context(cid, oxQuota=2048)
    backend.sync()
    found = backend.ox.context(cid)
    assert (found["name"], found["maxQuota"]) == (context["name"], 2048)
