"""Access profiles (``oxmail/accessprofile``): a user's OX module access is exactly the
rights of its ``oxAccess`` profile; ``none`` means no rights and mail disabled; a user
switching profiles gets the new profile's rights; UDM refuses to remove a profile while
users use it, and refuses to change a profile's rights after creation (every right is
``may_change=False``), so what reaches users is a re-created profile.

As the Univention connector 2.1 handles access profiles, and as its access-profile tests
check, plus the cases those tests leave out (modification, ``none``, removal blocked while
in use). Runs on both backends.
"""

from __future__ import annotations

import pytest

from udm_simulator import ACCESS_PROFILES, DEFAULT_ACCESS_PROFILES, RIGHTS, UDMError

from .strategies import OX_RIGHTS

DEPRECATED = {"OLOX20", "publication"}  # OX's deprecated rights: not compared (as upstream)
PROFILE_RIGHTS = {name: rights for name, _, rights in DEFAULT_ACCESS_PROFILES}


def test_the_rights_table_covers_every_udm_right():
    assert set(OX_RIGHTS) == set(RIGHTS) and len(RIGHTS) == 24


def granted(backend, cid: int, user) -> list[str]:
    """The OX rights of ``user``, without the deprecated ones."""
    return sorted(set(backend.ox.rights(cid, user["username"])) - DEPRECATED)


def expected(rights) -> list[str]:
    return sorted(OX_RIGHTS[r] for r in rights)


def mail_enabled(backend, cid: int, user) -> bool:
    return backend.ox.user(cid, user["username"])["mailenabled"]


@pytest.mark.parametrize("right", RIGHTS)
def test_each_right_alone_gives_exactly_that_right(backend, right):
    cid = backend.default_context
    profile = backend.access_profile(rights=[right])
    assert profile[right] == "TRUE"
    assert all(profile[r] == "FALSE" for r in RIGHTS if r != right)
    user = backend.user(oxAccess=profile["name"])
    backend.sync()

    assert granted(backend, cid, user) == [OX_RIGHTS[right]]
    assert mail_enabled(backend, cid, user) is True

    backend.remove(user.dn)
    backend.remove(profile.dn)
    backend.sync()
    assert backend.ox.user(cid, user["username"]) is None


@pytest.mark.parametrize("profile", [name for name, _, _ in DEFAULT_ACCESS_PROFILES])
def test_the_default_profiles(backend, profile):
    cid = backend.default_context
    user = backend.user(oxAccess=profile)
    backend.sync()
    assert granted(backend, cid, user) == expected(PROFILE_RIGHTS[profile])
    assert mail_enabled(backend, cid, user) is (profile != "none")


def test_none_means_no_rights_and_mail_disabled(backend):
    cid = backend.default_context
    user = backend.user(oxAccess="none")
    backend.sync()
    assert granted(backend, cid, user) == []
    assert mail_enabled(backend, cid, user) is False

    backend.modify(user.dn, {"oxAccess": "premium"})
    backend.sync()
    assert granted(backend, cid, user) == expected(PROFILE_RIGHTS["premium"])
    assert mail_enabled(backend, cid, user) is True

    backend.modify(user.dn, {"oxAccess": "none"})
    backend.sync()
    assert granted(backend, cid, user) == []
    assert mail_enabled(backend, cid, user) is False


def test_a_user_switching_profiles_gets_exactly_the_new_rights(backend):
    cid = backend.context()["contextid"]
    custom = backend.access_profile(rights=["calendar", "tasks", "syncml"])
    user = backend.user(context=cid, oxAccess="premium")
    backend.sync()
    assert granted(backend, cid, user) == expected(PROFILE_RIGHTS["premium"])

    for profile, rights in (
        ("webmail", PROFILE_RIGHTS["webmail"]),
        (custom["name"], ("calendar", "tasks", "syncml")),
        ("pim_drive", PROFILE_RIGHTS["pim_drive"]),
    ):
        backend.modify(user.dn, {"oxAccess": profile})
        backend.sync()
        assert granted(backend, cid, user) == expected(rights), profile
        assert mail_enabled(backend, cid, user) is True


def test_udm_refuses_to_change_a_profiles_rights(backend):
    cid = backend.default_context
    profile = backend.access_profile(rights=["webmail", "contacts"], displayName="Mail only")
    users = [backend.user(oxAccess=profile["name"]) for _ in range(2)]
    backend.sync()

    with pytest.raises(UDMError):
        backend.modify(profile.dn, {"calendar": True})
    with pytest.raises(UDMError):
        backend.modify(profile.dn, {"webmail": False})
    assert backend.get(profile.dn)["calendar"] == "FALSE"
    # the display name is the one property UDM lets change: the rights stay as they are
    backend.modify(profile.dn, {"displayName": "Mail and contacts"})
    backend.sync()
    for user in users:
        assert granted(backend, cid, user) == expected(["webmail", "contacts"])


def test_udm_refuses_to_remove_a_profile_while_users_use_it(backend):
    cid = backend.default_context
    profile = backend.access_profile(rights=["webmail"])
    user = backend.user(oxAccess=profile["name"])
    backend.sync()

    with pytest.raises(UDMError):
        backend.remove(profile.dn)
    backend.sync()
    assert granted(backend, cid, user) == ["webmail"]
    # a later change of the user still finds the profile
    backend.modify(user.dn, {"firstname": "Changed"})
    backend.sync()
    assert granted(backend, cid, user) == ["webmail"]

    backend.modify(user.dn, {"oxAccess": "webmail"})
    backend.remove(profile.dn)
    backend.sync()
    assert granted(backend, cid, user) == expected(PROFILE_RIGHTS["webmail"])


def test_a_profile_re_created_with_other_rights_reaches_every_user_that_takes_it(backend):
    """What UDM allows instead of changing rights: move the users off the profile, remove
    it, create it again under the same name with other rights, move the users back."""
    home, second = backend.default_context, backend.context()["contextid"]
    name = backend.unique("profile")
    profile = backend.access_profile(name, rights=["webmail", "calendar"])
    users = [
        backend.user(oxAccess=name),
        backend.user(oxAccess=name),
        backend.user(context=second, oxAccess=name),
    ]
    where = [home, home, second]
    backend.sync()
    for cid, user in zip(where, users, strict=True):
        assert granted(backend, cid, user) == expected(["webmail", "calendar"])

    for user in users:
        backend.modify(user.dn, {"oxAccess": "none"})
    backend.remove(profile.dn)
    backend.sync()
    again = backend.create(
        ACCESS_PROFILES,
        {"name": name, **{r: r in ("webmail", "tasks", "infostore") for r in RIGHTS}},
    )
    assert again["calendar"] == "FALSE" and again["tasks"] == "TRUE"
    for user in users:
        backend.modify(user.dn, {"oxAccess": name})
    backend.sync()
    for cid, user in zip(where, users, strict=True):
        assert granted(backend, cid, user) == expected(["webmail", "tasks", "infostore"])
        assert mail_enabled(backend, cid, user) is True


def test_a_profile_re_created_in_one_batch_reaches_its_users(backend):
    """The same, with removal and re-creation applied in one run of the connector: the
    profile's newest state wins."""
    cid = backend.default_context
    name = backend.unique("profile")
    profile = backend.access_profile(name, rights=["calendar"])
    user = backend.user(oxAccess=name)
    backend.sync()
    assert granted(backend, cid, user) == ["calendar"]

    user = backend.modify(user.dn, {"oxAccess": "none"})
    backend.remove(profile.dn)
    backend.access_profile(name, rights=["contacts", "tasks"])
    backend.modify(user.dn, {"oxAccess": name})
    backend.sync()
    assert granted(backend, cid, user) == expected(["contacts", "tasks"])


def test_rights_survive_a_context_move(backend):
    home, second = backend.default_context, backend.context()["contextid"]
    profile = backend.access_profile(
        rights=["webmail", "editpassword", "globaladdressbookdisabled"]
    )
    none_user = backend.user(oxAccess="none")
    user = backend.user(oxAccess=profile["name"])
    backend.sync()

    user = backend.modify(user.dn, {"oxContext": second})
    none_user = backend.modify(none_user.dn, {"oxContext": second})
    backend.sync()
    assert backend.ox.user(home, user["username"]) is None
    assert granted(backend, second, user) == expected(
        ["webmail", "editpassword", "globaladdressbookdisabled"]
    )
    assert granted(backend, second, none_user) == []
    assert mail_enabled(backend, second, none_user) is False
    assert mail_enabled(backend, second, user) is True
