"""OXSecondaryAccountService: extra mail accounts (functional mailboxes) of users."""

from __future__ import annotations

from typing import Any

from .. import rules
from ..faults import OXFault
from .base import Handler
from .users import DEFAULT_GROUP_ID

ALL_USERS_GROUP = 0  # OX's GROUP_ZERO: every user of the context
ENDPOINT_SOURCES = ("primary", "localhost", "none")


class SecondaryAccountHandler(Handler):
    service_name = "OXSecondaryAccountService"

    def _targets(self, cid: int, p, required: bool) -> list[int]:
        """User ids from ``users`` plus the members of ``groups`` (group 0 = everybody)."""
        users, groups = p.get("users", []), p.get("groups", [])
        if not users and not groups:
            if required:
                raise OXFault.invalid_data("Missing users/groups in account data")
            return [u["id"] for u in self.store.principals(cid, "user")]
        ids: list[int] = []
        for ref in users:
            user = self.find_principal(cid, "user", ref)[0]
            if user is None:
                raise OXFault.no_such_user(ref.get("id") or ref.get("name"), cid)
            ids.append(user["id"])
        for ref in groups:
            if ref.get("id") == ALL_USERS_GROUP:
                ids.extend(self.store.members(cid, DEFAULT_GROUP_ID))
                continue
            group = self.find_principal(cid, "group", ref)[0]
            if group is None:
                # OX reports an unknown group with a NoSuchUserException.
                raise OXFault("NoSuchUserException",
                              f"No such group {ref.get('id') or ref.get('name')} in context {cid}")
            ids.extend(self.store.members(cid, group["id"]))
        return list(dict.fromkeys(ids))

    def _endpoint(self, cid: int, uid: int, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        prefix = "mail" if kind == "imap" else "transport"
        source = data.get(f"{prefix}EndpointSource") or "none"
        if source not in ENDPOINT_SOURCES:
            raise OXFault.invalid_data(f"Invalid {prefix} end-point source: {source}")
        if source == "primary":
            user = self.store.principal(cid, "user", pid=uid)
            schema, host, port = rules.split_mail_url(user[f"{kind}ServerString"])
        elif source == "localhost":
            schema, host, port = rules.MAIL_SCHEMES[kind]["plain"][0], "localhost", \
                rules.MAIL_SCHEMES[kind]["plain"][1]
        else:
            if not data.get(f"{prefix}Server"):
                raise OXFault.storage(f"Missing {prefix} end-point data for account "
                                      f"{data.get('primaryAddress')}")
            schema = (data.get(f"{prefix}Protocol") or kind) + "://"
            host = data[f"{prefix}Server"]
            port = data.get(f"{prefix}Port") or rules.MAIL_SCHEMES[kind]["plain"][1]
        return {f"{prefix}Server": host, f"{prefix}Port": port,
                f"{prefix}Protocol": schema.removesuffix("://"),
                f"{prefix}Secure": data.get(f"{prefix}Secure", schema.endswith("s://")),
                f"{prefix}StartTls": data.get(f"{prefix}StartTls", False)}

    def create(self, p):
        cid = self.require_context_admin(p, "context")
        data = p.get("accountDataOnCreate")
        if data is None:
            raise OXFault.invalid_data("Account data is missing.")
        address = (data.get("primaryAddress") or "").strip()
        if not address:
            raise OXFault.invalid_data("Primary address is empty.")
        if not rules.valid_email(address):
            raise OXFault.invalid_data(f"Invalid email address: {address}")
        for uid in self._targets(cid, p, required=True):
            if self.store.account_id_for(cid, uid, address) is not None:
                raise OXFault.storage(
                    f"Duplicate mail account for user {uid} in context {cid}: {address}")
            account = {k: v for k, v in data.items()
                       if not k.endswith("EndpointSource") and k != "primaryAddress"}
            account.update(self._endpoint(cid, uid, "imap", data))
            account.update(self._endpoint(cid, uid, "smtp", data))
            account["primaryAddress"] = address
            self.store.put_account(cid, uid, account)

    def update(self, p):
        cid = self.require_context_admin(p, "context")
        address = p.get("primaryAddress") or ""
        changes = p.get("accountDataUpdate") or {}
        updated = False
        for uid in self._targets(cid, p, required=True):
            for account in self.store.accounts(cid, uid):
                if account["primaryAddress"].lower() == address.lower():
                    account.update(changes)
                    self.store.put_account(cid, uid, account)
                    updated = True
        return updated

    def delete(self, p):
        cid = self.require_context_admin(p, "context")
        address = p.get("primaryAddress") or ""
        if not address:
            raise OXFault.invalid_data("Primary address is empty.")
        deleted = False
        for uid in self._targets(cid, p, required=True):
            aid = self.store.account_id_for(cid, uid, address)
            if aid is not None:
                self.store.delete_account(cid, uid, aid)
                deleted = True
        return deleted

    def list(self, p):
        cid = self.require_context_admin(p, "context")
        return [account for uid in self._targets(cid, p, required=False)
                for account in self.store.accounts(cid, uid)]
