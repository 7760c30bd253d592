"""ucs/join/ox_join.py, the join script's helper: the udm calls it builds from the
declaration, the German message catalogs, the schema check and the template repairs."""

from __future__ import annotations

import gettext
import importlib.util
import io
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = "dc=example,dc=org"


@pytest.fixture(scope="module")
def helper():
    spec = importlib.util.spec_from_file_location("ox_join", ROOT / "ucs" / "join" / "ox_join.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def declaration(helper):
    return helper.load_declaration()


def _sets(command: list[str]) -> list[str]:
    return [command[i + 1] for i, arg in enumerate(command) if arg == "--set"]


def test_extended_attributes_are_created_then_brought_up_to_date(helper, declaration):
    commands = helper.extended_attribute_commands(declaration, BASE, 42, ["--binddn", "x"])
    creates = [c for c in commands if c[2] == "create" and c[1] == "settings/extended_attribute"]
    modifies = [c for c in commands if c[2] == "modify"]
    assert len(creates) == len(modifies) == 79
    assert all(c[3:5] == ["--binddn", "x"] for c in commands)
    by_name = {_sets(c)[0].removeprefix("name="): _sets(c) for c in creates}
    user = by_name["isOxUser"]
    assert "CLIName=isOxUser" in user and "default=OK" in user and "hook=oxUserDefaults" in user
    assert 'translationShortDescription="de_DE" "Open-Xchange-Konto"' in user
    assert "module=users/user" in user and "module=settings/usertemplate" in user
    assert 'translationGroupName="de_DE" "Open-Xchange"' in user
    # the context defaults follow UCR ox/context/id, also on existing attributes ...
    assert "default=42" in by_name["oxContextUser"] and "default=42" in by_name["oxContextResource"]
    assert "CLIName=oxContext" in by_name["oxContextUser"]
    context_modify = next(c for c in modifies if "cn=oxContextUser," in c[c.index("--dn") + 1])
    assert "default=42" in _sets(context_modify)
    # ... while no other default is touched once the attribute exists
    others = [
        c for c in modifies if c is not context_modify and "cn=oxContextResource," not in str(c)
    ]
    assert not [s for c in others for s in _sets(c) if s.startswith("default=")]
    # hidden in UMC, and no hook oxContextRW any more
    assert "disableUDMWeb=1" in by_name["oxLanguage"]
    assert "hook=" in by_name["oxContextUser"]


def test_profiles_get_all_rights_and_are_never_changed(helper, declaration):
    commands = helper.access_profile_commands(declaration, BASE)
    assert all("--ignore_exists" in c and c[2] == "create" for c in commands)
    premium = _sets(commands[-1])
    granted = {s.split("=")[0] for s in premium if s.endswith("=TRUE")}
    assert granted == set(declaration["access_profiles"][-1]["rights"])
    assert len([s for s in premium if s.endswith(("=TRUE", "=FALSE"))]) == 24


def test_the_catalogs_translate_every_text_into_german(helper, declaration, tmp_path):
    paths = helper.write_catalogs(declaration, str(tmp_path))
    assert [Path(p).parent.name for p in paths] == [
        "oxmail-oxcontext",
        "oxmail-accessprofile",
        "oxmail-functional_account",
        "oxresources-oxresources",
    ]
    for path, (name, module) in zip(paths, declaration["modules"].items(), strict=True):
        catalog = gettext.GNUTranslations(io.BytesIO(Path(path).read_bytes()))
        for prop in module["properties"]:
            assert catalog.gettext(prop["label"]["en"]) == prop["label"]["de"], name
        for english, german in module["messages"].items():
            assert catalog.gettext(english) == german
        assert (
            catalog.gettext(module["short_description"]["en"]) == module["short_description"]["de"]
        )
        assert catalog.info()["content-type"] == "text/plain; charset=UTF-8"


def test_mo_file_with_non_ascii_text(helper):
    catalog = gettext.GNUTranslations(io.BytesIO(helper.mo_file({"Street": "Straße", "a": "ä"})))
    assert catalog.gettext("Street") == "Straße" and catalog.gettext("a") == "ä"
    assert catalog.gettext("unknown") == "unknown"


@pytest.mark.parametrize(
    "ldif, expected",
    [
        ("dn: cn=Subschema\n", "none"),
        ("attributeTypes: ( 1.3.6.1.4.1.19414.2.1.651 NAME 'acl' )\n", "some"),
        (
            "attributeTypes: ( 1.3.6.1.4.1.19414.2.1.651 NAME 'acl' )\n"
            "attributetypes: ( 1.3.6.1.4.1.19419.1.1.1.2 NAME 'unrestrictedMailSize' )\n"
            "attributeTypes: ( 1.3.6.1.4.1.19414.2.1\n .605 NAME 'cyrus-userquota' )\n",  # folded
            "all",
        ),
    ],
)
def test_schema_known(helper, ldif, expected):
    schema = (ROOT / "ucs" / "schema" / "oxforucs-extra.schema").read_text()
    assert helper.schema_known(schema, ldif) == expected


def test_schema_oids_are_all_definitions(helper):
    schema = (ROOT / "ucs" / "schema" / "oxforucs.schema").read_text()
    assert len(helper.schema_oids(schema)) == 146 + 15


def test_template_repairs_touch_only_known_old_values(helper):
    old = {
        "oxDisplayName": "",
        "oxAccess": "",
        "unixhome": "/home/",
        "primaryGroup": f"cn=Domain Admins,cn=groups,{BASE}",
    }
    users = f"cn=Domain Users,cn=groups,{BASE}"
    assert helper.template_repairs(old, users) == [
        ("oxDisplayName", "<firstname> <lastname>"),
        ("oxAccess", "premium"),
        ("unixhome", "/home/<username>"),
        ("primaryGroup", f"cn=Domain Users,cn=groups,{BASE}"),
    ]
    changed = {"oxDisplayName": "<lastname>", "oxAccess": "webmail", "unixhome": "/srv/<username>"}
    assert helper.template_repairs(changed, users) == []


def test_parse_udm_list(helper):
    listing = (
        "settings/usertemplate object(s):\n\nDN: cn=t,cn=templates\n"
        "  name: t\n  oxAccess: None\n  unixhome: /home/\n  unixhome: second\n"
    )
    assert helper.parse_udm_list(listing) == {"name": "t", "oxAccess": "", "unixhome": "/home/"}


def test_dry_run_prints_the_calls(helper, capsys):
    assert helper.main(["--dry-run", "containers", "--base", BASE]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"univention-directory-manager container/cn create --ignore_exists --position {BASE} "
        "--set name=open-xchange"
    )
    assert len(out) == 4


def test_the_declaration_is_valid_json_for_the_hosts_python(helper):
    # the host reads it with json.load and a UTF-8 file; nothing beyond plain JSON
    text = (ROOT / "ucs" / "udm" / "properties.json").read_text(encoding="utf-8")
    assert json.loads(text) == helper.load_declaration()
