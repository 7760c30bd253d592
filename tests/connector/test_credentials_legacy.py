"""The credentials file in both historic formats: ``contexts.json`` (Univention app 1.1.1
and later) and one ``context<ID>.secret`` file per context holding only the password (the
OX App Suite app's, which app 1.1.1 migrated; its README also named them ``context<ID>``)."""

from __future__ import annotations

import json

import pytest

from connector.model.credentials import Credentials
from connector.state.credentials import CredentialsError, CredentialsFile


@pytest.fixture
def secrets(tmp_path):
    path = tmp_path / "secrets"
    path.mkdir()
    return path


def test_legacy_files_name_the_admin_by_the_default_context(secrets):
    (secrets / "context10.secret").write_text("pw-ten\n")
    (secrets / "context2.secret").write_text("  pw-two  \n")
    (secrets / "context7").write_text("pw-seven")  # as the Univention app's README said
    creds = CredentialsFile(secrets / "contexts.json", default_context=10)
    assert creds.context(10) == Credentials("oxadmin", "pw-ten")
    assert creds.context(2) == Credentials("oxadmin-context2", "pw-two")
    assert creds.context(7) == Credentials("oxadmin-context7", "pw-seven")
    assert creds.master() is None
    other_default = CredentialsFile(secrets / "contexts.json", default_context=2)
    assert other_default.context(2) == Credentials("oxadmin", "pw-two")
    assert other_default.context(10) == Credentials("oxadmin-context10", "pw-ten")


def test_contexts_json_wins_and_legacy_files_are_never_written(secrets):
    (secrets / "context10.secret").write_text("old")
    (secrets / "context11.secret").write_text("eleven")
    path = secrets / "contexts.json"
    path.write_text(json.dumps({"10": {"adminuser": "oxadmin", "adminpass": "new"}}))
    creds = CredentialsFile(path)
    assert creds.context(10) == Credentials("oxadmin", "new")
    assert creds.context(11) == Credentials("oxadmin-context11", "eleven")
    creds.set(12, Credentials("oxadmin-context12", "twelve"))
    # contexts.json gets the new entry only; the legacy files stay as they were
    assert sorted(json.loads(path.read_text())) == ["10", "12"]
    assert (secrets / "context11.secret").read_text() == "eleven"
    creds.remove(11)  # only contexts.json entries can be forgotten
    assert creds.context(11) == Credentials("oxadmin-context11", "eleven")
    assert sorted(p.name for p in secrets.iterdir()) == [
        "context10.secret",
        "context11.secret",
        "contexts.json",
    ]


def test_other_files_in_the_secrets_dir_are_not_credentials(secrets):
    for name in ("master.secret", "context.secret", "contextX.secret", "context10.secret.bak"):
        (secrets / name).write_text("x")
    (secrets / "context3.secret").mkdir()
    assert CredentialsFile(secrets / "contexts.json").load() == {}


def test_a_legacy_file_added_later_is_seen(secrets):
    creds = CredentialsFile(secrets / "contexts.json")
    assert creds.context(5) is None
    (secrets / "context5.secret").write_text("five")
    assert creds.context(5) == Credentials("oxadmin-context5", "five")
    (secrets / "context5.secret").write_text("changed, longer")
    assert creds.context(5) == Credentials("oxadmin-context5", "changed, longer")


@pytest.mark.parametrize(
    "files, expected",
    [
        ({"context4.secret": "\n"}, "context4.secret: empty"),
        (
            {"context4.secret": "pw-first", "context4": "pw-second"},
            "two different passwords for context 4",
        ),
    ],
)
def test_unusable_legacy_files_name_the_file(secrets, files, expected):
    for name, text in files.items():
        (secrets / name).write_text(text)
    with pytest.raises(CredentialsError, match=expected) as exc_info:
        CredentialsFile(secrets / "contexts.json").load()
    assert str(secrets) in str(exc_info.value)
    assert "pw-" not in str(exc_info.value)  # passwords never appear in messages


def test_the_same_password_under_both_legacy_names_is_fine(secrets):
    (secrets / "context4.secret").write_text("same\n")
    (secrets / "context4").write_text("same")
    assert CredentialsFile(secrets / "contexts.json").context(4) == Credentials(
        "oxadmin-context4", "same"
    )
