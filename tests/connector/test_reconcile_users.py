"""users/user end to end: converter files in a queue dir, a connector run, OX read back
over HTTP from the emulator (tests.oxclient's reference-WSDL clients, no mocks)."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.desired.user import USER_FIELDS
from connector.queue import run_lock
from connector.run import RunFailed, open_connector, run_queue

from ..oxclient import Ctx
from .harness import Harness, _context_ids, udm_user, user_dn

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(64))
JPEG_2 = b"\xff\xd8\xff\xdb\x00\x43" + bytes(range(200, 256)) * 2
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(32)
WEBMAIL = {"name": "webmailonly", "webmail": "TRUE", "contacts": "TRUE"}
# the fields the mapping treats like text but whose UDM property is multi-valued
MULTI = {
    "phone",
    "homeTelephoneNumber",
    "mobileTelephoneNumber",
    "pagerTelephoneNumber",
    "roomNumber",
}
MANDATORY = {"display_name", "given_name", "sur_name"}  # OX refuses them empty on create


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def ready(harness: Harness, *profiles: dict) -> int:
    """A fresh context plus the premium profile (and any others), applied."""
    cid = harness.context()
    harness.profile()
    for profile in profiles:
        harness.profile(profile)
    harness.run()
    return cid


def admin_ctx(harness: Harness, cid: int) -> Ctx:
    """The context seen with its admin's credentials (for setting things directly in OX)."""
    return Ctx(harness.ox, cid, harness.admin(cid))


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return value.isoformat()


def all_user_fields() -> tuple[dict, dict]:
    """UDM properties setting every USER_FIELDS entry, and the OX value each field wants."""
    props: dict = {}
    expected: dict[str, str] = {}
    for m in USER_FIELDS:
        value = f"{m.udm} value {m.index}"
        if m.ox in ("email2", "email3"):  # OX checks the syntax of these
            value = f"{m.udm.lower()}@example.net"
        expected[m.ox] = value
        if m.udm in MULTI:
            values = props.setdefault(m.udm, [])
            values.extend([""] * (m.index + 1 - len(values)))
            values[m.index] = value
        else:
            props[m.udm] = value
    # a multi-valued property's further values are ignored, not an error
    props["mobileTelephoneNumber"].append("+49 ignored")
    props["roomNumber"].append("ignored room")
    return props, expected


def rename(harness: Harness, old: str, new: str, cid: int, **props):
    """The same directory object (entryUUID) under a new name and DN."""
    object_id = harness.ids[user_dn(old).lower()]
    return harness.write(
        "users/user", user_dn(new), udm_user(new, cid, **props), object_id=object_id
    )


# --- create with the attribute table ----------------------------------------------------------


def test_create_sets_every_user_field(harness):
    cid = ready(harness)
    props, expected = all_user_fields()
    harness.user("anna", cid, **props)
    harness.run()
    anna = harness.ox_user(cid, "anna")
    wrong = {f: (getattr(anna, f), v) for f, v in expected.items() if getattr(anna, f) != v}
    assert wrong == {}
    assert anna.name == "anna" and anna.primaryEmail == anna.email1 == "anna@example.org"
    assert anna.imapLogin == "anna@example.org"
    assert harness.ox_access(cid, "anna") >= {"calendar", "webmail", "infostore", "USM"}


_names = itertools.count(1)
printable = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn")), min_size=1, max_size=40)


@pytest.fixture
def drawn(harness):
    """A ready context and a run function that keeps one connector open across Hypothesis
    examples (what ``harness.run`` does, without re-reading the WSDLs every time)."""
    cid = ready(harness)
    config = harness.settings()
    with open_connector(config) as connector:

        def run():
            with run_lock(connector.lock_path):
                return run_queue(connector.reconciler, config.queue_dir)

        yield harness, cid, run


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "organisation": printable,
            "oxNote": printable,
            "oxCityHome": printable,
            "oxUserfield07": printable,
            "title": printable,
            "oxPosition": printable,
            "street": printable,
            "phone": st.lists(printable, min_size=1, max_size=2),
        },
    )
)
def test_create_with_drawn_text(drawn, props):
    harness, cid, run = drawn
    name = f"drawn{next(_names)}"
    harness.user(name, cid, **props)
    run()
    user = harness.ox_user(cid, name)
    for m in USER_FIELDS:
        if m.udm in props:
            value = props[m.udm]
            want = (
                (value[m.index] if len(value) > m.index else None)
                if isinstance(value, list)
                else value
            )
            assert getattr(user, m.ox) == want, m.ox
    # and nothing more to do for the same object again
    harness.reset_calls()
    harness.user(name, cid, **props)
    run()
    assert harness.writes() == {}


def test_aliases_are_primary_plus_alternatives(harness):
    cid = ready(harness)
    harness.user("bert", cid, mailAlternativeAddress=["b.1@example.org", "b.2@example.org"])
    harness.run()
    bert = harness.ox_user(cid, "bert")
    assert set(bert.aliases) == {"bert@example.org", "b.1@example.org", "b.2@example.org"}
    # a changed list replaces OX's (one removed, one added)
    harness.user("bert", cid, mailAlternativeAddress=["b.2@example.org", "b.3@example.org"])
    harness.run()
    assert set(harness.ox_user(cid, "bert").aliases) == {
        "bert@example.org",
        "b.2@example.org",
        "b.3@example.org",
    }


def test_mail_servers_from_settings_or_mail_home_server(harness):
    cid = ready(harness)
    harness.user("carl", cid)
    harness.user("cora", cid, mailHomeServer="mx7.example.org")
    harness.run()
    carl, cora = harness.ox_user(cid, "carl"), harness.ox_user(cid, "cora")
    assert (carl.imapServer, carl.imapPort, carl.imapSchema) == ("mail.example.org", 143, "imap://")
    assert (carl.smtpServer, carl.smtpPort, carl.smtpSchema) == ("mail.example.org", 587, "smtp://")
    assert carl.imapServerString == "imap://mail.example.org:143"
    assert carl.smtpServerString == "smtp://mail.example.org:587"
    assert cora.imapServerString == "imap://mx7.example.org:143"
    assert cora.smtpServerString == "smtp://mx7.example.org:587"
    # a changed home server moves both; an emptied one falls back to the settings
    harness.user("carl", cid, mailHomeServer="mx8.example.org")
    harness.user("cora", cid, mailHomeServer="")
    harness.run()
    carl, cora = harness.ox_user(cid, "carl"), harness.ox_user(cid, "cora")
    assert carl.imapServerString == "imap://mx8.example.org:143"
    assert carl.smtpServerString == "smtp://mx8.example.org:587"  # the port stays
    assert cora.imapServerString == "imap://mail.example.org:143"
    assert cora.smtpServerString == "smtp://mail.example.org:587"


@pytest.mark.parametrize(
    "birthday, anniversary", [("1990-05-17", "2015-08-01"), ("17.05.1990", "1.8.2015")]
)
def test_dates_in_both_udm_formats(harness, birthday, anniversary):
    cid = ready(harness)
    harness.user("dora", cid, birthday=birthday, oxAnniversary=anniversary)
    harness.run()
    dora = harness.ox_user(cid, "dora")
    assert (iso(dora.birthday), iso(dora.anniversary)) == ("1990-05-17", "2015-08-01")
    harness.reset_calls()
    harness.user("dora", cid, birthday=birthday, oxAnniversary=anniversary)
    harness.run()
    assert harness.writes() == {}  # the other format of the same date is no change
    harness.user("dora", cid, birthday="18.05.1990", oxAnniversary="2016-08-01")
    harness.run()
    dora = harness.ox_user(cid, "dora")
    assert (iso(dora.birthday), iso(dora.anniversary)) == ("1990-05-18", "2016-08-01")


def test_photo_set_replaced_and_cleared(harness):
    cid = ready(harness)
    harness.user("emil", cid, jpegPhoto=b64(JPEG))
    harness.run()
    emil = harness.ox_user(cid, "emil")
    assert (emil.image1, emil.image1ContentType) == (JPEG, "image/jpeg")
    harness.user("emil", cid, jpegPhoto=b64(JPEG_2))
    harness.run()
    assert harness.ox_user(cid, "emil").image1 == JPEG_2
    harness.user("emil", cid, jpegPhoto="")
    harness.run()
    emil = harness.ox_user(cid, "emil")
    assert not emil.image1 and not emil.image1ContentType


def test_quota_unlimited(harness):
    cid = ready(harness)
    harness.user("fred", cid, oxUserQuota="-1")
    harness.user("finn", cid, oxUserQuota="")
    harness.run()
    assert harness.ox_user(cid, "fred").maxQuota == harness.ox_user(cid, "finn").maxQuota == -1
    harness.reset_calls()
    harness.user("fred", cid, oxUserQuota="-1")
    harness.user("finn", cid, oxUserQuota="")
    harness.run()
    assert harness.writes() == {}


def give_own_filestore(harness, cid: int, name: str, quota: int = -1) -> None:
    """What an OX admin does (movecontextfilestore2user): the user's files move into a
    filestore of its own (the context's filestore 1 here), ``quota`` MB (-1 unlimited)."""
    harness.ox.user.moveFromContextToUserFilestore(
        ctx={"id": cid},
        user={"name": name},
        dst_filestore_id={"id": 1},
        max_quota=quota,
        auth=harness.admin(cid),
    )


def test_a_user_created_with_a_quota_gets_it(harness):
    """OX gives a user created with a quota a filestore of its own (as the Univention
    connector sends it, so does this one); later quotas and other changes apply."""
    cid = ready(harness)
    harness.user("fritz", cid, oxUserQuota="1024")
    harness.run()
    fritz = harness.ox_user(cid, "fritz")
    assert (fritz.maxQuota, fritz.filestoreId) == (1024, 1)
    harness.user("fritz", cid, oxUserQuota="2048", organisation="Fritz & Co")
    harness.run()
    assert harness.pending() == []
    fritz = harness.ox_user(cid, "fritz")
    assert (fritz.maxQuota, fritz.company) == (2048, "Fritz & Co")


def test_quota_reaches_a_user_with_its_own_filestore(harness):
    """Whether OX keeps a quota for a user is its positive filestoreId, not its maxQuota:
    an owner with an unlimited quota (-1) gets the directory's quota. Emptied, 0 and -1
    all make it unlimited again."""
    cid = ready(harness)
    harness.user("uma", cid)
    harness.run()
    give_own_filestore(harness, cid, "uma")
    assert harness.ox_user(cid, "uma").maxQuota == -1
    for unlimited in ("", "0", "-1", None):
        harness.user("uma", cid, oxUserQuota="500")
        harness.run()
        assert harness.pending() == []
        assert harness.ox_user(cid, "uma").maxQuota == 500
        harness.user("uma", cid, **({} if unlimited is None else {"oxUserQuota": unlimited}))
        harness.run()
        assert harness.ox_user(cid, "uma").maxQuota == -1, unlimited
    harness.reset_calls()
    harness.user("uma", cid, oxUserQuota="0")
    harness.run()
    assert harness.writes() == {}


def test_quota_is_left_alone_for_a_user_without_own_filestore(harness, caplog):
    """OX refuses a quota for a user whose files are in the context's filestore; the
    connector does not send it (a warning names the user) and applies the rest, so the
    queue never jams on it. Once OX gives the user a filestore, its next change sends it."""
    cid = ready(harness)
    harness.user("otto", cid)
    harness.run()
    harness.user("otto", cid, oxUserQuota="300", organisation="Otto AG")
    with caplog.at_level(logging.WARNING):
        harness.run()
    assert harness.pending() == []
    otto = harness.ox_user(cid, "otto")
    assert (otto.maxQuota, otto.filestoreId, otto.company) == (-1, None, "Otto AG")
    warned = [r for r in caplog.records if r.getMessage().startswith("oxUserQuota not applied")]
    assert [(r.user, r.context_id) for r in warned] == [("otto", cid)]

    give_own_filestore(harness, cid, "otto", quota=10)
    harness.user("otto", cid, oxUserQuota="300", organisation="Otto GmbH")
    harness.run()
    otto = harness.ox_user(cid, "otto")
    assert (otto.maxQuota, otto.company) == (300, "Otto GmbH")


def test_access_none_means_no_mail_and_no_rights(harness):
    cid = ready(harness)
    harness.user("gina", cid, oxAccess="none")
    harness.user("gus", cid)
    harness.run()
    assert harness.ox_user(cid, "gina").mailenabled is False
    assert harness.ox_access(cid, "gina") == set()
    assert harness.ox_user(cid, "gus").mailenabled is True
    harness.user("gus", cid, oxAccess="none")
    harness.user("gina", cid, oxAccess="premium")
    harness.run()
    assert harness.ox_user(cid, "gus").mailenabled is False
    assert harness.ox_access(cid, "gus") == set()
    assert harness.ox_user(cid, "gina").mailenabled is True
    assert "webmail" in harness.ox_access(cid, "gina")


# --- create-only fields -------------------------------------------------------------------


def test_language_and_timezone_only_at_creation(harness):
    cid = ready(harness)
    harness.user("hans", cid, oxLanguage="en_US", oxTimeZone="America/New_York")
    harness.user("hedi", cid)  # the defaults of the settings
    harness.run()
    hans = harness.ox_user(cid, "hans")
    assert (hans.language, hans.timezone) == ("en_US", "America/New_York")
    hedi = harness.ox_user(cid, "hedi")
    settings_ = harness.settings()
    assert (hedi.language, hedi.timezone) == (settings_.language, settings_.timezone)
    harness.reset_calls()
    harness.user("hans", cid, oxLanguage="fr_FR", oxTimeZone="Europe/Paris")
    harness.run()
    hans = harness.ox_user(cid, "hans")
    assert (hans.language, hans.timezone) == ("en_US", "America/New_York")
    assert harness.writes() == {}


def test_sender_chosen_in_ox_is_kept(harness):
    cid = ready(harness)
    alt = ["ida.work@example.org", "ida.home@example.org"]
    harness.user("ida", cid, mailAlternativeAddress=alt)
    harness.run()
    ida = harness.ox_user(cid, "ida")
    assert ida.defaultSenderAddress == "ida@example.org"
    harness.ox.user.change(
        ctx={"id": cid},
        usrdata={"id": ida.id, "defaultSenderAddress": "ida.work@example.org"},
        auth=harness.admin(cid),
    )
    # an unrelated change, then a change of the aliases with the same primary
    harness.user("ida", cid, mailAlternativeAddress=alt, organisation="Ida Inc")
    harness.run()
    assert harness.ox_user(cid, "ida").defaultSenderAddress == "ida.work@example.org"
    harness.user("ida", cid, mailAlternativeAddress=[*alt, "ida.new@example.org"])
    harness.run()
    ida = harness.ox_user(cid, "ida")
    assert ida.defaultSenderAddress == "ida.work@example.org"
    assert "ida.new@example.org" in ida.aliases
    # a new primary: the chosen sender (still an alias) stays
    harness.user(
        "ida",
        cid,
        mailPrimaryAddress="ida.prime@example.org",
        mailAlternativeAddress=[*alt, "ida.new@example.org"],
    )
    harness.run()
    ida = harness.ox_user(cid, "ida")
    assert ida.primaryEmail == "ida.prime@example.org"
    assert ida.defaultSenderAddress == "ida.work@example.org"
    # the chosen sender is no longer an address of the user: back to the primary
    harness.user(
        "ida",
        cid,
        mailPrimaryAddress="ida.prime@example.org",
        mailAlternativeAddress=["ida.home@example.org"],
    )
    harness.run()
    assert harness.ox_user(cid, "ida").defaultSenderAddress == "ida.prime@example.org"


def test_sender_follows_a_changed_primary(harness):
    cid = ready(harness)
    harness.user("jan", cid, mailAlternativeAddress=["jan.alt@example.org"])
    harness.run()
    harness.user(
        "jan",
        cid,
        mailPrimaryAddress="jan.new@example.org",
        mailAlternativeAddress=["jan.alt@example.org"],
    )
    harness.run()
    jan = harness.ox_user(cid, "jan")
    assert jan.primaryEmail == jan.email1 == jan.imapLogin == "jan.new@example.org"
    assert jan.defaultSenderAddress == "jan.new@example.org"
    assert set(jan.aliases) == {"jan.new@example.org", "jan.alt@example.org"}


# --- clearing -------------------------------------------------------------------------------


def test_emptied_attributes_are_cleared_in_ox(harness):
    cid = ready(harness)
    props, expected = all_user_fields()
    harness.user(
        "karl", cid, mailAlternativeAddress=["k.alt@example.org"], jpegPhoto=b64(JPEG), **props
    )
    harness.run()
    emptied = {udm: ([] if udm in MULTI else "") for udm in props}
    kept = {m.udm: props[m.udm] for m in USER_FIELDS if m.ox in MANDATORY}
    # half of them as empty values, the other half absent, as UDM may deliver either
    for i, udm in enumerate(sorted(emptied)):
        if i % 2:
            emptied[udm] = None
    harness.user("karl", cid, mailAlternativeAddress=[], jpegPhoto="", **{**emptied, **kept})
    harness.run()
    karl = harness.ox_user(cid, "karl")
    left = {
        m.ox: getattr(karl, m.ox)
        for m in USER_FIELDS
        if m.ox not in MANDATORY and getattr(karl, m.ox) not in (None, "")
    }
    assert left == {}
    assert {f: getattr(karl, f) for f in MANDATORY} == {f: expected[f] for f in MANDATORY}
    assert list(karl.aliases) == ["karl@example.org"]
    assert not karl.image1 and not karl.image1ContentType


def test_emptied_dates_stay_because_ox_cannot_clear_them(harness):
    """OX ignores nil and refuses '' for dates: an emptied birthday or anniversary in UDM
    leaves OX's value, and the run does not fail or retry over it."""
    cid = ready(harness)
    harness.user("lena", cid, birthday="1990-05-17", oxAnniversary="2015-08-01")
    harness.run()
    harness.user("lena", cid, birthday="", oxAnniversary=None, organisation="Lena AG")
    harness.run()
    lena = harness.ox_user(cid, "lena")
    assert (iso(lena.birthday), iso(lena.anniversary)) == ("1990-05-17", "2015-08-01")
    assert lena.company == "Lena AG"
    assert harness.pending() == []
    harness.reset_calls()
    harness.user("lena", cid, birthday="", oxAnniversary=None, organisation="Lena AG")
    harness.run()
    assert harness.writes() == {}  # no endless attempts to clear what OX keeps


# --- enabling and disabling -------------------------------------------------------------------


def test_disabling_deletes_and_reenabling_creates(harness):
    cid = ready(harness)
    harness.user("mia", cid, isOxUser="Not")
    harness.user("max", cid)
    harness.run()
    assert harness.ox_user_names(cid) == {"max"}
    first_id = harness.ox_user(cid, "max").id
    harness.user("max", cid, isOxUser="Not")
    harness.user("mia", cid, isOxUser="OK", organisation="Mia GmbH")
    harness.run()
    assert harness.ox_user_names(cid) == {"mia"}
    harness.user("max", cid, isOxUser="OK", organisation="Max KG")
    harness.run()
    assert harness.ox_user_names(cid) == {"mia", "max"}
    again = harness.ox_user(cid, "max")
    assert again.company == "Max KG" and again.id != first_id
    assert harness.ox_user(cid, "mia").company == "Mia GmbH"


def test_boolean_is_ox_user(harness):
    cid = ready(harness)
    harness.user("nina", cid, isOxUser=True)
    harness.user("nils", cid, isOxUser=False)
    harness.run()
    assert harness.ox_user_names(cid) == {"nina"}
    harness.user("nina", cid, isOxUser=False)
    harness.user("nils", cid, isOxUser=True)
    harness.run()
    assert harness.ox_user_names(cid) == {"nils"}
    # a disabled user deleted in UDM: nothing left to do
    harness.delete("users/user", user_dn("nina"))
    harness.run()
    assert harness.ox_user_names(cid) == {"nils"} and harness.pending() == []


# --- context ----------------------------------------------------------------------------------


def test_empty_context_means_default_context(emulator, ox, tmp_path):
    default = next(_context_ids)
    h = Harness(emulator, ox, tmp_path, default_context=default)
    h.context(default)
    h.profile()
    h.run()
    h.user("olga", default, oxContext="")
    h.user("otto", default, oxContext=None)
    h.run()
    assert h.ox_user_names(default) == {"olga", "otto"}
    assert h.ox_user(default, "olga").given_name == "Olga"


def test_existing_ox_user_is_adopted_and_overwritten(harness):
    cid = ready(harness)
    legacy = admin_ctx(harness, cid).create_user(
        "paul",
        mail="paul@example.org",
        display_name="Paul Legacy",
        company="Old Co",
        note="legacy note",
        aliases=["paul@example.org", "p.old@example.org"],
    )
    harness.reset_calls()
    harness.user("paul", cid, organisation="New Co", mailAlternativeAddress=["p@example.org"])
    harness.run()
    calls = harness.calls()
    assert not any(op.startswith("OXUserService.create") for op in calls), calls
    assert harness.ox_user_names(cid) == {"paul"}
    paul = harness.ox_user(cid, "paul")
    assert paul.id == legacy.id
    assert (paul.display_name, paul.company, paul.note) == ("Paul Tester", "New Co", None)
    assert set(paul.aliases) == {"paul@example.org", "p@example.org"}
    assert "webmail" in harness.ox_access(cid, "paul")
    # from now on it is the connector's: no more writes for the same object
    harness.reset_calls()
    harness.user("paul", cid, organisation="New Co", mailAlternativeAddress=["p@example.org"])
    harness.run()
    assert harness.writes() == {}


def test_context_admin_is_never_touched(harness):
    cid = ready(harness)
    admin_name = f"oxadmin-context{cid}"
    auth = harness.admin(cid)
    assert auth["login"] == admin_name
    before = harness.ox.user.getContextAdmin(ctx={"id": cid}, auth=auth)
    harness.reset_calls()
    harness.user(
        admin_name,
        cid,
        oxDisplayName="Hijacked",
        organisation="Evil",
        mailPrimaryAddress="hijack@example.org",
        oxAccess="none",
    )
    harness.run()
    assert harness.writes() == {}
    assert harness.pending() == []
    after = harness.ox.user.getContextAdmin(ctx={"id": cid}, auth=auth)
    assert (after.id, after.display_name, after.company, after.primaryEmail, after.mailenabled) == (
        before.id,
        before.display_name,
        before.company,
        before.primaryEmail,
        before.mailenabled,
    )
    # deleting that UDM user does not delete the admin either
    harness.delete("users/user", user_dn(admin_name))
    harness.run()
    assert harness.ox.user.getContextAdmin(ctx={"id": cid}, auth=auth).id == before.id


# --- rename -----------------------------------------------------------------------------------


def test_rename_keeps_the_ox_id(changeable):
    h = changeable
    cid = ready(h)
    h.user("quinn", cid, organisation="Q Corp")
    h.run()
    old_id = h.ox_user(cid, "quinn").id
    rename(h, "quinn", "quentin", cid, organisation="Q Corp")
    h.run()
    assert h.ox_user_names(cid) == {"quentin"}
    quentin = h.ox_user(cid, "quentin")
    assert (quentin.id, quentin.company) == (old_id, "Q Corp")
    assert h.pending() == []


def test_rename_fails_when_ox_forbids_it(harness):
    cid = ready(harness)
    harness.user("rita", cid)
    harness.run()
    path = rename(harness, "rita", "rieke", cid)
    with pytest.raises(RunFailed) as failed:
        harness.run()
    assert "Changing username is disabled!" in failed.value.reason
    assert failed.value.path.name == path.name
    assert harness.pending() == [path.name]
    assert harness.ox_user_names(cid) == {"rita"}


# --- moving between contexts -----------------------------------------------------------------


def test_context_move_keeps_the_ox_data(harness):
    src = ready(harness)
    dest = harness.context()
    harness.run()
    harness.user(
        "sara",
        src,
        organisation="Sara SE",
        birthday="1980-02-29",
        mailAlternativeAddress=["s.alt@example.org"],
    )
    harness.run()
    sara = harness.ox_user(src, "sara")
    # data the connector does not manage, kept only if the move copies the OX user
    harness.ox.user.change(
        ctx={"id": src}, usrdata={"id": sara.id, "assistant_name": "Sam"}, auth=harness.admin(src)
    )
    harness.user(
        "sara",
        dest,
        organisation="Sara SE",
        birthday="1980-02-29",
        mailAlternativeAddress=["s.alt@example.org"],
    )
    harness.run()
    assert harness.ox_user_names(src) == set()
    assert harness.ox_user_names(dest) == {"sara"}
    moved = harness.ox_user(dest, "sara")
    assert moved.assistant_name == "Sam"
    assert (moved.company, iso(moved.birthday), moved.primaryEmail) == (
        "Sara SE",
        "1980-02-29",
        "sara@example.org",
    )
    assert set(moved.aliases) == {"sara@example.org", "s.alt@example.org"}
    assert "webmail" in harness.ox_access(dest, "sara")
    assert harness.pending() == []


# --- OX lost the user -------------------------------------------------------------------------


def test_deleting_a_user_ox_no_longer_has(harness):
    cid = ready(harness)
    harness.user("tina", cid)
    harness.run()
    harness.ox.user.delete(ctx={"id": cid}, user={"name": "tina"}, auth=harness.admin(cid))
    harness.delete("users/user", user_dn("tina"))
    harness.run()
    assert harness.pending() == []
    assert harness.ox_user_names(cid) == set()


def test_modifying_a_user_ox_lost_recreates_it(harness):
    cid = ready(harness)
    harness.user("uwe", cid)
    harness.run()
    harness.ox.user.delete(ctx={"id": cid}, user={"name": "uwe"}, auth=harness.admin(cid))
    harness.user("uwe", cid, organisation="Back AG")
    harness.run()
    assert harness.pending() == []
    assert harness.ox_user(cid, "uwe").company == "Back AG"
    assert "webmail" in harness.ox_access(cid, "uwe")


# --- SOAP call counts -------------------------------------------------------------------------


def test_call_counts(harness):
    cid = ready(harness, WEBMAIL)
    harness.reset_calls()
    harness.user("vera", cid)
    harness.run()
    calls = harness.calls()
    assert sum(calls.values()) <= 2, calls

    harness.reset_calls()
    harness.user("vera", cid)
    harness.run()
    assert harness.writes() == {}

    harness.reset_calls()
    harness.user("vera", cid, organisation="Vera Ltd")
    harness.run()
    calls = harness.calls()
    assert calls.get("OXUserService.change") == 1, calls
    assert "OXUserService.changeByModuleAccess" not in calls, calls
    assert harness.ox_user(cid, "vera").company == "Vera Ltd"

    harness.reset_calls()
    harness.user("vera", cid, organisation="Vera Ltd", oxAccess="webmailonly")
    harness.run()
    calls = harness.calls()
    assert calls.get("OXUserService.changeByModuleAccess") == 1, calls
    assert "OXUserService.change" not in calls, calls
    assert harness.ox_access(cid, "vera") == {"webmail", "contacts"}


# --- bad values stop the run ------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, props",
    [
        ("birthday", {"birthday": "17/05/1990"}),
        ("birthday", {"birthday": "31.02.1990"}),
        ("oxAnniversary", {"oxAnniversary": "soon"}),
        ("jpegPhoto", {"jpegPhoto": b64(PNG)}),
        ("jpegPhoto", {"jpegPhoto": "not base64 !!"}),
        ("oxContext", {"oxContext": "ten"}),
        ("oxAccess", {"oxAccess": "gold"}),
    ],
)
def test_bad_values_stop_the_run(harness, field, props):
    cid = ready(harness)
    harness.user("walt", cid)
    bad = harness.user("wolf", cid, **props)
    later = harness.user("wim", cid)
    with pytest.raises(RunFailed) as failed:
        harness.run()
    message = str(failed.value)
    assert bad.name in message and f'"{field}"' in message, message
    assert failed.value.path.name == bad.name
    assert harness.pending() == [bad.name, later.name]
    assert harness.ox_user_names(cid) == {"walt"}


def test_renames_that_pass_a_name_along_do_not_jam_the_queue(changeable):
    """A renamed to x, then B renamed to a (A's old name), then A edited: the planner puts
    B's rename first (A's newest file is last); the connector must let A's rename go first
    instead of failing on "User a already exists" for ever."""
    h = changeable
    cid = h.context()
    h.profile()
    h.user("aa", cid)
    h.user("bb", cid)
    h.run()
    ids = {n: h.ox_user(cid, n).id for n in ("aa", "bb")}
    a_id, b_id = h.ids[user_dn("aa").lower()], h.ids[user_dn("bb").lower()]
    h.write("users/user", user_dn("xx"), udm_user("xx", cid), object_id=a_id)
    h.write(
        "users/user", user_dn("aa"), udm_user("aa", cid, oxDisplayName="Was Bb"), object_id=b_id
    )
    h.write("users/user", user_dn("xx"), udm_user("xx", cid, title="Dr."), object_id=a_id)
    h.run()
    assert h.pending() == []
    assert h.ox_user(cid, "xx").id == ids["aa"] and h.ox_user(cid, "xx").title == "Dr."
    assert h.ox_user(cid, "aa").id == ids["bb"]


def test_two_users_swapping_names_in_one_run(changeable):
    """A -> tmp -> b and B -> a in one run: coalesced, each waits for the other; the run
    parks one under a temporary name instead of failing for ever."""
    h = changeable
    cid = h.context()
    h.profile()

    def person(login: str, who: str) -> dict:
        # display name and mail stay with the person (OX wants them unique)
        return udm_user(
            login,
            cid,
            oxDisplayName=f"Person {who}",
            mailPrimaryAddress=f"person.{who.lower()}@example.org",
        )

    h.write("users/user", user_dn("aa"), person("aa", "A"))
    h.write("users/user", user_dn("bb"), person("bb", "B"))
    staff = h.group("staff", ["aa", "bb"])
    h.run()
    ids = {n: h.ox_user(cid, n).id for n in ("aa", "bb")}
    a_id, b_id = h.ids[user_dn("aa").lower()], h.ids[user_dn("bb").lower()]
    h.write("users/user", user_dn("tt"), person("tt", "A"), object_id=a_id)
    h.write("users/user", user_dn("aa"), person("aa", "B"), object_id=b_id)
    h.write("users/user", user_dn("bb"), person("bb", "A"), object_id=a_id)
    h.run()
    assert h.pending() == [] and not staff.exists()
    assert (h.ox_user(cid, "bb").id, h.ox_user(cid, "aa").id) == (ids["aa"], ids["bb"])
    assert h.ox_user_names(cid) == {"aa", "bb"}
    assert h.ox_groups(cid) == {"staff": sorted(ids.values())}


def test_primary_mail_passed_along_in_one_run(harness):
    """A gives up a@ for n@, B takes a@, A is edited again: B's step comes first (A's
    newest file is last) and OX still has a@ on A; B must wait for A, not fail for ever."""
    cid = ready(harness)
    harness.user("anna", cid, mailPrimaryAddress="anna@example.org")
    harness.user("bert", cid, mailPrimaryAddress="bert@example.org")
    harness.run()
    anna_id = harness.ids[user_dn("anna").lower()]
    harness.user("anna", cid, mailPrimaryAddress="new@example.org")
    harness.user("bert", cid, mailPrimaryAddress="anna@example.org")
    harness.write(
        "users/user",
        user_dn("anna"),
        udm_user("anna", cid, mailPrimaryAddress="new@example.org", title="Dr."),
        object_id=anna_id,
    )
    harness.run()
    assert harness.pending() == []
    anna, bert = harness.ox_user(cid, "anna"), harness.ox_user(cid, "bert")
    assert (anna.primaryEmail, anna.title) == ("new@example.org", "Dr.")
    assert bert.primaryEmail == bert.email1 == "anna@example.org"
    assert "anna@example.org" not in anna.aliases


def test_primary_mails_swapped_in_one_run(harness):
    """A and B swap primary addresses: each waits for the other, so one is parked under a
    temporary address; both end with their new address, sender and aliases."""
    cid = ready(harness)
    harness.user(
        "anna",
        cid,
        mailPrimaryAddress="anna@example.org",
        mailAlternativeAddress=["a.keep@example.org"],
    )
    harness.user("bert", cid, mailPrimaryAddress="bert@example.org")
    harness.run()
    ids = {n: harness.ox_user(cid, n).id for n in ("anna", "bert")}
    harness.user(
        "anna",
        cid,
        mailPrimaryAddress="bert@example.org",
        mailAlternativeAddress=["a.keep@example.org"],
    )
    harness.user("bert", cid, mailPrimaryAddress="anna@example.org")
    harness.run()
    assert harness.pending() == []
    anna, bert = harness.ox_user(cid, "anna"), harness.ox_user(cid, "bert")
    assert (anna.id, bert.id) == (ids["anna"], ids["bert"])
    assert (anna.primaryEmail, anna.email1, anna.defaultSenderAddress) == ("bert@example.org",) * 3
    assert (bert.primaryEmail, bert.email1, bert.defaultSenderAddress) == ("anna@example.org",) * 3
    assert sorted(anna.aliases) == ["a.keep@example.org", "bert@example.org"]
    assert sorted(bert.aliases) == ["anna@example.org"]


def test_new_user_waits_for_the_user_giving_up_its_mail(harness):
    cid = ready(harness)
    harness.user("anna", cid, mailPrimaryAddress="anna@example.org")
    harness.run()
    anna_id = harness.ids[user_dn("anna").lower()]
    harness.user("carl", cid, mailPrimaryAddress="anna@example.org")
    harness.write(
        "users/user",
        user_dn("anna"),
        udm_user("anna", cid, mailPrimaryAddress="anna.b@example.org"),
        object_id=anna_id,
    )
    # carl's file is older, so the planner puts carl first
    harness.run()
    assert harness.pending() == []
    assert harness.ox_user(cid, "carl").primaryEmail == "anna@example.org"
    assert harness.ox_user(cid, "anna").primaryEmail == "anna.b@example.org"


def test_mail_held_by_a_user_without_pending_change_names_the_holder(harness):
    cid = ready(harness)
    harness.user("anna", cid, mailPrimaryAddress="anna@example.org")
    harness.run()
    carl = harness.user("carl", cid, mailPrimaryAddress="anna@example.org")
    with pytest.raises(RunFailed) as failed:
        harness.run()
    message = str(failed.value)
    assert failed.value.path.name == carl.name
    assert "anna@example.org" in message and user_dn("anna") in message, message
    assert harness.pending() == [carl.name]


# --- compatibility with the Univention connector: the spam filter in OX's interface ------------


def test_gui_spam_filter_is_enabled_on_create_and_change_as_upstream(harness):
    """The Univention connector sends gui_spam_filter_enabled = true with every create and
    every change of a user (part of its 2.1 user mapping); so does this one."""
    cid = ready(harness)
    harness.user("spam", cid)
    harness.run()
    assert harness.ox_user(cid, "spam").gui_spam_filter_enabled is True
    # switched off in OX: the next change of the user sets it again
    ctx = admin_ctx(harness, cid)
    spam = harness.ox_user(cid, "spam")
    harness.ox.user.change(
        ctx=ctx.ref, usrdata={"id": spam.id, "gui_spam_filter_enabled": False}, auth=ctx.admin
    )
    assert harness.ox_user(cid, "spam").gui_spam_filter_enabled is False
    harness.user("spam", cid, oxDisplayName="Spam Changed")
    harness.run()
    assert harness.ox_user(cid, "spam").gui_spam_filter_enabled is True
    # an OX user the connector adopts gets it too
    ctx.create_user("adopted", mail="adopted@example.org", gui_spam_filter_enabled=False)
    harness.user("adopted", cid)
    harness.run()
    assert harness.ox_user(cid, "adopted").gui_spam_filter_enabled is True
    # and then no more writes for the same object
    harness.reset_calls()
    harness.user("adopted", cid)
    harness.run()
    assert harness.writes() == {}


def test_gui_spam_filter_setting_off_leaves_the_field_to_ox(harness):
    harness.extra_env["OX_ENABLE_GUI_SPAM_FILTER"] = "false"
    cid = ready(harness)
    harness.user("plain", cid)
    harness.run()
    assert harness.ox_user(cid, "plain").gui_spam_filter_enabled is False  # OX's default
    ctx = admin_ctx(harness, cid)
    plain = harness.ox_user(cid, "plain")
    harness.ox.user.change(
        ctx=ctx.ref, usrdata={"id": plain.id, "gui_spam_filter_enabled": True}, auth=ctx.admin
    )
    harness.user("plain", cid, oxDisplayName="Plain Changed")
    harness.run()
    got = harness.ox_user(cid, "plain")
    assert (got.display_name, got.gui_spam_filter_enabled) == ("Plain Changed", True)
