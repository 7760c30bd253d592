"""A read-only view of OX for the reference suite's assertions (one exception:
``give_own_filestore`` does what only an OX admin can, for the quota tests).

It talks SOAP through zeep clients compiled from the *reference* OX WSDLs (the
emulator's own without them, as ``tests.oxclient`` does), never through the connector's
``connector.ox`` layer, so a bug there cannot hide itself. Every method returns plain
data (dicts, lists, str, int, bool, bytes) keyed by names, not by OX's numeric ids, so
that results of two runs (or of the embedded and the UCS backend) can be compared
directly.

Context admin credentials come from a callable (``credentials_file`` reads the
connector's ``contexts.json`` on every call, as contexts appear while a test runs).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import zeep
from zeep.helpers import serialize_object
from zeep.transports import Transport

from ..oxclient import client_wsdl_dir

Auth = dict[str, str]  # {"login": ..., "password": ...}
DEFAULT_GROUP_ID = 1  # OX's own group "users" of every context
# User fields that differ between two OX installations for the same directory content.
VOLATILE_USER_FIELDS = frozenset(
    {
        "id",
        "password",
        "default_group",
        "filestoreId",
        "filestore_name",
        "usedQuota",
        "userAttributes",
    }
)


@dataclass(frozen=True)
class OXServices:
    """The zeep services of one OX server (compile once per test session: ~1 s)."""

    context: Any
    user: Any
    group: Any
    resource: Any
    secondary: Any

    @classmethod
    def connect(
        cls,
        base_url: str,
        *,
        verify: bool | str = True,
        timeout: float = 30,
        served_wsdls: bool = False,
    ) -> OXServices:
        """Clients compiled from the reference WSDLs (``client_wsdl_dir``), or with
        ``served_wsdls`` from those the server serves (``<base>/webservices/<S>?wsdl``:
        on a real OX these are OX's own, for a suite run where no copy is at hand)."""
        base_url = base_url.rstrip("/")
        session = requests.Session()
        session.trust_env = False  # no proxy look-up per call
        session.verify = verify
        transport = Transport(session=session, timeout=timeout, operation_timeout=timeout)
        wsdl_dir = None if served_wsdls else client_wsdl_dir()

        def service(name: str):
            location = (
                f"{base_url}/webservices/{name}?wsdl"
                if wsdl_dir is None
                else str(wsdl_dir / f"{name}.wsdl")
            )
            client = zeep.Client(location, transport=transport)
            binding = next(iter(client.wsdl.bindings))
            return client.create_service(binding, f"{base_url}/webservices/{name}")

        return cls(
            service("OXContextService"),
            service("OXUserService"),
            service("OXGroupService"),
            service("OXResourceService"),
            service("OXSecondaryAccountService"),
        )


def credentials_file(path: Path | str) -> Callable[[int], Auth | None]:
    """Context admin credentials from a ``contexts.json`` (the connector's format:
    ``{"<cid>": {"adminuser", "adminpass"}}``), read on every call."""

    def lookup(cid: int) -> Auth | None:
        try:
            entry = json.loads(Path(path).read_text(encoding="utf-8")).get(str(cid))
        except FileNotFoundError:
            return None
        if not entry:
            return None
        return {"login": entry["adminuser"], "password": entry["adminpass"]}

    return lookup


def plain(value: Any) -> Any:
    """zeep objects as plain dicts and lists."""
    value = serialize_object(value, dict)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class OXInspector:
    """Reads OX. ``master`` are the master admin's credentials, ``credentials(cid)`` gives
    a context's admin (None: unknown, the context's objects cannot be read)."""

    def __init__(
        self, services: OXServices, master: Auth, credentials: Callable[[int], Auth | None]
    ):
        self.services = services
        self.master = master
        self.credentials = credentials

    def _auth(self, cid: int) -> Auth:
        auth = self.credentials(cid)
        if auth is None:
            raise LookupError(
                f"no admin credentials for OX context {cid} (not created by the connector?)"
            )
        return auth

    # -- contexts --------------------------------------------------------------------------
    def context(self, cid: int) -> dict[str, Any] | None:
        """The context (``id``, ``name``, ``maxQuota``, ``enabled``, sorted
        ``loginMappings``, ...), None if OX has no such context."""
        if not self.services.context.exists(ctx={"id": cid}, auth=self.master):
            return None
        data = plain(self.services.context.getData(ctx={"id": cid}, auth=self.master))
        data["loginMappings"] = sorted(data.get("loginMappings") or [])
        return data

    def context_ids(self) -> list[int]:
        """Every context OX has (master listing)."""
        return sorted(c.id for c in self.services.context.listAll(auth=self.master) or [])

    # -- users -----------------------------------------------------------------------------
    def _all_users(self, cid: int) -> list[dict[str, Any]]:
        auth = self._auth(cid)
        ids = self.services.user.listAll(ctx={"id": cid}, auth=auth) or []
        if not ids:
            return []
        found = self.services.user.getMultipleData(
            ctx={"id": cid}, users=[{"id": u.id} for u in ids], auth=auth
        )
        return [plain(u) for u in found or []]

    def users(self, cid: int) -> dict[str, dict[str, Any]]:
        """name -> the full OX user (every field of getData), without the context admin."""
        return self._by_name(cid, self._all_users(cid))

    def _by_name(self, cid: int, all_users: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        admin = self._auth(cid)["login"]
        return {u["name"]: u for u in all_users if u["name"] != admin}

    def contents(self, cid: int) -> dict[str, dict[str, dict[str, Any]]]:
        """{"users", "groups", "resources"} as ``users``, ``groups`` and ``resources`` give
        them, with the context's users read once (listAll, getMultipleData) for all of
        them instead of once per method."""
        all_users = self._all_users(cid)
        return {
            "users": self._by_name(cid, all_users),
            "groups": self._groups(cid, all_users),
            "resources": self.resources(cid),
        }

    def user(self, cid: int, name: str) -> dict[str, Any] | None:
        """One user by name, None if the context has none of that name."""
        auth = self._auth(cid)
        if not self.services.user.exists(ctx={"id": cid}, user={"name": name}, auth=auth):
            return None
        return plain(self.services.user.getData(ctx={"id": cid}, user={"name": name}, auth=auth))

    def module_access(self, cid: int, name: str) -> dict[str, bool]:
        """The user's UserModuleAccess: right -> bool (unset rights left out)."""
        access = plain(
            self.services.user.getModuleAccess(
                ctx={"id": cid}, user={"name": name}, auth=self._auth(cid)
            )
        )
        return {k: v for k, v in access.items() if isinstance(v, bool)}

    def rights(self, cid: int, name: str) -> list[str]:
        """The granted rights of a user, sorted (OX's camelCase names)."""
        return sorted(k for k, v in self.module_access(cid, name).items() if v)

    def context_admin(self, cid: int) -> dict[str, Any]:
        """The context admin's own getData, with its own credentials (an authenticated call
        that also proves the password the connector keeps)."""
        auth = self._auth(cid)
        user = self.services.user.getData(ctx={"id": cid}, user={"name": auth["login"]}, auth=auth)
        return plain(user)

    def logs_in(self, cid: int, login: str, password: str) -> bool:
        """Whether OX accepts ``login``/``password`` for the user's own getData (OX lets a
        user read its own record): how a password, which OX never returns, is checked."""
        try:
            self.services.user.getData(
                ctx={"id": cid}, user={"name": login}, auth={"login": login, "password": password}
            )
        except zeep.exceptions.Fault as fault:
            if "Authentication failed" in str(fault):
                return False
            raise
        return True

    # -- groups and resources --------------------------------------------------------------
    def groups(self, cid: int) -> dict[str, dict[str, Any]]:
        """name -> {"id", "displayname", "members": sorted member user names}, without
        OX's default group "users"."""
        return self._groups(cid)

    def _groups(
        self, cid: int, all_users: list[dict[str, Any]] | None = None
    ) -> dict[str, dict[str, Any]]:
        """``groups``, naming the members from ``all_users`` (None: read them if needed)."""
        auth = self._auth(cid)
        found = self.services.group.listAll(ctx={"id": cid}, auth=auth) or []
        if not found:
            return {}
        if all_users is None:
            all_users = self._all_users(cid)
        names = {u["id"]: u["name"] for u in all_users}
        out = {}
        for g in found:
            if g.id == DEFAULT_GROUP_ID:
                continue
            members = sorted(names.get(m, f"#{m}") for m in g.members or [])
            out[g.name] = {"id": g.id, "displayname": g.displayname, "members": members}
        return out

    def resources(self, cid: int) -> dict[str, dict[str, Any]]:
        """name -> the resource (``id``, ``displayname``, ``description``, ``email``,
        ``available``, ...)."""
        auth = self._auth(cid)
        found = self.services.resource.listAll(ctx={"id": cid}, auth=auth) or []
        if not found:
            return {}
        full = self.services.resource.getMultipleData(
            ctx={"id": cid}, resources=[{"id": r.id} for r in found], auth=auth
        )
        return {r["name"]: r for r in (plain(x) for x in full or [])}

    def functional_accounts(self, cid: int) -> dict[str, dict[str, Any]]:
        """primary address -> {"name", "personal", "users": sorted user names, "logins":
        sorted logins}: OX holds one secondary account per member user."""
        return self._functional_accounts(cid, self._all_users(cid))

    def _functional_accounts(
        self, cid: int, users: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        if not users:
            return {}
        names = {u["id"]: u["name"] for u in users}
        accounts = (
            self.services.secondary.list(
                context={"id": cid},
                users=[{"id": i} for i in names],
                groups=[],
                auth=self._auth(cid),
            )
            or []
        )
        out: dict[str, dict[str, Any]] = {}
        for a in accounts:
            entry = out.setdefault(
                a.primaryAddress,
                {"name": a.name, "personal": a.personal, "users": [], "logins": []},
            )
            entry["users"].append(names.get(a.userId, f"#{a.userId}"))
            entry["logins"].append(a.login)
        for entry in out.values():
            entry["users"].sort()
            entry["logins"].sort()
        return out

    def accounts(self, cid: int) -> list[dict[str, Any]]:
        """Every secondary account record of the context's users (list's fields), each with
        the ``user`` name it belongs to."""
        names = {u["id"]: u["name"] for u in self._all_users(cid)}
        if not names:
            return []
        found = self.services.secondary.list(
            context={"id": cid}, users=[{"id": i} for i in names], groups=[], auth=self._auth(cid)
        )
        return [{**plain(a), "user": names.get(a.userId)} for a in found or []]

    # -- everything ------------------------------------------------------------------------
    def snapshot(self, context_ids: Iterable[int]) -> dict[int, dict[str, Any] | None]:
        """Per context id: None if OX has no such context, else {"context", "users" (name ->
        user without volatile fields, plus its granted "rights"), "groups" (name ->
        {"displayname", "members"}), "resources" (name -> resource without id),
        "functional_accounts"}: equal snapshots mean equal OX content."""
        out: dict[int, dict[str, Any] | None] = {}
        for cid in sorted(set(context_ids)):
            context = self.context(cid)
            if context is None:
                out[cid] = None
                continue
            all_users = self._all_users(cid)  # once for users, groups and accounts
            users = {
                name: {
                    **{k: v for k, v in u.items() if k not in VOLATILE_USER_FIELDS},
                    "rights": self.rights(cid, name),
                }
                for name, u in self._by_name(cid, all_users).items()
            }
            out[cid] = {
                "context": {
                    k: context.get(k) for k in ("name", "maxQuota", "enabled", "loginMappings")
                },
                "users": users,
                "groups": {
                    n: {"displayname": g["displayname"], "members": g["members"]}
                    for n, g in self._groups(cid, all_users).items()
                },
                "resources": {
                    n: {k: v for k, v in r.items() if k not in ("id", "permissions")}
                    for n, r in self.resources(cid).items()
                },
                "functional_accounts": self._functional_accounts(cid, all_users),
            }
        return out
