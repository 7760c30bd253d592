"""OXGroupService: groups of a context. Members are user ids; a change always replaces them."""

from __future__ import annotations

from typing import Any

from .. import rules
from ..faults import EXC_PACKAGE, NO_SUCH_OBJECT_PREFIX, OXFault
from .base import Handler
from .users import DEFAULT_GROUP_ID, UserHandler


class GroupHandler(Handler):
    service_name = "OXGroupService"

    def view(self, cid: int, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": group["id"],
            "name": group["name"],
            "displayname": group.get("displayname"),
            "members": self.store.members(cid, group["id"]),
        }

    def lookup(self, cid: int, ref: dict | None, in_write: bool = False) -> dict[str, Any]:
        ref = ref or {}
        if not ref.get("id") and not ref.get("name"):
            raise OXFault.invalid_data("Groupname and groupid missing! Cannot resolve group data")
        group, by_name = self.find_principal(cid, "group", ref)
        if group is not None:
            return group
        ident = ref.get("id") or ref.get("name")
        if in_write and by_name:
            raise OXFault(
                "NoSuchGroupException",
                f"{NO_SUCH_OBJECT_PREFIX}{EXC_PACKAGE}NoSuchGroupException: "
                f"No such group {ident} in context {cid}",
            )
        raise OXFault(
            "NoSuchGroupException", f"No such group {ident}" if not in_write else "No such group"
        )

    def _check_members(self, cid: int, member_ids: list[int]) -> list[int]:
        for uid in member_ids:
            if self.store.principal(cid, "user", pid=uid) is None:
                raise OXFault("NoSuchUserException", "No such user")
        return list(dict.fromkeys(member_ids))

    def _check_name(self, name: str) -> None:
        if not name.strip():
            raise OXFault.invalid_data("Invalid group name")
        bad = rules.illegal_chars(name, self.settings.group_name_chars)
        if bad:
            raise OXFault.invalid_data(f'Illegal chars: "{bad}"')

    def create(self, p):
        cid = self.require_context_admin(p)
        g = p.get("grp") or {}
        missing = [f for f in ("displayname", "name") if not g.get(f)]
        if missing:
            raise OXFault.invalid_data(f"Mandatory fields not set: [{', '.join(missing)}]")
        self._check_name(g["name"])
        if self.store.principal(cid, "group", name=g["name"]) is not None:
            raise OXFault.invalid_data("Group already exists!")
        members = self._check_members(cid, g.get("members", []))
        group = {
            "id": self.store.next_principal_id(cid),
            "name": g["name"],
            "displayname": g["displayname"],
        }
        self.store.put_principal(cid, "group", group, None, None)
        self.store.set_members(cid, group["id"], members)
        return self.view(cid, group)

    def change(self, p):
        cid = self.require_context_admin(p)
        g = p.get("grp") or {}
        group = self.lookup(cid, g, in_write=True)
        if g.get("name") and g["name"] != group["name"]:
            self._check_name(g["name"])
            other = self.store.principal(cid, "group", name=g["name"])
            if other is not None and other["id"] != group["id"]:
                raise OXFault.invalid_data(f"Group {g['name']} already exists in this context")
            group["name"] = g["name"]
        if g.get("displayname"):
            group["displayname"] = g["displayname"]
        # OX's JAXB getter never returns null: no <members> at all means "no members".
        members = self._check_members(cid, g.get("members", []))
        self.store.put_principal(cid, "group", group, None, None)
        self.store.set_members(cid, group["id"], members)

    def _delete(self, cid: int, ref) -> None:
        group = self.lookup(cid, ref, in_write=True)
        if group["id"] == DEFAULT_GROUP_ID:
            raise OXFault.invalid_data("Group with id 1 cannot be deleted")
        self.store.delete_principal(cid, group["id"])

    def delete(self, p):
        cid = self.require_context_admin(p)
        self._delete(cid, p.get("grp"))

    def deleteMultiple(self, p):
        cid = self.require_context_admin(p)
        for ref in p.get("grps", []):
            self._delete(cid, ref)

    def getData(self, p):
        cid = self.require_context_admin(p)
        return self.view(cid, self.lookup(cid, p.get("grp")))

    def getMultipleData(self, p):
        cid = self.require_context_admin(p)
        return [self.view(cid, self.lookup(cid, ref)) for ref in p.get("grps", [])]

    def getDefaultGroup(self, p):
        cid = self.require_context_admin(p)
        return self.view(cid, self.store.principal(cid, "group", pid=DEFAULT_GROUP_ID))

    def list(self, p):
        cid = self.require_context_admin(p)
        regex = rules.like_to_regex(p.get("pattern"))
        return [
            self.view(cid, g)
            for g in self.store.principals(cid, "group")
            if regex.match(g["name"]) or regex.match(g.get("displayname") or "")
        ]

    def listAll(self, p):
        cid = self.require_context_admin(p)
        return [self.view(cid, g) for g in self.store.principals(cid, "group")]

    def listGroupsForUser(self, p):
        cid = self.require_context_admin(p)
        user = UserHandler(self.store, self.settings).lookup(cid, p.get("usr"))
        return [
            self.view(cid, self.store.principal(cid, "group", pid=gid))
            for gid in self.store.groups_of(cid, user["id"])
        ]

    def getMembers(self, p):
        cid = self.require_context_admin(p)
        group = self.lookup(cid, p.get("grp"))
        return [UserHandler.id_only(uid) for uid in self.store.members(cid, group["id"])]

    def _member_ids(self, cid: int, refs) -> list[int]:
        """Member ids; an unknown id is OX's plain "No such user" (a name that does not
        resolve gets the wrapped by-name form)."""
        users = UserHandler(self.store, self.settings)
        ids = []
        for ref in refs or []:
            if ref.get("id"):
                if self.store.principal(cid, "user", pid=ref["id"]) is None:
                    raise OXFault("NoSuchUserException", "No such user")
                ids.append(ref["id"])
            else:
                ids.append(users.lookup(cid, ref, in_write=True)["id"])
        return ids

    def addMember(self, p):
        cid = self.require_context_admin(p)
        group = self.lookup(cid, p.get("grp"), in_write=True)
        ids = self._member_ids(cid, p.get("members"))
        current = set(self.store.members(cid, group["id"]))
        if current & set(ids):
            raise OXFault.invalid_data("Member already exists in group")
        self.store.add_members(cid, group["id"], ids)

    def removeMember(self, p):
        cid = self.require_context_admin(p)
        group = self.lookup(cid, p.get("grp"), in_write=True)
        self.store.remove_members(cid, group["id"], self._member_ids(cid, p.get("members")))
