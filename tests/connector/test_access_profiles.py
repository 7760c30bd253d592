"""Access profiles: UDM objects -> rights, OX module access, and the properties file."""

from __future__ import annotations

import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.contract import SERVICES
from connector.desired.access import (
    RIGHTS,
    AccessProfile,
    desired_access_profile,
    module_access,
)
from connector.desired.errors import InvalidAttribute
from connector.state.access_profiles import AccessProfilesError, AccessProfilesFile


def test_only_true_values_grant_rights():
    p = desired_access_profile(
        {
            "name": "premium",
            "webmail": "TRUE",
            "calendar": True,
            "contacts": "FALSE",
            "tasks": None,
            "ical": "True",
        }
    )
    assert p == AccessProfile("premium", frozenset({"webmail", "calendar", "ical"}))


def test_bad_values_and_names_are_named():
    with pytest.raises(InvalidAttribute, match='field "webmail": expected "TRUE" or "FALSE"'):
        desired_access_profile({"name": "x", "webmail": "maybe"})
    with pytest.raises(InvalidAttribute, match='field "name"'):
        desired_access_profile({"name": "a=b"})


def test_module_access_sends_every_field_and_denies_the_rest():
    access = module_access(frozenset({"webmail", "contacts"}))
    ox_fields = {f.name for f in SERVICES["OXUserService"].types["UserModuleAccess"].fields}
    assert set(access) == ox_fields  # all 26, so OX's defaults never grant anything
    assert {k for k, v in access.items() if v} == {"webmail", "contacts"}
    assert not any(module_access(frozenset()).values())  # "none": no rights at all
    with pytest.raises(ValueError, match="unknown rights: flying"):
        module_access(frozenset({"flying"}))


def test_file_roundtrip_in_upstream_format(tmp_path):
    f = AccessProfilesFile(tmp_path / "ModuleAccessDefinitions.properties")
    assert f.set("webmail", frozenset({"webmail", "contacts"})) is True
    assert f.set("none", frozenset()) is True
    assert f.set("pim-drive.v2", frozenset({"calendar", "infostore"})) is True
    assert f.set("webmail", frozenset({"webmail", "contacts"})) is False  # unchanged
    lines = f.path.read_text().splitlines()
    assert lines[0].startswith("#") and lines[1].startswith("#")
    assert lines[2:] == ["none=", "pim-drive.v2=calendar,infostore", "webmail=contacts,webmail"]
    assert f.load() == {
        "none": frozenset(),
        "pim-drive.v2": frozenset({"calendar", "infostore"}),
        "webmail": frozenset({"webmail", "contacts"}),
    }
    assert stat.S_IMODE(f.path.stat().st_mode) == 0o600  # as every state file (issue 14)
    assert f.remove("none") is True and f.remove("none") is False
    assert set(f.load()) == {"pim-drive.v2", "webmail"}


def test_reads_an_upstream_file_with_blank_lines_and_comments(tmp_path):
    path = tmp_path / "ModuleAccessDefinitions.properties"
    path.write_text("# header one\n# header two\npremium=calendar,contacts,webmail\n\n")
    assert AccessProfilesFile(path).load() == {
        "premium": frozenset({"calendar", "contacts", "webmail"})
    }


@pytest.mark.parametrize(
    "line,problem",
    [
        ("justaname", "expected name=right"),
        ("x=webmail,teleport", "unknown rights teleport"),
        ("=webmail", "expected name=right"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path, line, problem):
    path = tmp_path / "ModuleAccessDefinitions.properties"
    path.write_text(f"# c\nok=webmail\n{line}\n")
    with pytest.raises(AccessProfilesError) as exc_info:
        AccessProfilesFile(path).load()
    assert f"{path}, line 3: {problem}" in str(exc_info.value)


@given(
    st.dictionaries(
        st.text(
            st.characters(
                blacklist_characters="=\n\r#", blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")
            ),
            min_size=1,
            max_size=12,
        ),
        st.frozensets(st.sampled_from(sorted(RIGHTS))),
        max_size=6,
    )
)
def test_any_profiles_roundtrip(tmp_path_factory, profiles):
    f = AccessProfilesFile(tmp_path_factory.mktemp("p") / "ModuleAccessDefinitions.properties")
    for name, rights in profiles.items():
        f.set(name, rights)
    assert f.load() == profiles
