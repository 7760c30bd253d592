"""Desired contexts, groups and resources: the pure mappings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.desired.context import desired_context
from connector.desired.errors import InvalidAttribute
from connector.desired.group import desired_group, members_by_context
from connector.desired.resource import desired_resource


def test_context_defaults_and_admin_names():
    c = desired_context({"contextid": 10, "name": "", "oxQuota": None}, default_context=10)
    assert (c.id, c.name, c.max_quota, c.admin_name) == (10, "context10", -1, "oxadmin")
    assert c.login_mappings == ("context10", "10")
    assert c.admin_mail("example.org") == "oxadmin@example.org"
    other = desired_context({"contextid": "12", "name": "school", "oxQuota": "2048"}, 10)
    assert (other.name, other.max_quota, other.admin_name) == ("school", 2048, "oxadmin-context12")


@pytest.mark.parametrize("quota", [0, "0", "", None, "-1"])
def test_context_quota_zero_or_empty_is_unlimited(quota):
    assert desired_context({"contextid": 3, "oxQuota": quota}, 10).max_quota == -1


def test_context_without_id_is_invalid():
    with pytest.raises(InvalidAttribute, match='field "contextid"'):
        desired_context({"name": "x"}, 10)


def test_group_fields_and_default_group_not_synced():
    g = desired_group(
        {"name": "staff", "isOxGroup": "OK", "users": ["uid=a,dc=x", "uid=b,dc=x", "uid=a,dc=x"]}
    )
    assert (g.enabled, g.synced, g.member_dns) == (True, True, ("uid=a,dc=x", "uid=b,dc=x"))
    assert desired_group({"name": "Users", "isOxGroup": "OK"}).synced is False
    assert desired_group({"name": "staff", "isOxGroup": "Not"}).synced is False
    # a single DN is a list of one (issue 14); another type is refused, naming the field
    assert desired_group({"name": "staff", "users": "uid=a,dc=x"}).member_dns == ("uid=a,dc=x",)
    with pytest.raises(InvalidAttribute, match='field "users"'):
        desired_group({"name": "staff", "users": {"dn": "uid=a,dc=x"}})


def test_members_are_bucketed_by_context_and_unknown_users_dropped():
    placements = {"uid=a,dc=x": (10, 3), "uid=b,dc=x": (11, 7), "uid=c,dc=x": (10, 5)}
    got = members_by_context(
        ("uid=a,dc=x", "uid=b,dc=x", "uid=c,dc=x", "uid=gone,dc=x"), placements.get
    )
    assert got == {10: [3, 5], 11: [7]}


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=5),
        st.tuples(st.integers(1, 4), st.integers(2, 50)),
        max_size=12,
    ),
    st.lists(st.text(min_size=1, max_size=5), max_size=15),
)
def test_members_by_context_property(placements, dns):
    got = members_by_context(tuple(dns), placements.get)
    expected: dict[int, set[int]] = {}
    for dn in dns:
        if dn in placements:
            expected.setdefault(placements[dn][0], set()).add(placements[dn][1])
    assert {k: set(v) for k, v in got.items()} == expected
    assert all(v == sorted(v) for v in got.values())


def test_resource_mapping():
    r = desired_resource(
        {
            "name": "beamer 1",
            "resourceMailAddress": "beamer@example.org",
            "description": None,
            "oxContext": "11",
        },
        10,
    )
    assert (r.context_id, r.name) == (11, "beamer 1")
    assert r.fields == {
        "displayname": "beamer 1",
        "description": "",
        "email": "beamer@example.org",
        "available": True,
    }
    with pytest.raises(InvalidAttribute, match='field "resourceMailAddress"'):
        desired_resource({"name": "x"}, 10)


def test_context_name_must_fit_ox_login_mappings():
    from connector.desired.context import desired_context
    from connector.desired.errors import InvalidAttribute

    with pytest.raises(InvalidAttribute, match=r'field "name".*letters, digits'):
        desired_context({"contextid": "7", "name": "Schule Nord"}, 10)
    assert desired_context({"contextid": "7", "name": "schule-nord.2"}, 10).name == "schule-nord.2"
