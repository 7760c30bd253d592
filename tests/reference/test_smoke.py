"""The frame works: objects created through the backend reach OX, renames follow refint,
removals remove. Runs on both backends."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given

from udm_simulator import USERS, UDMError

from .strategies import NON_ASCII_NAMES, people, unique_person


def test_context_user_group_reach_ox(backend):
    cid = backend.context()["contextid"]
    backend.sync()
    anna = backend.user(context=cid, firstname="Anna")
    bert = backend.user(context=cid)
    staff = backend.group(members=[anna, bert])
    backend.sync()

    assert backend.ox.context(cid)["name"] == f"context{cid}"
    users = backend.ox.users(cid)
    assert set(users) == {anna["username"], bert["username"]}
    assert users[anna["username"]]["given_name"] == "Anna"
    assert users[anna["username"]]["primaryEmail"] == anna["mailPrimaryAddress"]
    groups = backend.ox.groups(cid)
    assert groups[staff["name"]]["members"] == sorted([anna["username"], bert["username"]])
    room = backend.resource(anna, context=cid)
    backend.sync()
    # what the state machine reads: the three readings above in one, the users read once
    contents = backend.ox.contents(cid)
    assert contents == {
        "users": backend.ox.users(cid),
        "groups": backend.ox.groups(cid),
        "resources": backend.ox.resources(cid),
    }
    assert set(contents["resources"]) == {room["name"]}


def test_user_rename_reaches_groups_through_refint(backend):
    anna = backend.user()
    staff = backend.group(members=[anna])
    backend.sync()
    ox_id = backend.ox.user(backend.default_context, anna["username"])["id"]

    renamed = backend.modify(anna.dn, {"username": backend.unique("anna")})
    assert renamed.id == anna.id and renamed.dn != anna.dn
    assert backend.get(staff.dn)["users"] == [renamed.dn]  # refint
    backend.sync()

    user = backend.ox.user(backend.default_context, renamed["username"])
    assert user["id"] == ox_id  # a rename keeps the OX user
    assert backend.ox.user(backend.default_context, anna["username"]) is None
    assert backend.ox.groups(backend.default_context)[staff["name"]]["members"] == [
        renamed["username"]
    ]


def test_removal(backend):
    anna, bert = backend.user(), backend.user()
    staff = backend.group(members=[anna, bert])
    backend.sync()

    backend.remove(anna.dn)
    backend.sync()
    cid = backend.default_context
    assert set(backend.ox.users(cid)) == {bert["username"]}
    assert backend.ox.groups(cid)[staff["name"]]["members"] == [bert["username"]]

    backend.remove(staff.dn)
    backend.sync()
    assert staff["name"] not in backend.ox.groups(cid)


def test_udm_refuses_a_second_user_with_the_same_name(backend):
    anna = backend.user()
    with pytest.raises(UDMError):
        backend.create(USERS, {"username": anna["username"], "lastname": "Other"})


@given(person=people())
@example(
    person={
        "username": "zoe",
        "firstname": NON_ASCII_NAMES[0],
        "lastname": "Ørsted",
        "mailPrimaryAddress": "zoe@example.org",
        "isOxUser": "OK",
    }
)
def test_a_realistic_person_arrives_field_by_field(backend, person):
    person = unique_person(person, backend.unique)
    person["mailPrimaryAddress"] = backend.mail(person["username"])
    user = backend.create(USERS, person)
    backend.sync()
    ox = backend.ox.user(backend.default_context, user["username"])
    assert (ox["given_name"], ox["sur_name"]) == (person["firstname"], person["lastname"])
    assert ox["display_name"] == f"{person['firstname']} {person['lastname']}"
    assert ox["primaryEmail"] == ox["email1"] == person["mailPrimaryAddress"]
    for prop, field in (
        ("organisation", "company"),
        ("city", "city_business"),
        ("street", "street_business"),
        ("postcode", "postal_code_business"),
    ):
        assert (ox[field] or "") == person.get(prop, ""), prop  # unset: None or ""


def test_snapshots_compare_whole_contexts(backend):
    cid = backend.context()["contextid"]
    backend.sync()
    before = backend.ox.snapshot([cid])
    anna = backend.user(context=cid)
    backend.sync()
    after = backend.ox.snapshot([cid])
    assert set(after[cid]["users"]) - set(before[cid]["users"]) == {anna["username"]}
    backend.remove(anna.dn)
    backend.sync()
    assert backend.ox.snapshot([cid]) == before


# -- the ucs backend's parts that need no UCS -------------------------------------------------


def test_ucs_settings_and_a_dry_run_without_hosts_fail_fast():
    import time

    from .backends import UCSConfig, ucs_preflight

    assert ucs_preflight({}) == [
        "ucs backend settings: UCS_HOST is not set; UCS_ADMIN_PASSWORD"
        " is not set; OX_SOAP_SERVER is not set; OX_MASTER_PASSWORD "
        "is not set"
    ]
    env = {
        "UCS_HOST": "primary.school.test",
        "UCS_ADMIN_PASSWORD": "pw",
        "OX_SOAP_SERVER": "http://127.0.0.1:9/",
        "OX_MASTER_PASSWORD": "pw",
    }
    config = UCSConfig.from_env(env)
    assert (config.mail_domain, config.base) == ("school.test", "dc=school,dc=test")
    assert config.udm_url == "https://primary.school.test/univention/udm/"
    started = time.monotonic()
    problems = ucs_preflight({**env, "UCS_HOST": "127.0.0.1:9"}, timeout=2)
    assert time.monotonic() - started < 10
    assert [p.split(" at ")[0] for p in problems[:2]] == ["UDM REST API", "OX SOAP API"]


def test_udm_rest_documents_become_records_and_errors():
    import requests

    from udm_simulator import InvalidValue, NoSuchObject

    from .backends import _error, _record, _wire

    record = _record(
        {
            "dn": "uid=a,cn=users,dc=x",
            "uuid": "1-2",
            "objectType": USERS,
            "properties": {"username": "a"},
            "options": {"default": True, "pki": False},
        }
    )
    assert (record.id, record.module, record["username"], record.options) == (
        "1-2",
        USERS,
        "a",
        ("default",),
    )
    assert _wire(USERS, {"isOxUser": True, "title": "Dr."}) == {"isOxUser": "OK", "title": "Dr."}

    def response(status: int, body: dict) -> requests.Response:
        r = requests.Response()
        r.status_code, r._content = status, json.dumps(body).encode()
        return r

    error = _error(
        "POST",
        "https://h/univention/udm/users/user/",
        response(
            422,
            {
                "error": {
                    "message": "Invalid property",
                    "error": {"properties": {"username": "taken"}},
                }
            },
        ),
    )
    assert isinstance(error, InvalidValue) and "taken" in str(error) and "HTTP 422" in str(error)
    assert isinstance(_error("GET", "u", response(404, {})), NoSuchObject)


def test_ucs_backend_wsdls_and_listener_view(tmp_path):
    """Without a reference copy of OX's WSDLs the ucs backend compiles its client from
    those OX serves; a named copy must hold them. Where the listener's queue cannot be
    seen (the app's container), sync() needs a quiet time the listener fits in."""
    from .backends import BLIND_QUIET_SECONDS, UCSConfig, ucs_preflight

    env = {
        "UCS_HOST": "primary.school.test",
        "UCS_ADMIN_PASSWORD": "pw",
        "OX_SOAP_SERVER": "http://127.0.0.1:9/",
        "OX_MASTER_PASSWORD": "pw",
        "OX_REFERENCE_WSDL_DIR": str(tmp_path),
    }
    with pytest.raises(ValueError, match=r"OX_REFERENCE_WSDL_DIR: .* lacks OXContextService"):
        UCSConfig.from_env(env)
    from ..oxclient import SERVICES, reference_problem

    for service in SERVICES:
        (tmp_path / f"{service}.wsdl").write_text("<definitions/>")
    assert not UCSConfig.from_env(env).served_wsdls
    env.pop("OX_REFERENCE_WSDL_DIR")
    # the default copy beside the checkout decides (there is none in the app image)
    assert UCSConfig.from_env(env).served_wsdls == (reference_problem({}) is not None)

    def blind(extra: dict) -> list[str]:
        problems = ucs_preflight({**env, "UCS_HOST": "127.0.0.1:9", **extra}, timeout=1)
        return [p for p in problems if "listener's queue" in p]

    queue = tmp_path / "queue"
    queue.mkdir()
    base = {"OX_TEST_QUEUE_DIR": str(queue), "OX_TEST_LISTENER_DIR": str(tmp_path / "none")}
    assert blind(base) and "OX_TEST_QUIET_SECONDS=10" in blind(base)[0]
    assert blind({**base, "OX_TEST_QUIET_SECONDS": str(BLIND_QUIET_SECONDS)}) == []
    assert blind({**base, "OX_TEST_LISTENER_DIR": str(queue)}) == []


def test_ox_client_from_the_wsdls_the_server_serves(reference_emulator):
    from .inspector import OXServices

    services = OXServices.connect(reference_emulator.url + "/", served_wsdls=True)
    master = {"login": "oxadminmaster", "password": reference_emulator.master_password}
    assert isinstance(services.context.listAll(auth=master) or [], list)


def test_a_running_emulator_by_url():
    from ..oxclient import running_emulator

    assert running_emulator({}) is None
    with pytest.raises(RuntimeError, match="OX_TEST_EMULATOR_MASTER_PASSWORD"):
        running_emulator({"OX_TEST_EMULATOR_URL": "http://127.0.0.1:1"})
    found = running_emulator(
        {"OX_TEST_EMULATOR_URL": "http://127.0.0.1:1/", "OX_TEST_EMULATOR_MASTER_PASSWORD": "x"}
    )
    assert (found.url, found.service_url("OXUserService")) == (
        "http://127.0.0.1:1",
        "http://127.0.0.1:1/webservices/OXUserService",
    )


def test_what_each_backend_can_observe(tmp_path):
    """The ucs backend observes the admin commands and the log only where it is told how
    to reach them, OX's calls, a killed run and continue mode never; OX_TEST_UNOBSERVABLE
    adds to that."""
    from .backends import OBSERVABLES, UCSConfig, unobservable

    assert unobservable({}) == {}
    ucs = {"OX_TEST_BACKEND": "ucs", "OX_TEST_CONNECTOR_LOG": str(tmp_path / "none.log")}
    assert set(unobservable(ucs)) == set(OBSERVABLES)
    assert "OX_TEST_CONNECTOR_COMMAND is not set" in unobservable(ucs)["admin_command"]
    assert str(tmp_path / "none.log") in unobservable(ucs)["log"]
    log = tmp_path / "ox-connector.log"
    log.write_text("")
    ucs |= {"OX_TEST_CONNECTOR_COMMAND": "ox-connector", "OX_TEST_CONNECTOR_LOG": str(log)}
    assert set(unobservable(ucs)) == {"ox_calls", "killed_run", "continue_mode"}
    asked = {"OX_TEST_UNOBSERVABLE": " killed_run, log "}
    assert unobservable(asked) == dict.fromkeys(
        ["killed_run", "log"], "left out by OX_TEST_UNOBSERVABLE"
    )
    with pytest.raises(ValueError, match="unknown killed"):
        unobservable({"OX_TEST_UNOBSERVABLE": "killed"})

    env = {
        "UCS_HOST": "primary.school.test",
        "UCS_ADMIN_PASSWORD": "pw",
        "OX_SOAP_SERVER": "http://127.0.0.1:9/",
        "OX_MASTER_PASSWORD": "pw",
    }
    config = UCSConfig.from_env(
        {**env, "OX_TEST_CONNECTOR_COMMAND": "univention-app shell ox-connector ox-connector"}
    )
    assert config.connector_command == ("univention-app", "shell", "ox-connector", "ox-connector")
    assert str(config.connector_log) == "/var/log/univention/listener_modules/ox-connector.log"
    assert UCSConfig.from_env(env).connector_command == ()


def test_log_records_are_the_json_lines_of_a_log():
    from .backends import json_records

    text = '{"msg": "a"}\nnot json\n2026-12-03 08:00:00 trigger: {"msg": "b", "file": "f"}\n[1]\n'
    assert json_records(text) == [{"msg": "a"}, {"msg": "b", "file": "f"}]
