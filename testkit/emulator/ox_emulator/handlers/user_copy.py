"""OXUserCopyService: copy a user into another context (the login name is kept)."""

from __future__ import annotations

from ..faults import OXFault
from .base import Handler
from .users import DEFAULT_GROUP_ID, UserHandler


class UserCopyHandler(Handler):
    service_name = "OXUserCopyService"

    def copyUser(self, p):
        self.require_master(p)
        src_id = (p.get("src") or {}).get("id")
        dest_id = (p.get("dest") or {}).get("id")
        for cid in (src_id, dest_id):
            if cid is None or self.store.context(cid) is None:
                raise OXFault.no_such_context(cid)
        users = UserHandler(self.store, self.settings)
        user = users.lookup(src_id, p.get("user"))
        if self.store.principal(dest_id, "user", name=user["name"]) is not None:
            raise OXFault(
                "UserExistsException", f"User {user['name']} already exists in context {dest_id}"
            )
        # The copy keeps data and login; it is a plain user of the destination context.
        copy = {**user, "id": self.store.next_principal_id(dest_id), "contextadmin": False}
        users.save(dest_id, copy)
        self.store.add_members(dest_id, DEFAULT_GROUP_ID, [copy["id"]])
        for account in self.store.accounts(src_id, user["id"]):
            self.store.put_account(dest_id, copy["id"], {**account, "id": None})
        return users.view(dest_id, copy)
