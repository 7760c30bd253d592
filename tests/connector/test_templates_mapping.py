"""Login templates (OX_IMAP_LOGIN, OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE), the user attribute
mapping (entries, overrides, the mapping file), identifier values and how the settings
carry them: pure, no emulator."""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from connector.config import ConfigError, Settings
from connector.desired import mapping, values
from connector.desired.errors import InvalidAttribute
from connector.desired.group import desired_group
from connector.desired.mapping import (
    MAPPABLE,
    RESERVED,
    MappingError,
    MappingFile,
    effective,
    entry_json,
    parse_entry,
)
from connector.desired.templates import (
    DEFAULT_FA_LOGIN,
    FA_PLACEHOLDERS,
    PRIMARY_MAIL,
    UDM_USER_PROPERTIES,
    USER_EXTRA,
    TemplateError,
    fa_login_template,
    imap_login_template,
)
from connector.desired.user import USER_FIELDS, FieldMap, MailDefaults, desired_user
from connector.run.wiring import options_from

FAST = settings(max_examples=50, deadline=None, database=None)
SLOWER = settings(max_examples=20, deadline=None, database=None)  # file writes, zoneinfo
IMAP = "OX_IMAP_LOGIN"
FA = "OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE"
IMAP_KNOWN = sorted(USER_EXTRA | UDM_USER_PROPERTIES)
FA_KNOWN = sorted(FA_PLACEHOLDERS | USER_EXTRA | UDM_USER_PROPERTIES)
DEFAULT_OX = [m.ox for m in USER_FIELDS]
BASE_ENV = {"OX_SOAP_SERVER": "https://ox.example.org"}

# literal text without braces or surrounding white space (templates are stripped)
LITERAL_CHARS = string.ascii_letters + string.digits + "._-*@+=:;/!#$%&()[]<>?,~|äöüß€"
literal = st.text(LITERAL_CHARS, max_size=12)
prop_name = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True)
filled = st.text(min_size=1, max_size=20).filter(lambda v: v.strip() != "")
# a value a login can hold: no control characters, surrogates or non-characters, one line
# (the rest is refused naming the property: tests/connector/test_bad_values.py)
one_line = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Cn")), min_size=1, max_size=20
).filter(lambda v: v.strip() != "")
bad_name = st.one_of(
    st.sampled_from(["1abc", "a b", "ä", "-x", "_x", "x.y", "x/y"]),
    st.from_regex(r"[0-9_\-][A-Za-z0-9]{0,5}", fullmatch=True),
)


def udm(**props):
    base = {
        "username": "anna",
        "isOxUser": "OK",
        "oxContext": "12",
        "firstname": "Anna",
        "lastname": "Alt",
        "oxDisplayName": "Anna Alt",
        "mailPrimaryAddress": "anna@example.org",
        "oxAccess": "premium",
    }
    return {**base, **props}


# --- templates: literal text ------------------------------------------------------------------


@FAST
@given(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(
        lambda t: "{" not in t and "}" not in t and t.strip() == t
    )
)
def test_imap_login_of_only_literal_text_renders_to_itself(text):
    template = imap_login_template(text)
    assert template is not None and template.placeholders == ()
    assert template.render({}) == text


@FAST
@given(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(
        lambda t: "{{" not in t and "}}" not in t and t.strip() == t
    )
)
def test_fa_login_of_only_literal_text_renders_to_itself(text):
    template = fa_login_template(text)
    assert template.placeholders == ()
    assert template.render({}) == text


# --- templates: placeholders ------------------------------------------------------------------


@FAST
@given(
    st.lists(
        st.tuples(literal, st.sampled_from(["", *IMAP_KNOWN]), one_line), min_size=1, max_size=4
    ),
    literal,
)
def test_imap_login_placeholders_are_filled_from_the_lookup(parts, tail):
    text = "".join(f"{lit}{{{name}}}" for lit, name, _ in parts) + tail
    lookup, expected = {}, []
    for lit, name, value in parts:
        key = name or PRIMARY_MAIL  # {} is the primary mail address
        value = lookup.setdefault(key, value)  # the same placeholder twice: one value
        expected += [lit, value]
    template = imap_login_template(text)
    assert template.placeholders == tuple(n or PRIMARY_MAIL for _, n, _ in parts)
    assert template.render(lookup) == "".join(expected) + tail


@FAST
@given(
    st.lists(st.tuples(literal, st.sampled_from(FA_KNOWN), one_line), min_size=1, max_size=4),
    literal,
)
def test_fa_login_placeholders_are_filled_from_the_lookup(parts, tail):
    text = "".join(f"{lit}{{{{{name}}}}}" for lit, name, _ in parts) + tail
    lookup, expected = {}, []
    for lit, name, value in parts:
        value = lookup.setdefault(name, value)
        expected += [lit, value]
    template = fa_login_template(text)
    assert template.placeholders == tuple(n for _, n, _ in parts)
    assert template.render(lookup) == "".join(expected) + tail


@pytest.mark.parametrize(
    "text, lookup, expected",
    [
        ("{}", {"mailPrimaryAddress": "anna@example.org"}, "anna@example.org"),
        ("{ }", {"mailPrimaryAddress": "anna@example.org"}, "anna@example.org"),
        ("{}*dovecotadmin", {"mailPrimaryAddress": "a@example.org"}, "a@example.org*dovecotadmin"),
        ("{username}", {"username": "anna", "mailPrimaryAddress": "x@y"}, "anna"),
        ("{ username }@imap", {"username": "anna"}, "anna@imap"),
        ("{mailAlternativeAddress}", {"mailAlternativeAddress": ["b@x", "c@x"]}, "b@x"),
        ("{entry_uuid}-{dn}", {"entry_uuid": "u-1", "dn": "uid=a,dc=x"}, "u-1-uid=a,dc=x"),
    ],
)
def test_imap_login_examples(text, lookup, expected):
    assert imap_login_template(text).render(lookup) == expected


def test_fa_login_examples():
    lookup = {
        "fa_entry_uuid": "F-1",
        "username": "anna",
        "fa_email_address": "fa@x.org",
        "entry_uuid": "U-1",
        "dn": "uid=anna,dc=x",
    }
    assert fa_login_template("{{fa_entry_uuid}}{{username}}").render(lookup) == "F-1anna"
    assert (
        fa_login_template("{{ fa_email_address }}*dovecotadmin").render(lookup)
        == "fa@x.org*dovecotadmin"
    )
    assert fa_login_template("{{entry_uuid}}:{{dn}}").render(lookup) == "U-1:uid=anna,dc=x"
    # single braces are free text in this template
    assert fa_login_template("{x}{{username}}").render(lookup) == "{x}anna"


@pytest.mark.parametrize("empty", ["", None, "   ", "\t\n"])
def test_empty_fa_template_is_the_default(empty):
    template = fa_login_template(empty)
    assert template.text == DEFAULT_FA_LOGIN == "{{fa_entry_uuid}}{{username}}"
    assert template.placeholders == ("fa_entry_uuid", "username")
    assert template.render({"fa_entry_uuid": "F", "username": "u"}) == "Fu"


@pytest.mark.parametrize("empty", ["", None, "   ", "\t"])
def test_empty_imap_login_is_none(empty):
    assert imap_login_template(empty) is None


# --- templates: errors ------------------------------------------------------------------------


@FAST
@given(
    st.sampled_from([(IMAP, imap_login_template, "{%s}"), (FA, fa_login_template, "{{%s}}")]),
    prop_name.filter(lambda n: n not in FA_KNOWN),
    literal,
    literal,
)
def test_unknown_placeholder_names_setting_and_placeholder(kind, name, before, after):
    setting, parse, shape = kind
    with pytest.raises(TemplateError) as exc_info:
        parse(before + shape % name + after)
    message = str(exc_info.value)
    assert message.startswith(f"{setting}:") and f'"{name}"' in message


def test_fa_only_placeholders_are_unknown_to_imap_login():
    for name in FA_PLACEHOLDERS:
        with pytest.raises(TemplateError, match=f'{IMAP}: unknown placeholder "{name}"'):
            imap_login_template(f"{{{name}}}")


@FAST
@given(
    st.sampled_from([(IMAP, imap_login_template, "{%s}"), (FA, fa_login_template, "{{%s}}")]),
    bad_name,
)
def test_malformed_placeholder_names_setting_and_placeholder(kind, name):
    setting, parse, shape = kind
    with pytest.raises(TemplateError) as exc_info:
        parse(shape % name)
    assert str(exc_info.value).startswith(f"{setting}:") and name in str(exc_info.value)


@pytest.mark.parametrize(
    "text", ["{", "}", "{username", "username}", "{username}}", "a{b", "{}{", "x}y"]
)
def test_imap_login_unbalanced_braces_at_the_end(text):
    with pytest.raises(TemplateError, match=f"^{IMAP}: unbalanced"):
        imap_login_template(text)


@pytest.mark.parametrize(
    "text", ["{{", "}}", "{{username", "username}}", "{{username}}}}", "{{username}}{{"]
)
def test_fa_login_unbalanced_braces_at_the_end(text):
    with pytest.raises(TemplateError, match=f"^{FA}: unbalanced"):
        fa_login_template(text)


@FAST
@given(literal, literal, st.sampled_from("{}"), st.data())
@example("a", "", "}", None)  # "a}{username}"
@example("a", "", "{", None)  # "a{{username}" -> literal "a{" before the placeholder
def test_imap_login_stray_brace_anywhere_is_an_error(before, after, brace, data):
    """A brace outside a placeholder is unbalanced wherever it stands, also before one."""
    pos = data.draw(st.integers(0, len(before))) if data is not None else len(before)
    text = before[:pos] + brace + before[pos:] + "{username}" + after
    with pytest.raises(TemplateError) as exc_info:
        imap_login_template(text)
    assert str(exc_info.value).startswith(f"{IMAP}:")


@FAST
@given(literal, literal, st.sampled_from(["{{", "}}"]), st.data())
@example("x", "", "}}", None)  # "x}}{{username}}"
def test_fa_login_stray_double_brace_anywhere_is_an_error(before, after, brace, data):
    pos = data.draw(st.integers(0, len(before))) if data is not None else len(before)
    text = before[:pos] + brace + before[pos:] + "{{username}}" + after
    with pytest.raises(TemplateError) as exc_info:
        fa_login_template(text)
    assert str(exc_info.value).startswith(f"{FA}:")


@FAST
@given(st.sampled_from(IMAP_KNOWN), st.sampled_from([None, "", [], [""], "missing"]))
def test_empty_placeholder_value_is_invalid_attribute_naming_it(name, empty):
    lookup = {"mailPrimaryAddress": "anna@example.org"}
    if empty == "missing":
        lookup.pop(name, None)
    else:
        lookup[name] = empty
    for template in (
        imap_login_template(f"pre-{{{name}}}-post"),
        fa_login_template(f"x{{{{{name}}}}}"),
    ):
        with pytest.raises(InvalidAttribute) as exc_info:
            template.render(lookup)
        assert exc_info.value.udm_property == name
        assert f'field "{name}"' in str(exc_info.value)
        assert template.setting in str(exc_info.value)


def test_empty_primary_mail_for_the_bare_placeholder():
    with pytest.raises(InvalidAttribute) as exc_info:
        imap_login_template("{}").render({"mailPrimaryAddress": ""})
    assert exc_info.value.udm_property == "mailPrimaryAddress"


# --- mapping entries --------------------------------------------------------------------------

alternatives = st.lists(prop_name, max_size=3)
entry = st.builds(
    lambda udm_, index, alts: {"udm": udm_, "index": index, "alternatives": alts},
    prop_name,
    st.integers(0, 20),
    alternatives,
)


@FAST
@given(st.sampled_from(sorted(MAPPABLE)), entry)
def test_parse_entry_accepts_valid_entries(ox, value):
    parsed = parse_entry(ox, value)
    assert parsed == FieldMap(ox, value["udm"], value["index"], tuple(value["alternatives"]))
    assert parse_entry(ox, entry_json(parsed)) == parsed  # the file form parses back
    assert parse_entry(ox, {"udm": value["udm"]}) == FieldMap(ox, value["udm"])


@pytest.mark.parametrize("ox", sorted(MAPPABLE))
def test_parse_entry_none_unsets(ox):
    assert parse_entry(ox, None) is None


def test_mappable_fields_are_the_text_fields_but_the_reserved():
    assert {m.ox for m in USER_FIELDS} <= MAPPABLE
    assert not MAPPABLE & RESERVED
    assert {"assistant_name", "telephone_primary", "company", "note"} <= MAPPABLE
    assert (
        not {
            "id",
            "birthday",
            "image1",
            "aliases",
            "gui_spam_filter_enabled",
            "userAttributes",
            "maxQuota",
            "mailenabled",
        }
        & MAPPABLE
    )


@pytest.mark.parametrize("ox", sorted(RESERVED))
def test_parse_entry_rejects_reserved_fields(ox):
    for value in ({"udm": "uid"}, None):
        with pytest.raises(MappingError) as exc_info:
            parse_entry(ox, value, where="mapping file /x.json")
        message = str(exc_info.value)
        assert f'mapping file /x.json, entry "{ox}"' in message
        assert "set by the connector itself" in message


@pytest.mark.parametrize(
    "ox", ["no_such_field", "birthday", "image1", "id", "maxQuota", "userAttributes", "Company", ""]
)
def test_parse_entry_rejects_unknown_or_non_text_fields(ox):
    with pytest.raises(MappingError) as exc_info:
        parse_entry(ox, {"udm": "organisation"})
    assert f'entry "{ox}"' in str(exc_info.value)
    assert "not a text field of the OX user" in str(exc_info.value)


@pytest.mark.parametrize(
    "value, shown",
    [
        ({"udm": "1abc"}, "'1abc'"),
        ({"udm": ""}, "''"),
        ({"udm": "a b"}, "'a b'"),
        ({}, "None"),
        ({"udm": 5}, "5"),
        ({"udm": ["organisation"]}, "['organisation']"),
        ({"udm": "organisation", "alternatives": ["o", "bad name"]}, "'bad name'"),
        ({"udm": "organisation", "alternatives": "o"}, "None"),
        ({"udm": "organisation", "alternatives": [None]}, "None"),
    ],
)
def test_parse_entry_rejects_bad_property_names(value, shown):
    with pytest.raises(MappingError) as exc_info:
        parse_entry("company", value)
    message = str(exc_info.value)
    assert 'entry "company"' in message
    assert f"{shown} is not a UDM property name" in message


@FAST
@given(bad_name)
def test_parse_entry_rejects_any_bad_property_name(name):
    for value in ({"udm": name}, {"udm": "organisation", "alternatives": [name]}):
        with pytest.raises(MappingError, match='entry "note"'):
            parse_entry("note", value)


@pytest.mark.parametrize("index", [-1, True, False, 1.0, "1", None, [0]])
def test_parse_entry_rejects_bad_index(index):
    with pytest.raises(MappingError) as exc_info:
        parse_entry("telephone_business2", {"udm": "phone", "index": index})
    message = str(exc_info.value)
    assert 'entry "telephone_business2"' in message
    assert f"index must be a whole number >= 0, not {index!r}" in message


@pytest.mark.parametrize(
    "value",
    [
        {"udm": "organisation", "extra": 1},
        {"udm": "organisation", "alternative": ["o"]},
        "organisation",
        ["organisation"],
        5,
        True,
    ],
)
def test_parse_entry_rejects_extra_keys_and_non_objects(value):
    with pytest.raises(MappingError) as exc_info:
        parse_entry("company", value)
    assert 'entry "company"' in str(exc_info.value)
    assert "expected null or" in str(exc_info.value)


# --- effective mapping ------------------------------------------------------------------------


def test_effective_without_overrides_is_the_default():
    assert effective({}) == USER_FIELDS


def test_effective_set_unset_and_new_field():
    company = FieldMap("company", "employeeType", 0, ("organisation",))
    assistant = FieldMap("assistant_name", "secretary", 1)
    result = effective({"company": company, "note": None, "assistant_name": assistant})
    assert [m.ox for m in result] == [o for o in DEFAULT_OX if o != "note"] + ["assistant_name"]
    by_ox = {m.ox: m for m in result}
    assert by_ox["company"] == company
    assert by_ox["assistant_name"] == assistant
    assert by_ox["given_name"] == FieldMap("given_name", "firstname")
    # the replaced field keeps its place
    assert DEFAULT_OX.index("company") == [m.ox for m in result].index("company")


@FAST
@given(st.sets(st.sampled_from(DEFAULT_OX)))
def test_effective_has_exactly_the_fields_not_unset(unset):
    result = effective({ox: None for ox in unset})
    assert [m.ox for m in result] == [o for o in DEFAULT_OX if o not in unset]
    assert all(m in USER_FIELDS for m in result)


field_map = st.builds(
    FieldMap, st.just(""), prop_name, st.integers(0, 5), st.lists(prop_name, max_size=2).map(tuple)
)


@FAST
@given(st.dictionaries(st.sampled_from(sorted(MAPPABLE)), st.none() | field_map, max_size=12))
def test_effective_applies_any_overrides(raw):
    overrides = {
        ox: None if m is None else FieldMap(ox, m.udm, m.index, m.alternatives)
        for ox, m in raw.items()
    }
    result = effective(overrides)
    expected = [overrides.get(o, d) for o, d in zip(DEFAULT_OX, USER_FIELDS, strict=True)]
    expected += [m for ox, m in overrides.items() if ox not in DEFAULT_OX]
    assert list(result) == [m for m in expected if m is not None]
    assert len({m.ox for m in result}) == len(result)  # each OX field at most once


# --- the mapping file -------------------------------------------------------------------------

overrides_strategy = st.dictionaries(
    st.sampled_from(sorted(MAPPABLE)), st.none() | field_map, max_size=10
).map(
    lambda raw: {
        ox: None if m is None else FieldMap(ox, m.udm, m.index, m.alternatives)
        for ox, m in raw.items()
    }
)


@SLOWER
@given(overrides_strategy)
def test_mapping_file_round_trip(overrides):
    with tempfile.TemporaryDirectory() as tmp:
        file = MappingFile(Path(tmp) / "sub" / "AttributeMapping.json")
        file.save(overrides)
        assert file.load() == overrides
        data = json.loads(file.path.read_text(encoding="utf-8"))
        assert list(data) == sorted(overrides)
        for ox, m in overrides.items():
            assert data[ox] == (None if m is None else entry_json(m))
        # and saving what was loaded writes the same file
        before = file.path.read_text(encoding="utf-8")
        file.save(file.load())
        assert file.path.read_text(encoding="utf-8") == before


def test_entry_json_leaves_out_defaults():
    assert entry_json(FieldMap("company", "organisation")) == {"udm": "organisation"}
    assert entry_json(FieldMap("telephone_business2", "phone", 1, ("o",))) == {
        "udm": "phone",
        "index": 1,
        "alternatives": ["o"],
    }


def test_missing_mapping_file_is_no_overrides(tmp_path):
    assert MappingFile(tmp_path / "absent.json").load() == {}


@pytest.mark.parametrize(
    "text, why",
    [
        ("{not json", "not valid JSON"),
        ("", "not valid JSON"),
        ('["company"]', "expected a JSON object"),
        ("null", "expected a JSON object"),
    ],
)
def test_unreadable_mapping_file_names_the_file(tmp_path, text, why):
    path = tmp_path / "AttributeMapping.json"
    path.write_text(text)
    with pytest.raises(MappingError) as exc_info:
        MappingFile(path).load()
    assert f"mapping file {path}" in str(exc_info.value) and why in str(exc_info.value)


def test_bad_entry_in_mapping_file_names_file_and_entry(tmp_path):
    path = tmp_path / "AttributeMapping.json"
    path.write_text(json.dumps({"company": {"udm": "organisation"}, "name": {"udm": "uid"}}))
    with pytest.raises(MappingError) as exc_info:
        MappingFile(path).load()
    assert f'mapping file {path}, entry "name"' in str(exc_info.value)


# --- FieldMap.value: index and alternatives ---------------------------------------------------


def test_field_map_value_examples():
    m = FieldMap("company", "organisation", 0, ("employeeType", "departmentNumber"))
    assert m.value({"organisation": "Org", "employeeType": "Staff"}) == "Org"
    assert m.value({"organisation": "", "employeeType": "Staff"}) == "Staff"
    assert m.value({"employeeType": "Staff"}) == "Staff"
    assert (
        m.value(
            {"organisation": [], "employeeType": ["", "x"], "departmentNumber": ["Dept", "Other"]}
        )
        == "Dept"
    )
    assert m.value({"organisation": None, "employeeType": ""}) in (None, "")
    assert m.value({}) is None
    phone2 = FieldMap("telephone_business2", "phone", 1, ("pagerTelephoneNumber",))
    assert phone2.value({"phone": ["+1", "+2", "+3"]}) == "+2"
    assert phone2.value({"phone": ["+1"], "pagerTelephoneNumber": ["+9"]}) == "+9"
    assert phone2.value({"phone": "+1"}) is None  # a single value has no index 1


udm_value = st.one_of(
    st.none(), st.just(""), filled, st.lists(st.one_of(st.just(""), filled), max_size=3)
)


@FAST
@given(
    st.integers(0, 3),
    st.lists(prop_name, max_size=3, unique=True),
    st.dictionaries(prop_name, udm_value, max_size=6),
    st.data(),
)
def test_field_map_value_first_non_empty_wins(index, alts, obj, data):
    udm_prop = data.draw(prop_name.filter(lambda p: p not in alts))
    for prop in [udm_prop, *alts]:
        if data.draw(st.booleans()):
            obj[prop] = data.draw(udm_value)

    def pick(value, i):  # the model: i-th of a list, a single value only at index 0
        if isinstance(value, list):
            return value[i] if i < len(value) else None
        return value if i == 0 else None

    candidates = [pick(obj.get(udm_prop), index)] + [pick(obj.get(a), 0) for a in alts]
    non_empty = [c for c in candidates if c not in (None, "")]
    got = FieldMap("company", udm_prop, index, tuple(alts)).value(obj)
    if non_empty:
        assert got == non_empty[0]
    else:
        assert got in (None, "")


# --- single_text (identifier values) ----------------------------------------------------------


@FAST
@given(filled, st.booleans())
def test_single_text_accepts_exactly_one_non_empty_value(value, as_list):
    assert values.single_text("uid2", [value] if as_list else value, "the OX user name") == value


@FAST
@given(
    st.one_of(
        st.lists(filled, min_size=2, max_size=4),
        st.just([]),
        st.lists(st.sampled_from(["", " ", None]), min_size=1, max_size=1),
        st.sampled_from([None, "", "   ", "\t", True, False, {}, {"a": "b"}]),
        st.tuples(filled, filled).map(list),
    )
)
def test_single_text_rejects_anything_else_naming_the_property(value):
    with pytest.raises(InvalidAttribute) as exc_info:
        values.single_text("uid2", value, "the OX user name")
    assert exc_info.value.udm_property == "uid2"
    assert str(exc_info.value).startswith('field "uid2": the OX user name')


def test_single_text_says_how_many_values():
    with pytest.raises(InvalidAttribute, match="exactly one value, this has 2"):
        values.single_text("mail", ["a", "b"], "the OX user name")
    with pytest.raises(InvalidAttribute, match="exactly one value, this has 0"):
        values.single_text("mail", [], "the OX user name")
    with pytest.raises(InvalidAttribute, match="the OX group name is empty"):
        values.single_text("description", "", "the OX group name")


def test_identifiers_in_the_desired_objects():
    assert desired_user(udm(uid2=["a.alt"]), MailDefaults(), identifier="uid2").name == "a.alt"
    with pytest.raises(InvalidAttribute) as exc_info:
        desired_user(udm(uid2=["a", "b"]), MailDefaults(), identifier="uid2")
    assert exc_info.value.udm_property == "uid2"
    with pytest.raises(InvalidAttribute) as exc_info:
        desired_user(udm(), MailDefaults(), identifier="employeeNumber")  # not set
    assert exc_info.value.udm_property == "employeeNumber"
    group = {"name": "staff", "description": "staff-team", "isOxGroup": "OK", "users": []}
    assert desired_group(group, "description").name == "staff-team"
    with pytest.raises(InvalidAttribute) as exc_info:
        desired_group({**group, "description": ""}, "description")
    assert exc_info.value.udm_property == "description"


# --- the settings -----------------------------------------------------------------------------


def test_identity_settings_defaults(tmp_path):
    s = Settings.from_env({**BASE_ENV, "OX_CONNECTOR_STATE_DIR": str(tmp_path)})
    assert (s.user_identifier, s.group_identifier) == ("username", "name")
    assert s.imap_login == "{}" and s.fa_login == DEFAULT_FA_LOGIN
    assert s.mapping_file is None
    assert s.attribute_mapping_file == tmp_path / "AttributeMapping.json"
    s = Settings.from_env(
        {
            **BASE_ENV,
            "OX_ATTRIBUTE_MAPPING_FILE": str(tmp_path / "m.json"),
            "OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE": "  ",
            "OX_USER_IDENTIFIER": "uid2",
            "OX_GROUP_IDENTIFIER": "description",
        }
    )
    assert s.attribute_mapping_file == tmp_path / "m.json"
    assert s.fa_login == DEFAULT_FA_LOGIN
    assert (s.user_identifier, s.group_identifier) == ("uid2", "description")


@SLOWER
@given(bad_name, bad_name)
def test_bad_identifiers_are_named(user_id, group_id):
    with pytest.raises(ConfigError) as exc_info:
        Settings.from_env(
            {**BASE_ENV, "OX_USER_IDENTIFIER": user_id, "OX_GROUP_IDENTIFIER": group_id}
        )
    problems = exc_info.value.problems
    assert any(p.startswith("OX_USER_IDENTIFIER:") and f'"{user_id}"' in p for p in problems)
    assert any(p.startswith("OX_GROUP_IDENTIFIER:") and f'"{group_id}"' in p for p in problems)


def test_bad_settings_reported_together():
    env = {
        **BASE_ENV,
        "OX_USER_IDENTIFIER": "user name",
        "OX_GROUP_IDENTIFIER": "1group",
        "OX_IMAP_LOGIN": "{nosuch}*dovecotadmin",
        "OX_FUNCTIONAL_ACCOUNT_LOGIN_TEMPLATE": "{{fa_entry_uuid}}{{nosuch_fa}}",
        "DEFAULT_CONTEXT": "ten",
    }
    with pytest.raises(ConfigError) as exc_info:
        Settings.from_env(env)
    problems = exc_info.value.problems
    assert {p.split(":", 1)[0] for p in problems} == {
        "OX_USER_IDENTIFIER",
        "OX_GROUP_IDENTIFIER",
        IMAP,
        FA,
        "DEFAULT_CONTEXT",
    }
    assert any(p.startswith(IMAP) and '"nosuch"' in p for p in problems)
    assert any(p.startswith(FA) and '"nosuch_fa"' in p for p in problems)


@SLOWER
@given(
    st.sampled_from([(IMAP, "{%s}"), (FA, "{{%s}}")]), prop_name.filter(lambda n: n not in FA_KNOWN)
)
def test_bad_template_setting_names_variable_and_placeholder(kind, name):
    variable, shape = kind
    with pytest.raises(ConfigError) as exc_info:
        Settings.from_env({**BASE_ENV, variable: "x" + shape % name})
    [problem] = exc_info.value.problems
    assert problem.startswith(f"{variable}:") and f'"{name}"' in problem


@pytest.mark.parametrize(
    "variable, value",
    [(IMAP, "{username"), (IMAP, "{}}"), (FA, "{{username}}}}"), (FA, "{{username")],
)
def test_unbalanced_template_setting_is_a_problem(variable, value):
    with pytest.raises(ConfigError) as exc_info:
        Settings.from_env({**BASE_ENV, variable: value})
    [problem] = exc_info.value.problems
    assert problem.startswith(f"{variable}: unbalanced")


def _desired_fields(tmp_path, **env):
    s = Settings.from_env({**BASE_ENV, "OX_CONNECTOR_STATE_DIR": str(tmp_path), **env})
    opts = options_from(s)
    return desired_user(
        udm(employeeNumber="E-7"),
        opts.defaults,
        opts.user_identifier,
        opts.user_fields,
        opts.imap_login,
        "uuid-1",
        "uid=anna,dc=x",
    ).fields


def test_imap_login_setting_reaches_the_desired_user(tmp_path):
    assert _desired_fields(tmp_path)["imapLogin"] == "anna@example.org"  # unset: {}
    assert _desired_fields(tmp_path, OX_IMAP_LOGIN="{username}")["imapLogin"] == "anna"
    assert (
        _desired_fields(tmp_path, OX_IMAP_LOGIN="{}*dovecotadmin")["imapLogin"]
        == "anna@example.org*dovecotadmin"
    )
    assert _desired_fields(tmp_path, OX_IMAP_LOGIN="{entry_uuid}")["imapLogin"] == "uuid-1"
    assert _desired_fields(tmp_path, OX_IMAP_LOGIN="{employeeNumber}@x")["imapLogin"] == "E-7@x"
    for empty in ("", "   "):  # set but empty: imapLogin is left to OX
        assert "imapLogin" not in _desired_fields(tmp_path, OX_IMAP_LOGIN=empty)


def test_imap_login_is_not_rendered_for_a_disabled_user():
    template = imap_login_template("{employeeNumber}")
    fields = desired_user(udm(isOxUser="Not"), MailDefaults(), imap_login=template).fields
    assert "imapLogin" not in fields
    with pytest.raises(InvalidAttribute) as exc_info:
        desired_user(udm(), MailDefaults(), imap_login=template)
    assert exc_info.value.udm_property == "employeeNumber"


def test_mapping_file_setting_reaches_the_options(tmp_path):
    path = tmp_path / "elsewhere.json"
    MappingFile(path).save({"company": FieldMap("company", "employeeType"), "note": None})
    fields = _desired_fields(tmp_path, OX_ATTRIBUTE_MAPPING_FILE=str(path))
    assert "note" not in fields
    # employeeType is not set in udm(): the company is emptied, not the organisation
    assert fields["company"] == ""
    # the state dir's file is not read when the setting names another
    MappingFile(tmp_path / "AttributeMapping.json").save({"title": None})
    assert "title" in _desired_fields(tmp_path, OX_ATTRIBUTE_MAPPING_FILE=str(path))
    assert "title" not in _desired_fields(tmp_path)


def test_invalid_mapping_file_is_a_config_error_naming_file_and_entry(tmp_path):
    path = tmp_path / "AttributeMapping.json"
    path.write_text(json.dumps({"imapLogin": {"udm": "uid"}}))
    s = Settings.from_env({**BASE_ENV, "OX_CONNECTOR_STATE_DIR": str(tmp_path)})
    with pytest.raises(ConfigError) as exc_info:
        options_from(s)
    [problem] = exc_info.value.problems
    assert str(path) in problem and 'entry "imapLogin"' in problem


def test_module_defaults_are_consistent():
    assert mapping.defaults() == {m.ox: m for m in USER_FIELDS}
    assert len(mapping.defaults()) == len(USER_FIELDS)
