"""Every field the connector writes to OX, per SOAP write operation, and how the suite
reads it back (``test_readback.py``).

A field is named as the emulator's ``/emulator/stats`` ``written`` names it:
``param.field`` for a field of a structured parameter (``usrdata.display_name``),
``param`` for a plain one (``primaryAddress``). Each field is in exactly one of four
classes, with a note:

- ``READ``: read back from OX after create and after change and compared with the value
  derived from the directory object, in OX's unit (``test_readback.py``);
- ``KEY``: names the object (or context) the call is about; the read-back finds the
  object through it, which is its check;
- ``UNREADABLE``: OX does not return it through SOAP; the note says why and how the suite
  checks it indirectly;
- ``ELSEWHERE``: read back by another test, named in the note.

The tables are written from the OX SOAP contract (the WSDLs' field names) and upstream's
behaviour, not taken from the connector: ``test_readback.py``'s guard fails when the
connector sends a field that is in none of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import requests

from .strategies import DATE_FIELDS, LIST_FIELDS, OX_RIGHTS, TEXT_FIELDS

READ, KEY, UNREADABLE, ELSEWHERE = "read back", "key", "not readable", "covered elsewhere"
CLASSES = (READ, KEY, UNREADABLE, ELSEWHERE)
Entry = tuple[str, str]  # (class, note)

_PASSWORD = (
    UNREADABLE,
    "OX never returns a password (getData gives nil). The connector sends a random one "
    "nobody knows (users log in through UCS); checked indirectly: passwordMech shows a "
    "hashed password is stored, and the user's own login with a guessable password "
    "(empty, the user name, upstream's 'dummy') is refused",
)
# OX's deprecated module-access fields: the connector sends them false, OX reads them back
DEPRECATED_RIGHTS = ("OLOX20", "publication")


def _same(fields: Iterable[str], entry: Entry, prefix: str) -> dict[str, Entry]:
    return {f"{prefix}.{f}": entry for f in fields}


def _user_data(prefix: str) -> dict[str, Entry]:
    """The User fields the connector sends in ``prefix`` (usrdata)."""
    text = (READ, "getData, the same field; an emptied value reads back nil")
    return {
        **_same(TEXT_FIELDS.values(), text, prefix),
        **_same(LIST_FIELDS.values(), (READ, "getData; the n-th value of the UDM list"), prefix),
        **_same(
            DATE_FIELDS.values(),
            (READ, "getData, a dateTime at midnight UTC: compared as the date; never emptied"),
            prefix,
        ),
        f"{prefix}.name": (READ, "getData name (the login)"),
        **_same(("primaryEmail", "email1", "imapLogin"), (READ, "getData"), prefix),
        f"{prefix}.aliases": (READ, "getData, a set: compared unordered"),
        f"{prefix}.defaultSenderAddress": (
            READ,
            "getData; set at creation, follows the primary address when it was the old one",
        ),
        f"{prefix}.language": (READ, "getData; set at creation only"),
        f"{prefix}.timezone": (READ, "getData; set at creation only"),
        f"{prefix}.image1": (READ, "getData, the JPEG bytes"),
        f"{prefix}.image1ContentType": (READ, "getData"),
        f"{prefix}.mailenabled": (READ, "getData, a boolean"),
        f"{prefix}.gui_spam_filter_enabled": (READ, "getData, a boolean"),
        **_same(("imapServer", "smtpServer"), (READ, "getData, the host (mailHomeServer)"), prefix),
        **_same(("imapPort", "smtpPort"), (READ, "getData, an int"), prefix),
        **_same(("imapSchema", "smtpSchema"), (READ, "getData, e.g. 'imap://'"), prefix),
        f"{prefix}.maxQuota": (
            ELSEWHERE,
            "test_users.py::test_quota_reaches_a_user_with_its_own_filestore: OX keeps a "
            "per-user quota only for a user with a filestore of its own",
        ),
        f"{prefix}.password": _PASSWORD,
    }


def _access(prefix: str) -> dict[str, Entry]:
    return {
        **_same(OX_RIGHTS.values(), (READ, "getModuleAccess, a boolean"), prefix),
        **_same(DEPRECATED_RIGHTS, (READ, "getModuleAccess: false (deprecated in OX)"), prefix),
    }


_CTX = {"ctx.id": (KEY, "the context the object is in; read back there")}
_USER_REF = {"user.id": (KEY, "the user; read back by it")}
_CONTEXT = {
    "ctx.id": (KEY, "the context's id: getData of that id"),
    "ctx.name": (READ, "context getData"),
    "ctx.maxQuota": (READ, "context getData, MB; unlimited (-1) reads back nil"),
}
_ADMIN_NOTE = "getData of the context admin, with its own credentials"
_GROUP = {
    "grp.name": (READ, "group listAll"),
    "grp.displayname": (READ, "group listAll"),
    "grp.members": (READ, "group listAll: the member ids, compared as user names"),
}
_RESOURCE = {
    "res.name": (READ, "resource getData"),
    "res.displayname": (READ, "resource getData"),
    "res.description": (READ, "resource getData; emptied reads back nil"),
    "res.email": (READ, "resource getData"),
    "res.available": (READ, "resource getData: true"),
}
_ACCOUNT_TARGETS = {
    "context.id": (KEY, "the context of the member users"),
    "users.id": (KEY, "a member user: list's userId of the account"),
}
_ACCOUNT_DATA = {
    "name": (READ, "secondary account list"),
    "personal": (READ, "secondary account list; emptied reads back nil"),
    "login": (READ, "secondary account list: the login template per member"),
}

WRITTEN: Mapping[str, Mapping[str, Entry]] = MappingProxyType(
    {
        "OXContextService.create": {
            **_CONTEXT,
            "ctx.loginMappings": (
                READ,
                "context getData: context<id> and <id> as sent, plus the name OX adds",
            ),
            "admin_user.name": (READ, f"{_ADMIN_NOTE}: oxadmin or oxadmin-context<id>"),
            **_same(
                ("display_name", "given_name", "sur_name", "primaryEmail", "email1", "timezone"),
                (READ, _ADMIN_NOTE),
                "admin_user",
            ),
            "admin_user.password": (
                UNREADABLE,
                "OX never returns a password; checked indirectly: the admin's own getData "
                "with the password of contexts.json succeeds, with another it is refused",
            ),
        },
        "OXContextService.change": dict(_CONTEXT),
        "OXContextService.delete": {"ctx.id": (ELSEWHERE, "test_contexts.py: removal")},
        "OXUserService.createByModuleAccess": {
            **_CTX,
            **_user_data("usrdata"),
            **_access("access"),
        },
        "OXUserService.change": {
            **_CTX,
            "usrdata.id": (KEY, "the user changed; read back by it"),
            **_user_data("usrdata"),
        },
        "OXUserService.changeByModuleAccess": {**_CTX, **_USER_REF, **_access("moduleAccess")},
        "OXUserService.delete": {
            **_CTX,
            "user.id": (ELSEWHERE, "test_users.py: removal, disabling and context moves"),
        },
        "OXUserCopyService.copyUser": {
            "user.id": (KEY, "the user copied"),
            **dict.fromkeys(
                ("src.id", "dest.id"),
                (
                    ELSEWHERE,
                    "test_context_move_keeps_the_user_and_its_data_and_groups_follow: the "
                    "user with its data in the new context, gone from the old one",
                ),
            ),
        },
        "OXGroupService.create": {**_CTX, **_GROUP},
        "OXGroupService.change": {
            **_CTX,
            "grp.id": (KEY, "the group changed: its id stays"),
            **_GROUP,
        },
        "OXGroupService.delete": {
            **_CTX,
            "grp.id": (ELSEWHERE, "test_groups.py: removal, isOxGroup off, last member"),
        },
        "OXResourceService.create": {**_CTX, **_RESOURCE},
        "OXResourceService.change": {
            **_CTX,
            "res.id": (KEY, "the resource changed: its id stays"),
            **_RESOURCE,
        },
        "OXResourceService.delete": {
            **_CTX,
            "res.id": (ELSEWHERE, "test_resources.py: removal and context moves"),
        },
        "OXSecondaryAccountService.create": {
            **_ACCOUNT_TARGETS,
            **{f"accountDataOnCreate.{f}": e for f, e in _ACCOUNT_DATA.items()},
            "accountDataOnCreate.primaryAddress": (READ, "secondary account list"),
            **_same(
                ("mailEndpointSource", "transportEndpointSource"),
                (
                    READ,
                    "not stored as such: 'primary' makes OX copy the user's IMAP / SMTP "
                    "server into the account, read back as mailServer/Port and "
                    "transportServer/Port",
                ),
                "accountDataOnCreate",
            ),
        },
        "OXSecondaryAccountService.update": {
            **_ACCOUNT_TARGETS,
            "primaryAddress": (KEY, "the account changed"),
            **{f"accountDataUpdate.{f}": e for f, e in _ACCOUNT_DATA.items()},
        },
        "OXSecondaryAccountService.delete": {
            "primaryAddress": (ELSEWHERE, "test_functional_accounts.py: members leaving"),
            "context.id": (KEY, "the context"),
            "users.id": (KEY, "a former member"),
            "groups.id": (KEY, "group 0: every user of the context"),
        },
    }
)


def fields(operation: str, cls: str = READ, param: str | None = None) -> frozenset[str]:
    """The fields of ``operation`` in class ``cls``; with ``param`` only that parameter's,
    without the ``param.`` prefix."""
    out = {f for f, (c, _) in WRITTEN[operation].items() if c == cls}
    if param is None:
        return frozenset(out)
    return frozenset(f.split(".", 1)[1] for f in out if f.startswith(f"{param}."))


def unlisted(written: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Per operation of an emulator's ``written``, the fields no table lists."""
    out = {}
    for operation, sent in written.items():
        missing = sorted(set(sent) - set(WRITTEN.get(operation, {})))
        if missing:
            out[operation] = missing
    return out


# -- the emulator's record (embedded backend) -------------------------------------------------


def reset_stats(url: str) -> None:
    requests.post(f"{url}/emulator/stats/reset", timeout=10).raise_for_status()


def written(url: str) -> dict[str, list[str]]:
    """The emulator's ``written``: write operation -> the field names sent since a reset."""
    response = requests.get(f"{url}/emulator/stats", timeout=10)
    response.raise_for_status()
    stats: dict[str, Any] = response.json()
    return stats["written"]


def table() -> str:
    """The tables as Markdown rows (operation, field, class, note), for the README."""
    rows = ["| operation | field | class | note |", "|---|---|---|---|"]
    for operation, entries in WRITTEN.items():
        for name, (cls, note) in sorted(entries.items()):
            rows.append(f"| `{operation}` | `{name}` | {cls} | {note} |")
    return "\n".join(rows)
