"""Bad values inside well-formed queue files (issue 14), end to end through the real
``ox-connector run`` against the emulator over HTTP, plus the desired layer's rule:

- control characters, NUL, surrogates in any string of any kind (also list values and
  aliases) are an ``InvalidAttribute`` naming the UDM property and the character's
  position, raised before any SOAP call (they used to end in lxml's "All strings must be
  XML compatible", logged as an unexpected error with a traceback);
- tabs and line breaks at either end of a value are stripped; inside a name, mail address
  or login they are refused; free text keeps them;
- a single value where UDM's converter may send a list is a one-element list (it used to
  be split into characters).
"""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.desired import values
from connector.desired.access import desired_access_profile
from connector.desired.context import desired_context
from connector.desired.errors import InvalidAttribute
from connector.desired.functional_account import desired_functional_account
from connector.desired.group import desired_group
from connector.desired.resource import desired_resource
from connector.desired.templates import fa_login_template
from connector.desired.user import USER_FIELDS, MailDefaults, desired_user

from .harness import BASE, Harness, group_dn, log_records, ready, udm_user, user_dn

pytestmark = pytest.mark.usefixtures("clean_faults")

FA_TYPE = "oxmail/functional_account"


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


def fa_object(cn: str, users: object, **props) -> dict:
    return {
        "name": cn,
        "mailPrimaryAddress": f"{cn}@example.org",
        "personal": "",
        "users": users,
        "groups": [],
        **props,
    }


# -- control characters: every kind, over HTTP ----------------------------------------------------


def _user(h: Harness, cid: int, **props):
    return h.write("users/user", user_dn("ctl"), udm_user("ctl", cid, **props))


def _group(h: Harness, cid: int, **props):
    return h.write("groups/group", group_dn("ctlgroup"), {"isOxGroup": "OK", "users": [], **props})


def _resource(h: Harness, cid: int, **props):
    obj = {
        "name": "ctlroom",
        "displayname": "Room",
        "description": "",
        "resourceMailAddress": "ctlroom@example.org",
        "oxContext": cid,
        "resourceadmin": 2001,
        **props,
    }
    return h.write("oxresources/oxresources", f"cn=ctlroom,cn=oxresources,{BASE}", obj)


def _context(h: Harness, cid: int, **props):
    other = cid + 7000
    obj = {"contextid": other, "name": f"context{other}", "oxQuota": None, **props}
    return h.write("oxmail/oxcontext", f"cn=context{other},cn=open-xchange,{BASE}", obj)


def _profile(h: Harness, cid: int, **props):
    obj = {"name": "ctlprofile", "webmail": "TRUE", **props}
    return h.write("oxmail/accessprofile", f"cn=ctlprofile,cn=accessprofiles,{BASE}", obj)


def _fa(h: Harness, cid: int, **props):
    obj = fa_object("ctlfa", [user_dn("anna")], **props)
    return h.write(FA_TYPE, f"cn=ctlfa,cn=functional_accounts,cn=open-xchange,{BASE}", obj)


# case: (queue one file, its properties, the property named, the position named)
CONTROL_CASES = {
    "user-lastname-soh": (_user, {"lastname": "Ctl\u0001End"}, "lastname", 4),
    "user-note-nul": (_user, {"oxNote": "a\u0000b"}, "oxNote", 2),
    "user-surrogate": (_user, {"firstname": "x\ud800"}, "firstname", 2),
    "user-c1-control": (_user, {"oxDisplayName": "Ctl\u0085"}, "oxDisplayName", 4),
    "user-username": (_user, {"username": "ct\u0007l"}, "username", 3),
    "user-phone-second": (_user, {"phone": ["+49 1", "+49\u001b2"]}, "phone[1]", 4),
    "user-alias": (
        _user,
        {"mailAlternativeAddress": ["ok@example.org", "b\u0000d@example.org"]},
        "mailAlternativeAddress[1]",
        2,
    ),
    "user-primary-mail": (
        _user,
        {"mailPrimaryAddress": "ctl@exa\u0008mple.org"},
        "mailPrimaryAddress",
        8,
    ),
    "user-language": (_user, {"oxLanguage": "de\u0000DE"}, "oxLanguage", 3),
    "user-line-break-in-name": (_user, {"username": "ct\nl"}, "username", 3),
    "group-name": (_group, {"name": "staff\u0002"}, "name", 6),
    "resource-description": (_resource, {"description": "x\u000by"}, "description", 2),
    "resource-mail": (
        _resource,
        {"resourceMailAddress": "\u0000r@example.org"},
        "resourceMailAddress",
        1,
    ),
    "context-name": (_context, {"name": "ctx\u0000"}, "name", 4),
    "profile-name": (_profile, {"name": "ctl\u0000profile"}, "name", 4),
    "fa-personal": (_fa, {"personal": "Help\u0001Desk"}, "personal", 5),
    "fa-name": (_fa, {"name": "Help\u007fDesk"}, "name", 5),
}


@pytest.mark.parametrize("case", sorted(CONTROL_CASES))
def test_a_control_character_names_property_and_position_before_any_soap_call(harness, case):
    queue_it, props, prop, position = CONTROL_CASES[case]
    cid = ready(harness, "anna")
    bad = queue_it(harness, cid, **props)
    profiles = (harness.state / "ModuleAccessDefinitions.properties").read_bytes()
    harness.reset_calls()
    result = harness.run_cli()
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    records = log_records(result.stderr, strict=True)
    assert not [r for r in records if r["msg"] == "unexpected error"], result.stderr
    failed = [r for r in records if r["level"] == "error" and r.get("file") == bad.name]
    assert failed, result.stderr
    assert failed[0]["error_type"] == "InvalidAttribute"
    assert f'field "{prop}"' in failed[0]["error"], failed[0]
    assert f"at position {position}" in failed[0]["error"], failed[0]
    assert harness.calls() == {}  # refused before any SOAP call
    assert harness.pending() == [bad.name]  # stop mode: kept, and named
    assert (harness.state / "ModuleAccessDefinitions.properties").read_bytes() == profiles


def test_tabs_and_line_breaks_at_either_end_are_stripped_inside_free_text_kept(harness):
    cid = ready(harness)
    harness.user(
        "nl",
        cid,
        lastname="Tester\n",
        oxNote="line one\nline two\r\n",
        mailPrimaryAddress="\tnl@example.org\r\n",
        mailAlternativeAddress=["nl.alias@example.org\n"],
        username="nl\n",
    )
    harness.group("crew\n", ["nl"])
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    user = harness.ox_user(cid, "nl")
    assert user.sur_name == "Tester"
    assert user.note == "line one\nline two"
    assert user.primaryEmail == user.email1 == "nl@example.org"
    assert sorted(user.aliases) == ["nl.alias@example.org", "nl@example.org"]
    assert set(harness.ox_groups(cid)) == {"crew"}
    # the same file again writes nothing: what was stripped stays stripped
    harness.user(
        "nl",
        cid,
        lastname="Tester\n",
        oxNote="line one\nline two\r\n",
        mailPrimaryAddress="\tnl@example.org\r\n",
        mailAlternativeAddress=["nl.alias@example.org\n"],
        username="nl\n",
    )
    harness.reset_calls()
    assert harness.run_cli().returncode == 0
    assert harness.writes() == {}


# -- the desired layer, every kind and field ----------------------------------------------------

DEFAULTS = MailDefaults()
USER = {
    "username": "anna",
    "isOxUser": "OK",
    "oxContext": 10,
    "lastname": "Alt",
    "mailPrimaryAddress": "anna@example.org",
    "oxAccess": "premium",
}
REFUSED = st.one_of(
    st.sampled_from([*map(chr, range(0x00, 0x09)), "\x0b", "\x0c", "\x7f", "\x9f", "\ufffe"]),
    st.characters(min_codepoint=0x0E, max_codepoint=0x1F),
    st.characters(min_codepoint=0x80, max_codepoint=0x9F),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
)
plain = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn")), max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted({(m.ox, m.udm, m.index) for m in USER_FIELDS})),
    plain,
    REFUSED,
    plain,
)
def test_every_mapped_user_field_refuses_a_control_character_naming_it(field, head, bad, tail):
    _ox, udm, index = field
    value = head + bad + tail
    obj = {**USER, udm: [*["x"] * index, value] if index else value}
    with pytest.raises(InvalidAttribute) as refused:
        desired_user(obj, DEFAULTS)
    label = f"{udm}[{index}]" if index else udm
    assert refused.value.udm_property == label
    assert f"at position {len(head) + 1}" in str(refused.value)
    assert f"U+{ord(bad):04X}" in str(refused.value)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted({(m.ox, m.udm) for m in USER_FIELDS if m.index == 0})), plain)
def test_every_mapped_user_field_strips_line_breaks_at_the_ends_and_keeps_them_inside(field, text):
    ox, udm = field
    value = f"\n{text}\tinside\r\nend\r\n"
    got = desired_user({**USER, udm: value}, DEFAULTS).fields[ox]
    assert got == f"{text}\tinside\r\nend".strip("\t\r\n")


@pytest.mark.parametrize(
    "build, prop",
    [
        (lambda v: desired_context({"contextid": 12, "name": v}, 10), "name"),
        (lambda v: desired_group({"name": v, "users": []}), "name"),
        (lambda v: desired_resource({"name": v, "resourceMailAddress": "r@x.org"}, 10), "name"),
        (
            lambda v: desired_resource({"name": "r", "resourceMailAddress": v}, 10),
            "resourceMailAddress",
        ),
        (
            lambda v: desired_resource(
                {"name": "r", "resourceMailAddress": "r@x", "displayname": v}, 10
            ),
            "displayname",
        ),
        (lambda v: desired_access_profile({"name": v}), "name"),
        (lambda v: desired_functional_account(fa_object("f", [], name=v)), "name"),
        (
            lambda v: desired_functional_account(fa_object("f", [], mailPrimaryAddress=v)),
            "mailPrimaryAddress",
        ),
        (lambda v: desired_functional_account(fa_object("f", [], personal=v)), "personal"),
        (lambda v: desired_user({**USER, "mailHomeServer": v}, DEFAULTS), "mailHomeServer"),
        (lambda v: desired_user({**USER, "oxTimeZone": v}, DEFAULTS), "oxTimeZone"),
        (lambda v: desired_user({**USER, "oxAccess": v}, DEFAULTS), "oxAccess"),
        (
            lambda v: desired_user({**USER, "mailAlternativeAddress": ["a@x.org", v]}, DEFAULTS),
            "mailAlternativeAddress[1]",
        ),
    ],
)
@pytest.mark.parametrize("bad", ["\u0000", "\u0001", "\u001f", "\ud800", "\uffff"])
def test_other_kinds_refuse_a_control_character_naming_the_property(build, prop, bad):
    with pytest.raises(InvalidAttribute) as refused:
        build(f"ab{bad}c")
    assert refused.value.udm_property == prop
    assert "at position 3" in str(refused.value)


def test_the_login_template_names_the_placeholder_with_a_control_character():
    template = fa_login_template("{{fa_entry_uuid}}{{title}}")
    with pytest.raises(InvalidAttribute) as refused:
        template.render({"fa_entry_uuid": "u1", "title": "Dr\u0000"})
    assert refused.value.udm_property == "title" and "at position 3" in str(refused.value)
    assert template.render({"fa_entry_uuid": "u1", "title": "Dr\n"}) == "u1Dr"


def test_names_and_addresses_are_one_line_free_text_is_not():
    with pytest.raises(InvalidAttribute, match=r'field "name": line break U\+000A at position 3'):
        desired_group({"name": "ab\ncd"})
    with pytest.raises(
        InvalidAttribute, match=r'field "mailPrimaryAddress": tab U\+0009 at position 3'
    ):
        desired_user({**USER, "mailPrimaryAddress": "\na\tb@x.org"}, DEFAULTS)
    note = desired_user({**USER, "oxNote": "one\n\ttwo"}, DEFAULTS).fields["note"]
    assert note == "one\n\ttwo"
    assert values.clean("p", "\r\n\tx y \t\n") == "x y "


# -- a single value where the converter may send a list -----------------------------------------


def test_a_single_alias_is_one_alias_not_its_characters(harness):
    cid = ready(harness)
    harness.user("solo", cid, mailAlternativeAddress="solo.alias@example.org")
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    assert sorted(harness.ox_user(cid, "solo").aliases) == [
        "solo.alias@example.org",
        "solo@example.org",
    ]


def test_a_single_member_dn_is_one_member_of_a_group_and_a_functional_account(harness):
    cid = ready(harness, "anna", "bert")
    harness.write(
        "groups/group",
        group_dn("solo"),
        {"name": "solo", "isOxGroup": "OK", "users": user_dn("anna")},
    )
    harness.write(
        FA_TYPE,
        f"cn=solofa,cn=functional_accounts,cn=open-xchange,{BASE}",
        fa_object("solofa", user_dn("bert"), groups=group_dn("solo")),
    )
    result = harness.run_cli()
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    anna, bert = (harness.ox_user(cid, n).id for n in ("anna", "bert"))
    assert harness.ox_groups(cid) == {"solo": [anna]}
    accounts = harness.ox.secondary.list(
        context={"id": cid}, users=[], groups=[], auth=harness.admin(cid)
    )
    assert sorted(a.userId for a in accounts if a.primaryAddress == "solofa@example.org") == sorted(
        [anna, bert]
    )
    # anna leaves the group (a scalar again: now bert): the account follows without its file
    harness.write(
        "groups/group",
        group_dn("solo"),
        {"name": "solo", "isOxGroup": "OK", "users": user_dn("bert")},
    )
    assert harness.run_cli().returncode == 0
    accounts = harness.ox.secondary.list(
        context={"id": cid}, users=[], groups=[], auth=harness.admin(cid)
    )
    assert [a.userId for a in accounts if a.primaryAddress == "solofa@example.org"] == [bert]


@pytest.mark.parametrize(
    "prop, value, expected",
    [
        ("mailAlternativeAddress", "a@x.org", ["anna@example.org", "a@x.org"]),
        ("mailAlternativeAddress", ["a@x.org"], ["anna@example.org", "a@x.org"]),
        ("mailAlternativeAddress", None, ["anna@example.org"]),
        ("mailAlternativeAddress", "", ["anna@example.org"]),
    ],
)
def test_aliases_accept_a_scalar_as_one_value(prop, value, expected):
    assert desired_user({**USER, prop: value}, DEFAULTS).fields["aliases"] == expected


def test_member_lists_accept_a_scalar_and_refuse_other_types_naming_them():
    assert desired_group({"name": "g", "users": "uid=a,dc=x"}).member_dns == ("uid=a,dc=x",)
    account = desired_functional_account(fa_object("f", "uid=a,dc=x", groups="cn=g,dc=x"))
    assert (account.user_dns, account.group_dns) == (("uid=a,dc=x",), ("cn=g,dc=x",))
    for bad in ({"a": 1}, 5, True, ["uid=a,dc=x", 3]):
        with pytest.raises(InvalidAttribute, match='field "users"'):
            desired_group({"name": "g", "users": bad})
        with pytest.raises(InvalidAttribute, match='field "groups"'):
            desired_functional_account(fa_object("f", [], groups=bad))
    with pytest.raises(InvalidAttribute, match='field "mailAlternativeAddress"'):
        desired_user({**USER, "mailAlternativeAddress": {"a": "b"}}, DEFAULTS)
