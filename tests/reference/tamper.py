"""Changes made to OX behind the connector's back, as an OX administrator might make them
by hand: what ``ox-connector check`` must find and ``check --fix`` must undo.

Kept apart from the inspector, which only reads; the same reference-WSDL zeep services and
context admin credentials, so the changes are made the way any SOAP client makes them."""

from __future__ import annotations

import secrets
import time
from typing import Any

from .inspector import OXInspector, plain


class OXTamper:
    def __init__(self, inspector: OXInspector):
        self.services = inspector.services
        self._auth = inspector._auth
        self._master = inspector.master

    def rename_user_display(self, cid: int, ox_id: int, display_name: str) -> None:
        usrdata = {"id": ox_id, "display_name": display_name}
        self.services.user.change(ctx={"id": cid}, usrdata=usrdata, auth=self._auth(cid))

    def delete_group(self, cid: int, ox_id: int) -> None:
        self.services.group.delete(ctx={"id": cid}, grp={"id": ox_id}, auth=self._auth(cid))

    def create_resource(self, cid: int, name: str, email: str) -> Any:
        res = {"name": name, "displayname": name, "email": email, "available": True}
        return self.services.resource.create(ctx={"id": cid}, res=res, auth=self._auth(cid))

    def delete_account(self, cid: int, primary_address: str, user_id: int) -> None:
        self.services.secondary.delete(
            primaryAddress=primary_address,
            context={"id": cid},
            users=[{"id": user_id}],
            groups=[],
            auth=self._auth(cid),
        )

    def change_account_personal(
        self, cid: int, primary_address: str, user_id: int, personal: str
    ) -> None:
        self.services.secondary.update(
            primaryAddress=primary_address,
            accountDataUpdate={"personal": personal},
            context={"id": cid},
            users=[{"id": user_id}],
            groups=[],
            auth=self._auth(cid),
        )

    def create_context(self, cid: int, name: str) -> Any:
        """A context made by hand with the master admin (its admin's password is not the
        connector's to know)."""
        admin = {
            "name": "oxadmin",
            "display_name": "Context admin by hand",
            "given_name": "Context",
            "sur_name": "Admin",
            "primaryEmail": f"oxadmin-{cid}@example.org",
            "email1": f"oxadmin-{cid}@example.org",
            "password": secrets.token_urlsafe(18),
        }
        return self.services.context.create(
            ctx={"id": cid, "name": name, "maxQuota": 100}, admin_user=admin, auth=self._master
        )

    def create_user(self, cid: int, name: str, email: str) -> Any:
        usrdata = {
            "name": name,
            "display_name": f"Made by hand {name}",
            "given_name": "Hand",
            "sur_name": "Made",
            "primaryEmail": email,
            "email1": email,
            "password": secrets.token_urlsafe(18),
        }
        return self.services.user.create(ctx={"id": cid}, usrdata=usrdata, auth=self._auth(cid))

    def create_group(self, cid: int, name: str, member_ids: list[int]) -> Any:
        grp = {"name": name, "displayname": f"by hand {name}", "members": member_ids}
        return self.services.group.create(ctx={"id": cid}, grp=grp, auth=self._auth(cid))

    def give_own_filestore(self, cid: int, name: str, timeout: float = 60) -> dict[str, Any]:
        """Move a user's files from the context's filestore into one of its own (OX's
        ``movecontextfilestore2user``, unlimited), as an OX admin must before OX keeps a
        quota for a user created without one. OX moves in a background job: wait until
        the user shows its filestore (a positive filestoreId); returns the user."""
        auth = self._auth(cid)
        context = self.services.context.getData(ctx={"id": cid}, auth=self._master)
        self.services.user.moveFromContextToUserFilestore(
            ctx={"id": cid},
            user={"name": name},
            dst_filestore_id={"id": context.filestoreId},
            max_quota=-1,
            auth=auth,
        )
        deadline = time.monotonic() + timeout
        while True:
            user = plain(
                self.services.user.getData(ctx={"id": cid}, user={"name": name}, auth=auth)
            )
            if (user.get("filestoreId") or 0) > 0:
                return user
            if time.monotonic() > deadline:
                raise TimeoutError(f"OX gave user {name} of context {cid} no filestore")
            time.sleep(0.5)
