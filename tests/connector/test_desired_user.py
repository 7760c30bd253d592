"""UDM users/user -> desired OX user: the pure mapping."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.contract import SERVICES
from connector.desired.errors import InvalidAttribute
from connector.desired.user import USER_FIELDS, DesiredUser, MailDefaults, desired_user

DEFAULTS = MailDefaults(
    imap_server="imaps://mail.example.org:993",
    smtp_server="smtp://mail.example.org:587",
    language="de_DE",
    timezone="Europe/Berlin",
    default_context=10,
)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 20


def udm_user(**props):
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


def test_typical_user():
    d = desired_user(
        udm_user(
            mailAlternativeAddress=["a@example.org", "anna@example.org"],
            phone=["+49 1", "+49 2", "+49 3"],
            organisation="Example AG",
            birthday="1990-05-17",
        ),
        DEFAULTS,
    )
    assert isinstance(d, DesiredUser)
    assert (d.enabled, d.context_id, d.name, d.access_profile) == (True, 12, "anna", "premium")
    f = d.fields
    assert (f["given_name"], f["sur_name"], f["display_name"]) == ("Anna", "Alt", "Anna Alt")
    assert f["primaryEmail"] == f["email1"] == f["imapLogin"] == "anna@example.org"
    assert f["aliases"] == ["anna@example.org", "a@example.org"]  # primary first, no dupes
    assert (f["telephone_business1"], f["telephone_business2"]) == ("+49 1", "+49 2")
    assert f["company"] == "Example AG" and f["birthday"] == "1990-05-17"
    assert (f["imapServer"], f["imapPort"], f["imapSchema"]) == (
        "mail.example.org",
        993,
        "imaps://",
    )
    assert (f["smtpServer"], f["smtpPort"], f["smtpSchema"]) == ("mail.example.org", 587, "smtp://")
    assert f["mailenabled"] is True and f["image1"] == b"" and f["image1ContentType"] == ""
    assert d.create_only == {
        "language": "de_DE",
        "timezone": "Europe/Berlin",
        "defaultSenderAddress": "anna@example.org",
    }


def test_empty_udm_values_clear_text_fields():
    f = desired_user(udm_user(organisation=None, phone=[], oxNote=""), DEFAULTS).fields
    assert f["company"] == "" and f["telephone_business1"] == "" and f["note"] == ""
    assert "birthday" not in f  # dates cannot be emptied through SOAP: not sent


def test_mail_home_server_overrides_the_default_host():
    f = desired_user(udm_user(mailHomeServer="imap7.example.org"), DEFAULTS).fields
    assert f["imapServer"] == f["smtpServer"] == "imap7.example.org"
    assert f["imapPort"] == 993


@pytest.mark.parametrize(
    "raw,iso",
    [("1990-05-17", "1990-05-17"), ("17.05.1990", "1990-05-17"), ("1.2.2003", "2003-02-01")],
)
def test_dates(raw, iso):
    f = desired_user(udm_user(birthday=raw, oxAnniversary=raw), DEFAULTS).fields
    assert f["birthday"] == f["anniversary"] == iso


@pytest.mark.parametrize(
    "prop,value,reason",
    [
        ("birthday", "1990-13-01", "not a date"),
        ("birthday", "yesterday", "not a date (YYYY-MM-DD or DD.MM.YYYY)"),
        ("oxAnniversary", "31.02.2020", "not a date"),
        ("jpegPhoto", base64.b64encode(b"\x89PNG\r\n\x1a\n....").decode(), "not a JPEG image"),
        ("jpegPhoto", "%%%not-base64", "not base64"),
        ("isOxUser", "perhaps", 'expected "OK" or "Not"'),
        ("oxContext", "ten", "not a context id"),
        ("oxContext", "0", "not a context id"),
        ("oxUserQuota", "lots", "not a whole number of MB"),
    ],
)
def test_invalid_values_name_the_field(prop, value, reason):
    with pytest.raises(InvalidAttribute) as exc_info:
        desired_user(udm_user(**{prop: value}), DEFAULTS)
    assert exc_info.value.udm_property == prop
    assert str(exc_info.value).startswith(f'field "{prop}": {reason}')


@pytest.mark.parametrize(
    ("quota", "mb"),
    [("512", 512), (1024, 1024), ("-1", -1), ("0", -1), (0, -1), ("", -1), (None, -1)],
)
def test_user_quota_in_mb_and_empty_or_zero_is_unlimited(quota, mb):
    assert desired_user(udm_user(oxUserQuota=quota), DEFAULTS).fields["maxQuota"] == mb
    assert desired_user(udm_user(), DEFAULTS).fields["maxQuota"] == -1  # the key absent


def test_jpeg_photo_is_decoded():
    f = desired_user(udm_user(jpegPhoto=base64.b64encode(JPEG).decode()), DEFAULTS).fields
    assert f["image1"] == JPEG and f["image1ContentType"] == "image/jpeg"


@pytest.mark.parametrize(
    "flag,enabled",
    [("OK", True), ("Not", False), (True, True), (False, False), (None, False), ("TRUE", True)],
)
def test_enable_flag(flag, enabled):
    assert desired_user(udm_user(isOxUser=flag), DEFAULTS).enabled is enabled


def test_empty_context_means_default_context():
    assert desired_user(udm_user(oxContext=""), DEFAULTS).context_id == 10
    assert desired_user(udm_user(oxContext=None), DEFAULTS).context_id == 10
    assert desired_user(udm_user(oxContext=15), DEFAULTS).context_id == 15


@pytest.mark.parametrize(
    "access,mail", [("none", False), (None, False), ("", False), ("webmail", True)]
)
def test_mail_enabled_follows_access_profile(access, mail):
    assert desired_user(udm_user(oxAccess=access), DEFAULTS).fields["mailenabled"] is mail


def test_enabled_user_needs_primary_mail_but_disabled_one_does_not():
    with pytest.raises(InvalidAttribute, match='field "mailPrimaryAddress"'):
        desired_user(udm_user(mailPrimaryAddress=""), DEFAULTS)
    assert desired_user(udm_user(mailPrimaryAddress="", isOxUser="Not"), DEFAULTS).enabled is False


def test_identifier_property_and_empty_name():
    d = desired_user(
        udm_user(mailPrimaryAddress="x@example.org", uid_alt="anna.alt"),
        DEFAULTS,
        identifier="uid_alt",
    )
    assert d.name == "anna.alt"
    with pytest.raises(InvalidAttribute, match='field "username": the OX user name is empty'):
        desired_user(udm_user(username=""), DEFAULTS)


def test_mapping_targets_real_ox_fields_once():
    ox_fields = {f.name for f in SERVICES["OXUserService"].types["User"].fields}
    targets = [m.ox for m in USER_FIELDS]
    assert set(targets) <= ox_fields
    assert len(targets) == len(set(targets))
    sources = [(m.udm, m.index) for m in USER_FIELDS]
    assert len(sources) == len(set(sources))


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from([m.udm for m in USER_FIELDS if m.index == 0]), _text))
def test_any_text_maps_verbatim(props):
    d = desired_user(udm_user(**props), DEFAULTS)
    for m in USER_FIELDS:
        if m.index == 0 and m.udm in props:
            assert d.fields[m.ox] == props[m.udm]
    assert all(isinstance(d.fields[m.ox], str) for m in USER_FIELDS)
