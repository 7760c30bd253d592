"""What every service handler shares: authentication, password hashing, id/name lookups."""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

from ..faults import OXFault
from ..settings import OXSettings
from ..store import Store

PASSWORD_MECHS = ("SHA", "SHA-1", "SHA-256", "SHA-512", "CRYPT", "BCRYPT", "PBKDF2", "SSHA")


def hash_password(password: str) -> str:
    salt = os.urandom(8).hex()
    return salt + "$" + hashlib.sha256((salt + password).encode()).hexdigest()


def password_matches(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    salt, _, digest = stored.partition("$")
    given = hashlib.sha256((salt + password).encode()).hexdigest()
    return hmac.compare_digest(given, digest)


class Handler:
    """Base of the per-service handlers. Methods named like the SOAP operations take the
    decoded request (a dict) and return the value of the response's ``return`` element."""

    service_name = ""

    def __init__(self, store: Store, settings: OXSettings):
        self.store = store
        self.settings = settings

    # authentication ---------------------------------------------------------------------
    def _is_master(self, auth: dict[str, Any] | None) -> bool:
        auth = auth or {}
        return (
            auth.get("login") == self.settings.master_login
            and hmac.compare_digest(
                (auth.get("password") or "").encode(), self.settings.master_password.encode()
            )
            and bool(self.settings.master_password)
        )

    def require_master(self, p: dict[str, Any]) -> None:
        if not self._is_master(p.get("auth")):
            raise OXFault.credentials()

    def require_context_admin(self, p: dict[str, Any], ctx_param: str = "ctx") -> int:
        """The context id, after checking the context admin's credentials of that context."""
        cid = self.require_context_user(p, ctx_param)[0]
        return cid

    def require_context_user(
        self, p: dict[str, Any], ctx_param: str = "ctx", allow_plain_user: bool = False
    ) -> tuple[int, dict | None]:
        """(context id, the calling user or None for the admin/master).

        OX answers "Authentication failed" for a context that does not exist, before any
        NoSuchContextException.
        """
        ctx = p.get(ctx_param)
        if not ctx or ctx.get("id") is None:
            raise OXFault.credentials("Client sent invalid context data object")
        cid = ctx["id"]
        auth = p.get("auth") or {}
        if self.settings.master_account_override and self._is_master(auth):
            if not self.store.context_exists(cid):
                raise OXFault.no_such_context(cid)
            return cid, None
        if not self.store.context_exists(cid):
            raise OXFault.credentials()
        login = auth.get("login") or ""
        user = self.store.principal(cid, "user", name=login) if login else None
        if user is None or not password_matches(user.get("pw"), auth.get("password") or ""):
            raise OXFault.credentials()
        if user.get("contextadmin"):
            return cid, None
        if allow_plain_user:
            return cid, user
        raise OXFault.credentials()

    def context_or_fault(self, cid: int) -> dict[str, Any]:
        ctx = self.store.context(cid)
        if ctx is None:
            raise OXFault.no_such_context(cid)
        return ctx

    # lookups ----------------------------------------------------------------------------
    def find_principal(self, cid: int, kind: str, ref: dict[str, Any] | None):
        """A principal by id (if set and not 0) else by name: (object or None, by_name)."""
        ref = ref or {}
        if ref.get("id"):
            return self.store.principal(cid, kind, pid=ref["id"]), False
        if ref.get("name"):
            return self.store.principal(cid, kind, name=ref["name"]), True
        return None, False
