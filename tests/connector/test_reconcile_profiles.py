"""Access profiles end to end: UDM ``oxmail/accessprofile`` -> ModuleAccessDefinitions.properties
in the state dir -> the OX module access of the users that have the profile.

What the Univention connector 2.1 does with access profiles (and its access-profile tests).
"""

from __future__ import annotations

import pytest

from connector.desired.access import RIGHTS
from connector.run import RunFailed

from .harness import BASE, PREMIUM

PROFILE_TYPE = "oxmail/accessprofile"
PREMIUM_RIGHTS = {r for r, v in PREMIUM.items() if r != "name" and v == "TRUE"}


def profiles_path(harness):
    return harness.state / "ModuleAccessDefinitions.properties"


def profile_lines(harness) -> list[str]:
    """The profile lines of the file (without comments and blank lines)."""
    return [
        line
        for line in profiles_path(harness).read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def profile(name: str, *rights: str, **values) -> dict:
    return {"name": name, "displayName": name.capitalize(), **{r: "TRUE" for r in rights}, **values}


def ox_rights(*rights: str) -> set[str]:
    """OX UserModuleAccess field names of these UDM rights."""
    return {RIGHTS[r] for r in rights}


def profile_dn(name: str) -> str:
    return f"cn={name},cn=accessprofiles,{BASE}"


# -- the file ------------------------------------------------------------------------------------
def test_profiles_file_in_upstream_format(harness):
    harness.profile(
        profile(
            "webmail",
            "webmail",
            "contacts",
            "collectemailaddresses",
            "multiplemailaccounts",
            "subscription",
        )
    )
    harness.profile()  # premium
    harness.run()
    lines = profiles_path(harness).read_text().splitlines()
    assert lines[0].startswith("#") and lines[1].startswith("#")
    assert profile_lines(harness) == [
        "premium=" + ",".join(sorted(PREMIUM_RIGHTS)),
        "webmail=collectemailaddresses,contacts,multiplemailaccounts,subscription,webmail",
    ]
    assert harness.pending() == []


def test_false_strings_do_not_grant(harness):
    cid = harness.context()
    harness.profile(profile("falsy", "webmail", **{r: "FALSE" for r in RIGHTS if r != "webmail"}))
    harness.user("anna", cid, oxAccess="falsy")
    harness.run()
    assert profile_lines(harness) == ["falsy=webmail"]
    assert harness.ox_access(cid, "anna") == ox_rights("webmail")


def test_deleting_a_profile_removes_it_from_the_file(harness):
    harness.profile()
    harness.profile(profile("pim", "calendar", "webmail"))
    harness.run()
    assert [line.split("=")[0] for line in profile_lines(harness)] == ["pim", "premium"]

    harness.delete(PROFILE_TYPE, profile_dn("pim"))
    harness.run()
    assert [line.split("=")[0] for line in profile_lines(harness)] == ["premium"]
    assert harness.pending() == []


# -- applied to users ---------------------------------------------------------------------------
def test_user_rights_equal_the_profile_rights(harness):
    cid = harness.context()
    harness.profile()
    harness.user("anna", cid)  # oxAccess premium
    harness.run()
    assert harness.ox_access(cid, "anna") == ox_rights(*PREMIUM_RIGHTS)
    assert harness.ox_user(cid, "anna").mailenabled is True


@pytest.mark.parametrize(
    "right",
    [
        "webmail",
        "calendar",
        "usm",
        "activesync",
        "webdavxml",
        "globaladdressbookdisabled",
        "deniedportal",
        "editpassword",
        "multiplemailaccounts",
    ],
)
def test_single_right_profile(harness, right):
    cid = harness.context()
    harness.profile(profile(f"only{right}", right))
    harness.user("anna", cid, oxAccess=f"only{right}")
    harness.run()
    assert profile_lines(harness) == [f"only{right}={right}"]
    # exactly that right; the deprecated OLOX20 and publication are false too
    assert harness.ox_access(cid, "anna") == ox_rights(right)


@pytest.mark.parametrize("with_profile_object", [False, True])
def test_none_means_no_rights_and_no_mail(harness, with_profile_object):
    cid = harness.context()
    harness.profile()
    if with_profile_object:  # the join script creates a "none" profile without rights
        harness.profile(profile("none"))
    harness.user("anna", cid, oxAccess="none")
    harness.user("bob", cid)
    harness.run()
    assert harness.ox_access(cid, "anna") == set()
    assert harness.ox_user(cid, "anna").mailenabled is False
    assert harness.ox_user(cid, "bob").mailenabled is True

    # and back: premium again grants the rights and mail
    harness.user("anna", cid)
    harness.run()
    assert harness.ox_access(cid, "anna") == ox_rights(*PREMIUM_RIGHTS)
    assert harness.ox_user(cid, "anna").mailenabled is True


def test_changing_a_users_profile_changes_its_rights(harness):
    cid = harness.context()
    harness.profile()
    harness.profile(profile("pim", "calendar", "webmail", "tasks"))
    harness.user("anna", cid)
    harness.run()
    harness.reset_calls()
    harness.user("anna", cid, oxAccess="pim")
    harness.run()
    assert harness.ox_access(cid, "anna") == ox_rights("calendar", "webmail", "tasks")
    assert harness.writes() == {"OXUserService.changeByModuleAccess": 1}


def test_changing_a_profile_updates_every_user_that_has_it(harness):
    c1, c2 = harness.context(), harness.context()
    harness.profile()
    harness.profile(profile("staff", "webmail", "contacts"))
    harness.user("anna", c1, oxAccess="staff")
    harness.user("bob", c2, oxAccess="staff")
    harness.user("carl", c1)  # premium
    harness.run()
    assert harness.ox_access(c1, "anna") == ox_rights("webmail", "contacts")

    harness.reset_calls()
    harness.profile(profile("staff", "webmail", "calendar", "tasks"))  # contacts removed
    harness.run()  # no user file is queued: the profile change alone must do it
    calls = harness.calls()
    assert calls.get("OXUserService.changeByModuleAccess") == 2, calls
    assert harness.writes() == {"OXUserService.changeByModuleAccess": 2}
    new = ox_rights("webmail", "calendar", "tasks")
    assert harness.ox_access(c1, "anna") == new
    assert harness.ox_access(c2, "bob") == new
    assert harness.ox_access(c1, "carl") == ox_rights(*PREMIUM_RIGHTS)
    assert "staff=calendar,tasks,webmail" in profile_lines(harness)

    # the same profile again: nothing to do
    harness.reset_calls()
    harness.profile(profile("staff", "webmail", "calendar", "tasks"))
    harness.run()
    assert harness.writes() == {}


def test_user_with_missing_profile_fails_naming_field_and_profile(harness):
    cid = harness.context()
    harness.profile()
    harness.run()
    path = harness.user("anna", cid, oxAccess="doesnotexist")
    with pytest.raises(RunFailed) as failed:
        harness.run()
    assert failed.value.path == path
    assert "oxAccess" in failed.value.reason
    assert "doesnotexist" in failed.value.reason
    assert harness.pending() == [path.name]
    assert harness.ox_user_names(cid) == set()

    # once the profile exists, the same file goes through
    harness.profile(profile("doesnotexist", "webmail"))
    harness.run()
    assert harness.ox_access(cid, "anna") == ox_rights("webmail")
    assert harness.pending() == []
