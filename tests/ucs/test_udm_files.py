"""The files that run on the UCS host (UDM handlers, hooks, syntax file, join helper):
valid Python for UCS 5.0's interpreter (3.7), and, loaded against stand-ins of the UCS
modules (tests/ucs/udm_stubs.py), declaring what ucs/udm/properties.json says and
behaving as documented (hooks, syntax classes, the handlers' checks)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from .udm_stubs import UDM_SYNTAXES, load, load_syntax_file, stubbed

ROOT = Path(__file__).resolve().parents[2]
UCS = ROOT / "ucs"
HANDLERS = {
    "oxmail/oxcontext": UCS / "udm/handlers/oxmail/oxcontext.py",
    "oxmail/accessprofile": UCS / "udm/handlers/oxmail/accessprofile.py",
    "oxmail/functional_account": UCS / "udm/handlers/oxmail/functional_account.py",
    "oxresources/oxresources": UCS / "udm/handlers/oxresources/oxresources.py",
}
UCS_SIDE = sorted(p for p in UCS.rglob("*.py") if p.name != "generate.py")


@pytest.fixture(scope="module")
def declaration():
    return json.loads((UCS / "udm" / "properties.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", UCS_SIDE, ids=lambda p: str(p.relative_to(UCS)))
def test_valid_python_for_ucs_5_0(path):
    source = path.read_text(encoding="utf-8")
    ast.parse(source, str(path), feature_version=(3, 7))  # no newer syntax
    compile(source, str(path), "exec")
    assert "from __future__ import annotations" not in source or path.name == "ox_join.py"


@pytest.mark.parametrize("name", HANDLERS)
def test_the_handler_declares_what_the_declaration_says(name, declaration):
    decl = declaration["modules"][name]
    with stubbed():
        module = load(HANDLERS[name], "handler_" + name.replace("/", "_"))
    assert module.module == name
    assert module.default_containers == [decl["container"]]
    assert module.options["default"].kwargs["objectClasses"] == decl["object_classes"]
    assert module.operations == decl["operations"]
    props = module.property_descriptions
    assert list(props) == [p["name"] for p in decl["properties"]]
    for prop in decl["properties"]:
        got = props[prop["name"]].kwargs
        assert got["syntax"].__name__ == prop["syntax"]
        for key in ("multivalue", "required", "may_change", "identifies"):
            assert got[key] == prop[key], (prop["name"], key)
        assert got.get("default") == prop["default"]
        registered = module.mapping.registered.get(prop["name"])
        assert (registered[0] if registered else None) == prop["ldap"]
    in_layout = [
        name
        for tab in module.layout
        for group in tab.layout
        for row in group.layout
        for name in row
    ]
    assert sorted(in_layout) == sorted(props)  # every property shown, once
    for method in ("lookup", "lookup_filter", "identify"):
        assert callable(getattr(module, method))


def test_every_syntax_named_exists(declaration):
    """Each syntax is UDM's own or one of 50_ox.py (which UDM loads into its namespace)."""
    names = {p["syntax"] for m in declaration["modules"].values() for p in m["properties"]}
    names |= {a["syntax"] for a in declaration["extended_attributes"]["attributes"]}
    with stubbed() as stubs:
        ours = load_syntax_file(UCS / "udm/syntax.d/50_ox.py", stubs["univention.admin.syntax"])
    own = {"oxContextSelect", "oxaccess", "oxlanguage", "oxtimezone", "oxResourceManager"}
    assert names - set(UDM_SYNTAXES) == own
    assert all(isinstance(ours[name], type) for name in own)
    assert ours["oxResourceManager"].key == "%(uidNumber)s"


@pytest.fixture(scope="module")
def syntax():
    with stubbed() as stubs:
        yield (
            stubs,
            load_syntax_file(UCS / "udm/syntax.d/50_ox.py", stubs["univention.admin.syntax"]),
        )


@pytest.mark.parametrize(
    "value, expected",
    [(10, "10"), ("10", "10"), (b"12", "12"), (["7"], "7"), (" 010 ", "10"), ("", "")],
)
def test_context_select_parses_ids(syntax, value, expected):
    _, ns = syntax
    assert ns["oxContextSelect"].parse(value) == expected


@pytest.mark.parametrize("value", ["ten", ["1", "2"], True, None, "-1"])
def test_context_select_refuses_non_ids(syntax, value):
    stubs, ns = syntax
    with pytest.raises(stubs["univention.admin.uexceptions"].valueError):
        ns["oxContextSelect"].parse(value)


def test_context_select_is_an_integer_for_udm_rest(syntax):
    stubs, ns = syntax
    assert ns["oxContextSelect"].type_class is stubs["univention.admin.types"].IntegerType
    assert ns["oxContextSelect"].udm_modules == ("oxmail/oxcontext",)
    assert ns["oxaccess"].key == "%(name)s"


def test_languages_and_time_zones(syntax):
    stubs, ns = syntax
    assert len(ns["oxlanguage"].choices) == 15 and ("de_DE", "Deutsch") in ns["oxlanguage"].choices
    zones = [value for value, _ in ns["oxtimezone"].choices]
    assert "UTC" in zones and zones == sorted(zones)
    if Path("/usr/share/zoneinfo/Europe/Berlin").exists():
        assert "Europe/Berlin" in zones
    # earlier values of other shapes stay valid; nonsense does not
    assert ns["oxtimezone"].parse("Asia/Calcutta") == "Asia/Calcutta"
    assert ns["oxlanguage"].parse("pt_BR") == "pt_BR"
    for parse, bad in (
        (ns["oxtimezone"].parse, "Europe Berlin"),
        (ns["oxlanguage"].parse, "german"),
    ):
        with pytest.raises(stubs["univention.admin.uexceptions"].valueError):
            parse(bad)


# -- hooks, with stand-in UDM objects ---------------------------------------------------------


class FakeLo:
    base = "dc=example,dc=org"

    def __init__(self, entries=None, found=None):
        self.entries = entries or {}
        self.found = found or {}
        self.searches = []

    def get(self, dn):
        return self.entries.get(dn, {})

    def searchDn(self, filter):
        self.searches.append(filter)
        return self.found.get(filter, [])


class FakeUser:
    """Enough of a users/user object: item access, oldinfo, hasChanged, oldattr."""

    module = "users/user"

    def __init__(self, old=None, new=None, lo=None, oldattr=None):
        self.oldinfo = dict(old or {})
        self.info = {**self.oldinfo, **(new or {})}
        self.lo = lo or FakeLo()
        self.oldattr = oldattr or {}

    def __getitem__(self, key):
        return self.info.get(key)

    def __setitem__(self, key, value):
        self.info[key] = value

    def hasChanged(self, key):
        return self.info.get(key) != self.oldinfo.get(key)


@pytest.fixture(scope="module")
def hooks():
    with stubbed() as stubs:
        yield (
            stubs,
            {
                name: load(UCS / f"udm/hooks.d/{name}.py", "hook_" + name)
                for name in ("oxUserDefaults", "oxAccess", "oxGroupHook")
            },
        )


def test_the_hooks_are_named_as_their_files(hooks):
    _, loaded = hooks
    for name, module in loaded.items():
        assert getattr(module, name).type == name


def test_display_name_follows_the_name_while_it_is_made_of_it(hooks):
    _, loaded = hooks
    defaults = loaded["oxUserDefaults"].oxUserDefaults
    old = {
        "firstname": "Anna",
        "lastname": "Schmidt",
        "oxDisplayName": "Anna Schmidt",
        "isOxUser": "Not",
    }
    user = FakeUser(old, {"lastname": "Meier"})
    defaults().hook_ldap_pre_modify(user)
    assert user["oxDisplayName"] == "Anna Meier"
    custom = FakeUser({**old, "oxDisplayName": "Dr. A. S."}, {"lastname": "Meier"})
    defaults().hook_ldap_pre_modify(custom)
    assert custom["oxDisplayName"] == "Dr. A. S."
    both = FakeUser(old, {"lastname": "Meier", "oxDisplayName": "Chosen"})
    defaults().hook_ldap_pre_modify(both)
    assert both["oxDisplayName"] == "Chosen"


def test_a_user_made_an_ox_user_later_gets_the_attribute_defaults(hooks):
    _, loaded = hooks
    module = loaded["oxUserDefaults"]
    container = "cn=open-xchange,cn=custom attributes,cn=univention,dc=example,dc=org"
    lo = FakeLo(
        entries={
            f"cn=oxAccess,{container}": {"univentionUDMPropertyDefault": [b"premium"]},
            f"cn=oxContextUser,{container}": {"univentionUDMPropertyDefault": [b"10"]},
            f"cn=oxDisplayName,{container}": {
                "univentionUDMPropertyDefault": [b"<firstname> <lastname>"]
            },
        }
    )
    user = FakeUser(
        {"firstname": "Anna", "lastname": "Schmidt", "isOxUser": "Not"}, {"isOxUser": "OK"}, lo
    )
    module.oxUserDefaults().hook_ldap_pre_modify(user)
    assert (user["oxAccess"], user["oxContext"], user["oxDisplayName"]) == (
        "premium",
        "10",
        "Anna Schmidt",
    )
    plain = FakeUser({"firstname": "Bo", "isOxUser": "Not"}, {"lastname": "X"}, lo)
    module.oxUserDefaults().hook_ldap_pre_modify(plain)
    assert plain["oxAccess"] is None  # not an OX user: nothing filled in


def test_ox_users_need_mail_and_first_name(hooks):
    stubs, loaded = hooks
    module = loaded["oxAccess"]
    error = stubs["univention.admin.uexceptions"].valueError
    created = FakeUser(new={"username": "bo", "isOxUser": "OK", "firstname": "Bo"})
    module.oxAccess().hook_ldap_pre_create(created)
    assert created["isOxUser"] == "Not"  # created without mail: a plain user
    enabled = FakeUser({"username": "bo", "isOxUser": "Not"}, {"isOxUser": "OK"})
    with pytest.raises(error, match=r"primary e-mail address.*first name"):
        module.oxAccess().hook_ldap_pre_modify(enabled)
    fine = FakeUser(new={"isOxUser": "OK", "mailPrimaryAddress": "a@x.org", "firstname": "A"})
    module.oxAccess().hook_ldap_pre_modify(fine)


@pytest.mark.parametrize(
    "value, ok",
    [("2001-02-03", True), ("3.2.2001", True), ("2001-02-30", False), ("02/03/2001", False)],
)
def test_anniversary_dates(hooks, value, ok):
    _, loaded = hooks
    assert loaded["oxAccess"].is_date(value) is ok


def test_a_resource_manager_cannot_be_removed(hooks):
    stubs, loaded = hooks
    manager = FakeUser({"username": "anna"}, oldattr={"oxResourceMailAddress": [b"room@x.org"]})
    with pytest.raises(stubs["univention.admin.uexceptions"].valueError, match=r"room@x\.org"):
        loaded["oxAccess"].oxAccess().hook_ldap_pre_remove(manager)
    loaded["oxAccess"].oxAccess().hook_ldap_pre_remove(FakeUser({"username": "bo"}))


def test_ox_groups_mail_in_a_ucs_mail_domain(hooks):
    stubs, loaded = hooks
    check = loaded["oxGroupHook"].oxGroupHook.check
    known = "(&(objectClass=univentionMailDomainname)(cn=example.org))"
    group = FakeUser(
        new={"isOxGroup": "OK", "mailAddress": "staff@Example.org"}, lo=FakeLo(found={known: ["x"]})
    )
    group.module = "groups/group"
    check(group)
    group.info["mailAddress"] = "staff@elsewhere.net"
    with pytest.raises(stubs["univention.admin.uexceptions"].valueError, match=r"elsewhere\.net"):
        check(group)
    group.info["isOxGroup"] = "Not"
    check(group)  # not an OX group: no rule


# -- the handlers' own checks, on stand-in objects -----------------------------------------


def _handler_object(module, info, lo, oldattr=None, exists=True):
    obj = module.object.__new__(module.object)
    obj.info, obj.oldinfo = dict(info), dict(info) if exists else {}
    obj.lo, obj.oldattr, obj.alloc = lo, oldattr or {}, []
    obj.__class__ = type(
        "Handler",
        (module.object,),
        {
            "__getitem__": lambda self, key: self.info.get(key),
            "__setitem__": lambda self, key, value: self.info.__setitem__(key, value),
            "exists": lambda self: exists,
            "hasChanged": lambda self, key: self.info.get(key) != self.oldinfo.get(key),
        },
    )
    return obj


def test_a_context_in_use_or_the_last_one_cannot_be_removed():
    with stubbed() as stubs:
        module = load(HANDLERS["oxmail/oxcontext"], "handler_context_checks")
        error = stubs["univention.admin.uexceptions"].valueError
        users = "(&(objectClass=oxUserObject)(oxContextIDNum=10))"
        contexts = ["cn=context10", "cn=context11"]
        lo = FakeLo(found={"(objectClass=oxContext)": contexts, users: ["uid=anna"]})
        with pytest.raises(error, match="still used by 1 users"):
            _handler_object(module, {"contextid": "10"}, lo)._ldap_pre_remove()
        lo = FakeLo(found={"(objectClass=oxContext)": ["cn=context10"]})
        with pytest.raises(error, match="only OX context"):
            _handler_object(module, {"contextid": "10"}, lo)._ldap_pre_remove()
        lo = FakeLo(found={"(objectClass=oxContext)": contexts})
        _handler_object(module, {"contextid": "11"}, lo)._ldap_pre_remove()


def test_a_profile_in_use_cannot_be_removed():
    with stubbed() as stubs:
        module = load(HANDLERS["oxmail/accessprofile"], "handler_profile_checks")
        lo = FakeLo(found={"(&(objectClass=oxUserObject)(oxAccess=premium))": ["uid=a", "uid=b"]})
        with pytest.raises(stubs["univention.admin.uexceptions"].valueError, match="2 users"):
            _handler_object(module, {"name": "premium"}, lo)._ldap_pre_remove()


def test_functional_account_members_are_one_unique_member_list():
    with stubbed():
        module = load(HANDLERS["oxmail/functional_account"], "handler_fa_checks")
    members = [b"uid=anna,cn=users,dc=x", b"cn=staff,cn=groups,dc=x", b"UID=bo,cn=users,dc=x"]
    users = [m.decode() for m in members if module._is_user_dn(m.decode())]
    assert users == ["uid=anna,cn=users,dc=x", "UID=bo,cn=users,dc=x"]
