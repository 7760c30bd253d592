"""OXSecondaryAccountService: extra mail accounts (functional mailboxes) of users."""

from __future__ import annotations

from typing import Any

from .. import rules
from ..faults import OXFault
from .base import Handler

ALL_USERS_GROUP = 0  # OX's GROUP_ZERO: every user of the context
ENDPOINT_SOURCES = ("primary", "localhost", "none")


class SecondaryAccountHandler(Handler):
    service_name = "OXSecondaryAccountService"

    def _targets(self, cid: int, p, required: bool) -> list[int]:
        """User ids from ``users`` plus the members of ``groups`` (group 0 = everybody)."""
        users, groups = p.get("users", []), p.get("groups", [])
        ids: list[int] = []
        for ref in users:
            user = self.find_principal(cid, "user", ref)[0]
            if user is None:
                raise OXFault.no_such_user(ref.get("id") or ref.get("name"), cid)
            ids.append(user["id"])
        group_ids: list[int] = []
        for ref in groups:
            if ref.get("id") == ALL_USERS_GROUP:
                group_ids.append(ALL_USERS_GROUP)
                continue
            group = self.find_principal(cid, "group", ref)[0]
            if group is None:
                # OX reports an unknown group with a NoSuchUserException.
                raise OXFault(
                    "NoSuchUserException",
                    f"No such group {ref.get('id') or ref.get('name')} in context {cid}",
                )
            group_ids.append(group["id"])
        if not users and not groups:
            if required:
                raise OXFault.invalid_data("Missing users/groups in account data")
            return [u["id"] for u in self.store.principals(cid, "user")]
        for gid in group_ids:
            if gid == ALL_USERS_GROUP:
                # GROUP_ZERO is OX's virtual group of every user of the context; it does
                # not depend on the members of the default group "users".
                ids.extend(u["id"] for u in self.store.principals(cid, "user"))
            else:
                ids.extend(self.store.members(cid, gid))
        return list(dict.fromkeys(ids))

    def _endpoint(
        self, cid: int, uid: int, kind: str, source: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        """The mail (imap) or transport (smtp) end-point of a new account.

        Without a server and with source ``none`` the mail end-point is an error, while a
        missing transport end-point gives a mail-only account (all transport fields nil).
        """
        prefix = "mail" if kind == "imap" else "transport"
        if source not in ENDPOINT_SOURCES:
            raise OXFault.invalid_data(f"Invalid {prefix} end-point source: {source}")
        if source == "primary":
            user = self.store.principal(cid, "user", pid=uid)
            schema, host, port = rules.split_mail_url(user[f"{kind}ServerString"])
            secure, start_tls = schema == rules.MAIL_SCHEMES[kind]["ssl"][0], False
            protocol = kind
        elif source == "localhost":
            (schema, port), host = rules.MAIL_SCHEMES[kind]["plain"], "localhost"
            secure, start_tls, protocol = False, True, kind
        else:
            host = data.get(f"{prefix}Server")
            if not host:
                if kind == "imap":
                    raise OXFault.storage(
                        'Missing mail end-point data. Set end-point source to either "primary"'
                        ' or "localhost"; or specify appropriate fields in account data'
                    )
                return {
                    f"{prefix}{f}": None
                    for f in ("Server", "Port", "Protocol", "Secure", "StartTls")
                }
            secure = bool(data.get(f"{prefix}Secure", False))
            protocol = data.get(f"{prefix}Protocol") or kind
            port = (
                data.get(f"{prefix}Port")
                or rules.MAIL_SCHEMES[kind]["ssl" if secure else "plain"][1]
            )
            start_tls = bool(data.get(f"{prefix}StartTls", False))
        return {
            f"{prefix}Server": host,
            f"{prefix}Port": port,
            f"{prefix}Protocol": protocol,
            f"{prefix}Secure": secure,
            f"{prefix}StartTls": start_tls,
        }

    def create(self, p):
        data = p.get("accountDataOnCreate")
        if data is None:  # OX checks this before authenticating
            raise OXFault.invalid_data("Account data is missing.")
        cid = self.require_context_admin(p, "context")
        address = (data.get("primaryAddress") or "").strip()
        if not address:
            raise OXFault.invalid_data("Primary address is empty.")
        if not rules.valid_email(address):
            raise OXFault.invalid_data(f"Invalid email address: {address}")
        mail_source = data.get("mailEndpointSource") or "none"
        # OX takes the transport end-point from mailEndpointSource as well; an explicit
        # transportEndpointSource is honoured when sent.
        transport_source = data.get("transportEndpointSource") or mail_source
        for uid in self._targets(cid, p, required=True):
            if self.store.account_id_for(cid, uid, address) is not None:
                raise OXFault.storage(f"Duplicate mail account for user {uid} in context {cid}.")
            account = {
                k: v
                for k, v in data.items()
                if not k.endswith("EndpointSource") and k != "primaryAddress"
            }
            account.update(self._endpoint(cid, uid, "imap", mail_source, data))
            account.update(self._endpoint(cid, uid, "smtp", transport_source, data))
            account["primaryAddress"] = address
            self.store.put_account(cid, uid, account)

    def update(self, p):
        cid = self.require_context_admin(p, "context")
        address = p.get("primaryAddress") or ""
        if not address:
            raise OXFault.invalid_data("Primary address is empty.")
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
        return [
            account
            for uid in self._targets(cid, p, required=False)
            for account in self.store.accounts(cid, uid)
        ]
