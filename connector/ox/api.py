"""Typed access to OX's admin services: one method per operation the connector uses.

Reconciliation code calls ``api.users.change(cid, ox_id, fields)`` instead of naming
services, operations and each service's own parameter spelling (``ctx`` or ``context``,
``user``, ``grp``, ``res``). Results come back as plain dicts (``as_dict``), the same with
either SOAP codec; every failure is an ``OXError`` subclass from ``OXConnection.call``.
``find`` returns None where OX answers that the object does not exist.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ..model.credentials import Credentials
from .connection import OXConnection
from .errors import NotFound
from .values import as_dict

Fields = Mapping[str, Any]


def _ctx(cid: int) -> dict[str, int]:
    return {"id": cid}


def _refs(ids: Iterable[int]) -> list[dict[str, int]]:
    return [{"id": i} for i in ids]


class _ContextObjects:
    """A service of objects inside a context that OX finds by id or by name."""

    SERVICE: str
    PARAM: str  # the service's name for the object parameter (user, grp, res)

    def __init__(self, connection: OXConnection):
        self._ox = connection

    def find(
        self, cid: int, *, ox_id: int | None = None, name: str | None = None
    ) -> dict[str, Any] | None:
        """The object with this id or name (exactly one of them), None if OX has none."""
        if (ox_id is None) == (name is None):
            raise ValueError("look an object up by exactly one of id and name")
        ref: dict[str, Any] = {"id": ox_id} if ox_id is not None else {"name": name}
        try:
            found = self._ox.call(self.SERVICE, "getData", ctx=_ctx(cid), **{self.PARAM: ref})
        except NotFound:
            return None
        return as_dict(found)

    def delete(self, cid: int, ox_id: int) -> None:
        ref: dict[str, Any] = {self.PARAM: {"id": ox_id}}
        self._ox.call(self.SERVICE, "delete", ctx=_ctx(cid), **ref)


class Contexts:
    SERVICE = "OXContextService"

    def __init__(self, connection: OXConnection):
        self._ox = connection

    def find(self, cid: int) -> dict[str, Any] | None:
        try:
            return as_dict(self._ox.call(self.SERVICE, "getData", ctx=_ctx(cid)))
        except NotFound:
            return None

    def exists(self, cid: int) -> bool:
        return self.find(cid) is not None

    def list_all(self) -> list[dict[str, Any]]:
        return [as_dict(c) for c in self._ox.call(self.SERVICE, "listAll") or []]

    def create(self, context: Fields, admin: Fields) -> None:
        self._ox.call(self.SERVICE, "create", ctx=dict(context), admin_user=dict(admin))

    def change(self, cid: int, fields: Fields) -> None:
        self._ox.call(self.SERVICE, "change", ctx={"id": cid, **fields})

    def delete(self, cid: int) -> None:
        self._ox.call(self.SERVICE, "delete", ctx=_ctx(cid))


class Users(_ContextObjects):
    """Users; ``prefetch`` reads many with getMultipleData ahead of the steps that need
    them, and ``find`` by id hands each out once (a write drops it: never stale)."""

    SERVICE = "OXUserService"
    PARAM = "user"
    BATCH = 100  # users per getMultipleData

    def __init__(self, connection: OXConnection):
        super().__init__(connection)
        self._ahead: dict[tuple[int, int], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def prefetch(self, cid: int, ox_ids: Iterable[int]) -> int:
        """Read these users in batches; the number read."""
        wanted = list(dict.fromkeys(ox_ids))
        read = 0
        for start in range(0, len(wanted), self.BATCH):
            for user in self.get_many(cid, wanted[start : start + self.BATCH]):
                with self._lock:
                    self._ahead[(cid, user["id"])] = user
                read += 1
        return read

    def find(
        self, cid: int, *, ox_id: int | None = None, name: str | None = None
    ) -> dict[str, Any] | None:
        if ox_id is not None:
            with self._lock:
                ahead = self._ahead.pop((cid, ox_id), None)
            if ahead is not None:
                return ahead
        return super().find(cid, ox_id=ox_id, name=name)

    def _forget(self, cid: int, ox_id: int) -> None:
        with self._lock:
            self._ahead.pop((cid, ox_id), None)

    def ids(self, cid: int) -> list[int]:
        return [u["id"] for u in self._ox.call(self.SERVICE, "listAll", ctx=_ctx(cid)) or []]

    def get_many(self, cid: int, ox_ids: Iterable[int]) -> list[dict[str, Any]]:
        found = self._ox.call(self.SERVICE, "getMultipleData", ctx=_ctx(cid), users=_refs(ox_ids))
        return [as_dict(u) for u in found or []]

    def create(self, cid: int, fields: Fields, access: Mapping[str, bool]) -> int:
        """A new user with this module access; returns its OX id."""
        created = self._ox.call(
            self.SERVICE,
            "createByModuleAccess",
            ctx=_ctx(cid),
            usrdata=dict(fields),
            access=dict(access),
        )
        return int(created["id"])

    def change(self, cid: int, ox_id: int, fields: Fields) -> None:
        self._forget(cid, ox_id)
        self._ox.call(self.SERVICE, "change", ctx=_ctx(cid), usrdata={"id": ox_id, **fields})

    def module_access(self, cid: int, ox_id: int) -> dict[str, Any]:
        return as_dict(
            self._ox.call(self.SERVICE, "getModuleAccess", ctx=_ctx(cid), user={"id": ox_id})
        )

    def change_module_access(self, cid: int, ox_id: int, access: Mapping[str, bool]) -> None:
        self._ox.call(
            self.SERVICE,
            "changeByModuleAccess",
            ctx=_ctx(cid),
            user={"id": ox_id},
            moduleAccess=dict(access),
        )

    def delete(self, cid: int, ox_id: int) -> None:
        self._forget(cid, ox_id)
        super().delete(cid, ox_id)

    def copy(self, ox_id: int, source_cid: int, target_cid: int) -> int:
        """Copy a user with its data into another context (master admin); its new id."""
        copied = self._ox.call(
            "OXUserCopyService",
            "copyUser",
            user={"id": ox_id},
            src=_ctx(source_cid),
            dest=_ctx(target_cid),
        )
        return int(copied["id"])


class Groups(_ContextObjects):
    SERVICE = "OXGroupService"
    PARAM = "grp"

    def list_all(self, cid: int) -> list[dict[str, Any]]:
        return [as_dict(g) for g in self._ox.call(self.SERVICE, "listAll", ctx=_ctx(cid)) or []]

    def create(self, cid: int, name: str, displayname: str, members: list[int]) -> int:
        created = self._ox.call(
            self.SERVICE,
            "create",
            ctx=_ctx(cid),
            grp={"name": name, "displayname": displayname, "members": members},
        )
        return int(created["id"])

    def change(self, cid: int, ox_id: int, name: str, displayname: str, members: list[int]) -> None:
        """OX replaces the member list on every change: always the whole list."""
        self._ox.call(
            self.SERVICE,
            "change",
            ctx=_ctx(cid),
            grp={"id": ox_id, "name": name, "displayname": displayname, "members": members},
        )


class Resources(_ContextObjects):
    SERVICE = "OXResourceService"
    PARAM = "res"

    def list_all(self, cid: int) -> list[dict[str, Any]]:
        return [as_dict(r) for r in self._ox.call(self.SERVICE, "listAll", ctx=_ctx(cid)) or []]

    def search(self, cid: int, pattern: str = "*") -> list[dict[str, Any]]:
        found = self._ox.call(self.SERVICE, "list", ctx=_ctx(cid), pattern=pattern)
        return [as_dict(r) for r in found or []]

    def create(self, cid: int, fields: Fields) -> int:
        created = self._ox.call(self.SERVICE, "create", ctx=_ctx(cid), res=dict(fields))
        return int(created["id"])

    def change(self, cid: int, ox_id: int, fields: Fields) -> None:
        self._ox.call(self.SERVICE, "change", ctx=_ctx(cid), res={"id": ox_id, **fields})


class SecondaryAccounts:
    """OX's secondary (functional) accounts: one entry per address and user."""

    SERVICE = "OXSecondaryAccountService"
    ALL_USERS = 0  # OX's group 0: every user of the context

    def __init__(self, connection: OXConnection):
        self._ox = connection

    def list(self, cid: int) -> list[dict[str, Any]]:
        return [as_dict(a) for a in self._ox.call(self.SERVICE, "list", context=_ctx(cid)) or []]

    def create(self, cid: int, data: Fields, user_ids: Iterable[int]) -> None:
        self._ox.call(
            self.SERVICE,
            "create",
            accountDataOnCreate=dict(data),
            context=_ctx(cid),
            users=_refs(user_ids),
            groups=[],
        )

    def update(self, cid: int, address: str, data: Fields, user_ids: Iterable[int]) -> None:
        self._ox.call(
            self.SERVICE,
            "update",
            primaryAddress=address,
            accountDataUpdate=dict(data),
            context=_ctx(cid),
            users=_refs(user_ids),
            groups=[],
        )

    def delete(
        self, cid: int, address: str, user_ids: Iterable[int] = (), group_ids: Iterable[int] = ()
    ) -> None:
        self._ox.call(
            self.SERVICE,
            "delete",
            primaryAddress=address,
            context=_ctx(cid),
            users=_refs(user_ids),
            groups=_refs(group_ids),
        )


class OXApi:
    """The services of one OX server, over one ``OXConnection``."""

    def __init__(self, connection: OXConnection):
        self.connection = connection
        self.contexts = Contexts(connection)
        self.users = Users(connection)
        self.groups = Groups(connection)
        self.resources = Resources(connection)
        self.accounts = SecondaryAccounts(connection)

    @property
    def master(self) -> Credentials | None:
        return self.connection.master
