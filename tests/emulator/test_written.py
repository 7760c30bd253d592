"""``/emulator/stats``'s ``written``: per write operation, the field names clients sent
(the reference suite's guard that every field the connector writes is read back)."""

from __future__ import annotations

import pytest
import requests


@pytest.fixture
def stats(emulator, ctx):  # after the context is created
    emulator.control("stats/reset")

    def read() -> dict:
        return requests.get(f"{emulator.url}/emulator/stats", timeout=10).json()

    return read


def test_a_write_records_the_fields_sent_and_reads_record_none(stats, ctx):
    ctx.create_user("wanda", city_home="Bremen", note=None)
    ctx.get_user(name="wanda")
    written = stats()["written"]
    assert list(written) == ["OXUserService.create"]
    fields = set(written["OXUserService.create"])
    # every usrdata field sent, nil ones (note) and the credentials (auth) left out
    assert {"ctx.id", "usrdata.name", "usrdata.city_home", "usrdata.password"} <= fields
    assert "usrdata.note" not in fields
    assert not any(f.startswith("auth") for f in fields)


def test_fields_of_several_calls_are_united_per_operation(stats, ctx):
    user = ctx.create_user("walt")
    for field, value in (("city_home", "Kiel"), ("note", "n")):
        ctx.ox.user.change(ctx=ctx.ref, usrdata={"id": user.id, field: value}, auth=ctx.admin)
    assert stats()["written"]["OXUserService.change"] == [
        "ctx.id",
        "usrdata.city_home",
        "usrdata.id",
        "usrdata.note",
    ]


def test_a_plain_parameter_is_recorded_by_its_name(stats, ctx):
    user = ctx.create_user("wilma")
    data = {
        "name": "Shared",
        "primaryAddress": "shared@example.org",
        "login": "wilma",
        "mailEndpointSource": "primary",
        "transportEndpointSource": "primary",
    }
    ctx.ox.secondary.create(
        accountDataOnCreate=data,
        context=ctx.ref,
        users=[{"id": user.id}],
        groups=[],
        auth=ctx.admin,
    )
    ctx.ox.secondary.delete(
        primaryAddress="shared@example.org",
        context=ctx.ref,
        users=[{"id": user.id}],
        groups=[],
        auth=ctx.admin,
    )
    written = stats()["written"]
    assert "primaryAddress" in written["OXSecondaryAccountService.delete"]
    assert "users.id" in written["OXSecondaryAccountService.delete"]
    assert "accountDataOnCreate.login" in written["OXSecondaryAccountService.create"]


def test_reset_forgets_the_written_fields(stats, emulator, ctx):
    ctx.create_user("wendy")
    assert stats()["written"]
    assert emulator.control("stats/reset")["written"] == {}
