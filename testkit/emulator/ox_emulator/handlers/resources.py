"""OXResourceService: bookable resources; their mail counts against users' primary mails."""

from __future__ import annotations

from typing import Any

from .. import rules
from ..faults import OXFault
from .base import Handler
from .users import UserHandler


class ResourceHandler(Handler):
    service_name = "OXResourceService"

    @staticmethod
    def view(res: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": res["id"],
            "name": res["name"],
            "displayname": res.get("displayname"),
            "email": res.get("email"),
            "description": res.get("description"),
            "available": res.get("available", True),
            "permissions": res.get("permissions", []),
        }

    def _find(self, cid: int, ref: dict | None):
        ref = ref or {}
        if not ref.get("id") and not ref.get("name"):
            raise OXFault.invalid_data(
                "Resourcename and resourceid missing!Cannot resolve resource data"
            )
        return self.find_principal(cid, "resource", ref)[0]

    def _check(self, cid: int, r: dict[str, Any], own_id: int | None) -> None:
        if "name" in r:
            if not r["name"].strip():
                raise OXFault.invalid_data("Invalid resource name")
            bad = rules.illegal_chars(r["name"], self.settings.group_name_chars)
            if bad:
                raise OXFault.invalid_data(f'Illegal chars: "{bad}"')
            other = self.store.principal(cid, "resource", name=r["name"])
            if other is not None and other["id"] != own_id:
                raise OXFault.invalid_data(f"Resource {r['name']} already exists in this context")
        if "email" in r:
            if not rules.valid_email(r["email"]):
                raise OXFault.invalid_data("Invalid email address")
            for kind, pid in self.store.mail_owners(cid, r["email"]):
                if pid == own_id:
                    continue
                if kind == "resource":
                    raise OXFault.invalid_data("Resource with this email address already exists")
                UserHandler(self.store, self.settings).check_primary_mail_free(
                    cid, r["email"], own_id
                )

    def _save(self, cid: int, res: dict[str, Any]) -> None:
        self.store.put_principal(cid, "resource", res, None, res.get("email"))

    def create(self, p):
        cid = self.require_context_admin(p)
        r = p.get("res") or {}
        missing = [f for f in ("name", "displayname", "email") if not r.get(f)]
        if missing:
            raise OXFault.invalid_data(f"Mandatory fields not set: [{', '.join(missing)}]")
        self._check(cid, r, None)
        res = {k: v for k, v in r.items() if k != "id"}
        res.setdefault("available", True)
        res["id"] = self.store.next_principal_id(cid)
        self._save(cid, res)
        return self.view(res)

    def change(self, p):
        cid = self.require_context_admin(p)
        r = p.get("res") or {}
        res = self._find(cid, r)
        if res is None:
            raise OXFault("NoSuchResourceException", "Resource with this id does not exists")
        self._check(cid, r, res["id"])
        res.update({k: v for k, v in r.items() if k != "id"})
        self._save(cid, res)

    def delete(self, p):
        cid = self.require_context_admin(p)
        res = self._find(cid, p.get("res"))
        if res is None:
            raise OXFault("NoSuchResourceException", "resource with with this id does not exist")
        self.store.delete_principal(cid, res["id"])

    def _get(self, cid: int, ref) -> dict[str, Any]:
        res = self._find(cid, ref)
        if res is None:
            ref = ref or {}
            raise OXFault(
                "NoSuchResourceException", f"No such resource {ref.get('id') or ref.get('name')}"
            )
        return self.view(res)

    def getData(self, p):
        cid = self.require_context_admin(p)
        return self._get(cid, p.get("res"))

    def getMultipleData(self, p):
        cid = self.require_context_admin(p)
        return [self._get(cid, ref) for ref in p.get("resources", [])]

    def list(self, p):
        cid = self.require_context_admin(p)
        pattern = p.get("pattern")
        regex = rules.like_to_regex(pattern)
        # OX: identifier LIKE pattern OR display name equal to the pattern.
        return [
            self.view(r)
            for r in self.store.principals(cid, "resource")
            if regex.match(r["name"]) or r.get("displayname") == pattern
        ]

    def listAll(self, p):
        cid = self.require_context_admin(p)
        return [self.view(r) for r in self.store.principals(cid, "resource")]
