"""OXContextService semantics, over HTTP, with a client built from the reference WSDLs."""

from __future__ import annotations

import pytest

from ..oxclient import admin_user, new_context, raises_fault


def test_create_makes_admin_user_2_and_default_group_users_1(ox, ctx):
    admin = ox.user.getContextAdmin(ctx=ctx.ref, auth=ctx.admin)
    assert (admin.id, admin.name, admin.contextadmin) == (2, "oxadmin", True)
    group = ox.group.getDefaultGroup(ctx=ctx.ref, auth=ctx.admin)
    assert (group.id, group.name) == (1, "users")
    assert group.members == [2]
    assert ox.context.getAdminId(ctx=ctx.ref, auth=ox.master) == 2


def test_id_and_name_are_added_to_login_mappings(ox):
    c = new_context(ox, id=4711, name="school", loginMappings=["school.example.org"])
    data = ox.context.getData(ctx=c.ref, auth=ox.master)
    assert sorted(data.loginMappings) == ["4711", "school", "school.example.org"]
    assert data.name == "school" and data.enabled is True


def test_name_defaults_to_id(ox):
    cid = 4712
    ox.context.create(ctx={"id": cid, "maxQuota": 100}, admin_user=admin_user(), auth=ox.master)
    data = ox.context.getData(ctx={"id": cid}, auth=ox.master)
    assert data.name == str(cid) and data.maxQuota == 100


def test_unlimited_quota_reads_back_as_nil(ox, ctx):
    assert ox.context.getData(ctx=ctx.ref, auth=ox.master).maxQuota is None
    ox.context.change(ctx={"id": ctx.id, "maxQuota": 2048}, auth=ox.master)
    assert ox.context.getData(ctx=ctx.ref, auth=ox.master).maxQuota == 2048
    ox.context.change(ctx={"id": ctx.id, "maxQuota": -1}, auth=ox.master)
    assert ox.context.getData(ctx=ctx.ref, auth=ox.master).maxQuota is None


def test_create_needs_master_credentials(ox):
    raises_fault(
        "Authentication failed",
        ox.context.create,
        ctx={"id": 4713, "maxQuota": -1},
        admin_user=admin_user(),
        auth={"login": "oxadminmaster", "password": "wrong"},
    )
    raises_fault(
        "Authentication failed",
        ox.context.create,
        ctx={"id": 4713, "maxQuota": -1},
        admin_user=admin_user(),
        auth=None,
    )


def test_existing_id_and_name_are_refused(ox, ctx):
    raises_fault(
        f"Context {ctx.id} already exists!",
        ox.context.create,
        ctx={"id": ctx.id, "maxQuota": -1},
        admin_user=admin_user(),
        auth=ox.master,
    )
    raises_fault(
        f"Context context{ctx.id} already exists!",
        ox.context.create,
        ctx={"id": 4714, "name": f"context{ctx.id}", "maxQuota": -1},
        admin_user=admin_user(),
        auth=ox.master,
    )


@pytest.mark.parametrize(
    "cid,message",
    [
        (0, "The context identifier 0 is not allowed!"),
        (-5, "The context identifier -5 is not allowed!"),
    ],
)
def test_context_id_must_be_positive(ox, cid, message):
    raises_fault(
        message,
        ox.context.create,
        ctx={"id": cid, "maxQuota": -1},
        admin_user=admin_user(),
        auth=ox.master,
    )


def test_missing_quota_and_admin_fields_are_named(ox):
    raises_fault(
        "Mandatory fields in context not set: [maxQuota]",
        ox.context.create,
        ctx={"id": 4715},
        admin_user=admin_user(),
        auth=ox.master,
    )
    incomplete = admin_user()
    del incomplete["given_name"], incomplete["email1"]
    raises_fault(
        "Mandatory fields in admin user not set: [given_name, email1]",
        ox.context.create,
        ctx={"id": 4715, "maxQuota": -1},
        admin_user=incomplete,
        auth=ox.master,
    )
    assert ox.context.exists(ctx={"id": 4715}, auth=ox.master) is False


def test_login_mapping_in_use_elsewhere_is_refused(ox, ctx):
    raises_fault(
        f"Cannot map 'context{ctx.id}' to the newly created context. This mapping is "
        "already in use.",
        ox.context.create,
        ctx={"id": 4716, "maxQuota": -1, "loginMappings": [f"context{ctx.id}"]},
        admin_user=admin_user(),
        auth=ox.master,
    )
    other = new_context(ox)
    raises_fault(
        f'A mapping with login info "context{ctx.id}" already exists in the system!',
        ox.context.change,
        ctx={"id": other.id, "loginMappings": [f"context{ctx.id}"]},
        auth=ox.master,
    )


def test_change_replaces_mappings_but_keeps_id_and_name(ox, ctx):
    ox.context.change(
        ctx={"id": ctx.id, "loginMappings": ["a.example", "b.example"]}, auth=ox.master
    )
    got = ox.context.getData(ctx=ctx.ref, auth=ox.master).loginMappings
    assert sorted(got) == sorted([str(ctx.id), f"context{ctx.id}", "a.example", "b.example"])
    ox.context.change(
        ctx={"id": ctx.id, "name": "renamed", "loginMappings": ["a.example"]}, auth=ox.master
    )
    data = ox.context.getData(ctx=ctx.ref, auth=ox.master)
    assert data.name == "renamed"
    assert sorted(data.loginMappings) == sorted([str(ctx.id), "renamed", "a.example"])


def test_rename_to_a_taken_name_is_refused(ox, ctx):
    other = new_context(ox)
    raises_fault(
        f"Context context{other.id} already exists!",
        ox.context.change,
        ctx={"id": ctx.id, "name": f"context{other.id}"},
        auth=ox.master,
    )


def test_missing_context_faults(ox):
    raises_fault(
        "Context 999999 does not exist", ox.context.getData, ctx={"id": 999999}, auth=ox.master
    )
    raises_fault(
        "Context 999999 does not exist", ox.context.delete, ctx={"id": 999999}, auth=ox.master
    )
    raises_fault(
        "Context 999999 does not exist",
        ox.context.change,
        ctx={"id": 999999, "maxQuota": 5},
        auth=ox.master,
    )
    assert ox.context.exists(ctx={"id": 999999}, auth=ox.master) is False
    assert ox.context.exists(ctx={"name": "no-such-context"}, auth=ox.master) is False


def test_context_scoped_call_on_missing_context_is_authentication_failed(ox, ctx):
    raises_fault(
        "Authentication failed",
        ox.user.list,
        ctx={"id": 999999},
        search_pattern="*",
        auth=ctx.admin,
    )
    raises_fault(
        "Client sent invalid context data object",
        ox.user.list,
        ctx={},
        search_pattern="*",
        auth=ctx.admin,
    )


def test_context_admin_may_read_its_own_context_only(ox, ctx):
    assert ox.context.getData(ctx=ctx.ref, auth=ctx.admin).id == ctx.id
    other = new_context(ox)
    raises_fault("Authentication failed", ox.context.getData, ctx=other.ref, auth=ctx.admin)
    raises_fault("Authentication failed", ox.context.list, search_pattern="*", auth=ctx.admin)


def test_list_matches_name_mapping_or_id(ox):
    c = new_context(ox, name="listme-alpha", loginMappings=["alpha.example"])
    by_name = ox.context.list(search_pattern="listme-*", auth=ox.master)
    assert [x.id for x in by_name] == [c.id]
    assert [x.id for x in ox.context.list(search_pattern="alpha.example", auth=ox.master)] == [c.id]
    assert c.id in [x.id for x in ox.context.list(search_pattern=str(c.id), auth=ox.master)]
    every = ox.context.listAll(auth=ox.master)
    assert c.id in [x.id for x in every]
    assert [x.id for x in every] == sorted(x.id for x in every)


def test_delete_removes_context_with_everything(ox):
    c = new_context(ox)
    c.create_user("gone")
    ox.context.delete(ctx=c.ref, auth=ox.master)
    assert ox.context.exists(ctx=c.ref, auth=ox.master) is False
    raises_fault("Authentication failed", ox.user.list, ctx=c.ref, search_pattern="*", auth=c.admin)
    # the id and its mappings are free again
    new_context(ox, id=c.id)


def test_enable_disable(ox, ctx):
    ox.context.disable(ctx=ctx.ref, auth=ox.master)
    assert ox.context.getData(ctx=ctx.ref, auth=ox.master).enabled is False
    ox.context.enable(ctx=ctx.ref, auth=ox.master)
    assert ox.context.getData(ctx=ctx.ref, auth=ox.master).enabled is True


def test_quota_modules(ox, ctx):
    ox.context.changeQuota(ctx=ctx.ref, module="infostore", quotaValue="100", auth=ox.master)
    quotas = ox.context.listQuota(ctx=ctx.ref, auth=ox.master)
    assert [(q.module, q.limit) for q in quotas] == [("infostore", 100)]
    ox.context.changeQuota(ctx=ctx.ref, module="infostore", quotaValue="-1", auth=ox.master)
    assert ox.context.listQuota(ctx=ctx.ref, auth=ox.master) == []


def test_module_access_by_name(ox):
    cid = 4720
    ox.context.createModuleAccessByName(
        ctx={"id": cid, "maxQuota": -1},
        admin_user=admin_user(),
        access_combination_name="webmail",
        auth=ox.master,
    )
    assert ox.context.getAccessCombinationName(ctx={"id": cid}, auth=ox.master) == "webmail"
    access = ox.context.getModuleAccess(ctx={"id": cid}, auth=ox.master)
    assert access.webmail is True and access.calendar is False
    raises_fault(
        'No such access combination name "gold"',
        ox.context.changeModuleAccessByName,
        ctx={"id": cid},
        access_combination_name="gold",
        auth=ox.master,
    )
