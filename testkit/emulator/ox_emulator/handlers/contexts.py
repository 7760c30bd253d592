"""OXContextService: contexts with their admin, default group, login mappings and quota."""

from __future__ import annotations

from typing import Any

from .. import rules
from ..faults import OXFault
from .base import Handler
from .users import CONTEXT_FILESTORE_ID, DEFAULT_GROUP_ID, UserHandler, named_access

QUOTA_MODULES = (
    "calendar",
    "task",
    "contact",
    "infostore",
    "attachment",
    "invite_guests",
    "share_links",
)
ADMIN_ATTRIBUTES = {
    "entries": [
        {
            "key": "config",
            "value": {
                "entries": [{"key": "com.openexchange.mail.specialuse.check", "value": "true"}]
            },
        }
    ]
}


class ContextHandler(Handler):
    service_name = "OXContextService"

    def view(self, ctx: dict[str, Any]) -> dict[str, Any]:
        quota = ctx.get("maxQuota", -1)
        return {
            "id": ctx["id"],
            "name": ctx["name"],
            "enabled": ctx.get("enabled", True),
            "loginMappings": ctx["loginMappings"],
            "maxQuota": None if quota == -1 else quota,  # OX omits an unlimited quota
            "usedQuota": 0,
            "average_size": 100,
            "filestoreId": CONTEXT_FILESTORE_ID,
            "filestore_name": f"{ctx['id']}_ctx_store",
            "readDatabase": {"id": 3, "name": "oxdatabase"},
            "writeDatabase": {"id": 3, "name": "oxdatabase"},
            "userAttributes": ctx.get("userAttributes"),
            "gabMode": ctx.get("gabMode"),
        }

    def lookup(self, ref: dict[str, Any] | None) -> dict[str, Any]:
        ref = ref or {}
        if ref.get("id") is not None:
            ctx = self.store.context(ref["id"])
            if ctx is None:
                raise OXFault.no_such_context(ref["id"])
            return ctx
        if ref.get("name"):
            ctx = self.store.context_by_name(ref["name"])
            if ctx is None:
                raise OXFault(
                    "NoSuchContextException",
                    "com.openexchange.admin.rmi.exceptions.NoSuchObjectException: "
                    f"No such context {ref['name']}",
                )
            return ctx
        raise OXFault.invalid_data("There must be a context identifier!")

    def _check_mappings(self, cid: int, mappings: list[str], creating: bool) -> None:
        for m in mappings:
            bad = rules.illegal_chars(m, rules.LOGIN_MAPPING_CHARS)
            if bad:
                raise OXFault.invalid_data(f'Illegal chars: "{bad}" in login mapping')
            owner = self.store.mapping_owner(m)
            if owner is not None and owner != cid:
                raise OXFault.storage(
                    f"Cannot map '{m}' to the newly created context. This mapping is already "
                    "in use."
                    if creating
                    else f'A mapping with login info "{m}" already exists in the system!'
                )

    # create -----------------------------------------------------------------------------
    def _create(self, p, access: dict[str, bool] | None):
        self.require_master(p)
        c = p.get("ctx") or {}
        cid = c.get("id")
        if cid is None:
            raise OXFault.invalid_data("There must be a context identifier!")
        if cid <= 0:
            raise OXFault.invalid_data(f"The context identifier {cid} is not allowed!")
        if c.get("maxQuota") is None:
            raise OXFault.invalid_data("Mandatory fields in context not set: [maxQuota]")
        if p.get("admin_user") is None:
            raise OXFault.invalid_data(
                "Mandatory fields in admin user not set: [name, "
                "display_name, password, given_name, sur_name, "
                "primaryEmail, email1]"
            )
        if self.store.context(cid) is not None:
            raise OXFault("ContextExistsException", f"Context {cid} already exists!")
        name = c.get("name") or str(cid)
        if self.store.context_by_name(name) is not None:
            raise OXFault("ContextExistsException", f"Context {name} already exists!")
        mappings = list(dict.fromkeys([str(cid), name, *c.get("loginMappings", [])]))
        self._check_mappings(cid, mappings, creating=True)

        self.store.put_context(
            {
                "id": cid,
                "name": name,
                "enabled": True,
                "maxQuota": c["maxQuota"],
                "next_id": 1,
                "gabMode": c.get("gabMode"),
                "quotas": {},
            }
        )
        self.store.set_login_mappings(cid, mappings)
        group_id = self.store.next_principal_id(cid)
        self.store.put_principal(
            cid, "group", {"id": group_id, "name": "users", "displayname": "All users"}, None, None
        )
        assert group_id == DEFAULT_GROUP_ID
        admin_data = {**p["admin_user"], "userAttributes": ADMIN_ATTRIBUTES}
        users = UserHandler(self.store, self.settings)
        admin = users.create_user(
            cid, admin_data, access or rules.module_access(None), context_admin=True
        )
        ctx = self.store.context(cid)
        ctx["admin_id"] = admin["id"]
        self.store.put_context(ctx)
        return self.view(self.store.context(cid))

    def create(self, p):
        return self._create(p, None)

    def createModuleAccess(self, p):
        return self._create(p, rules.module_access(p.get("access")))

    def createModuleAccessByName(self, p):
        return self._create(p, named_access(p.get("access_combination_name")))

    # change -----------------------------------------------------------------------------
    def change(self, p):
        self.require_master(p)
        c = p.get("ctx") or {}
        ctx = self.lookup(c)
        cid, old_name = ctx["id"], ctx["name"]
        if c.get("name") and c["name"] != ctx["name"]:
            other = self.store.context_by_name(c["name"])
            if other is not None and other["id"] != cid:
                raise OXFault.invalid_data(f"Context {c['name']} already exists!")
            ctx["name"] = c["name"]
        for key in ("maxQuota", "enabled", "gabMode"):
            if key in c:
                ctx[key] = c[key]
        if "userAttributes" in c:
            ctx["userAttributes"] = c["userAttributes"]
        if "loginMappings" in c:
            # All mappings but the id are replaced by the sent ones plus the context name.
            mappings = [str(cid), *c["loginMappings"], ctx["name"]]
        else:
            mappings = [m if m != old_name else ctx["name"] for m in ctx["loginMappings"]]
        mappings = list(dict.fromkeys(mappings))
        self._check_mappings(cid, mappings, creating=False)
        self.store.put_context(ctx)
        self.store.set_login_mappings(cid, mappings)

    def delete(self, p):
        self.require_master(p)
        self.store.delete_context(self.lookup(p.get("ctx"))["id"])

    def _set_enabled(self, p, enabled: bool):
        self.require_master(p)
        ctx = self.lookup(p.get("ctx"))
        ctx["enabled"] = enabled
        self.store.put_context(ctx)

    def enable(self, p):
        self._set_enabled(p, True)

    def disable(self, p):
        self._set_enabled(p, False)

    def _set_all(self, p, enabled: bool):
        self.require_master(p)
        for ctx in self.store.contexts():
            ctx["enabled"] = enabled
            self.store.put_context(ctx)

    def enableAll(self, p):
        self._set_all(p, True)

    def disableAll(self, p):
        self._set_all(p, False)

    # read -------------------------------------------------------------------------------
    def getData(self, p):
        ctx_ref = p.get("ctx") or {}
        if not self._is_master(p.get("auth")):
            # A context admin may read its own context.
            if ctx_ref.get("id") is None:
                raise OXFault.credentials()
            self.require_context_admin(p)
        return self.view(self.lookup(ctx_ref))

    def _matching(self, pattern: str | None) -> list[dict[str, Any]]:
        if pattern is None:
            raise OXFault.invalid_data("Search pattern is null")
        regex = rules.like_to_regex(pattern)
        return [
            self.view(ctx)
            for ctx in self.store.contexts()
            if regex.match(ctx["name"])
            or any(regex.match(m) for m in ctx["loginMappings"])
            or (pattern.isdigit() and int(pattern) == ctx["id"])
        ]

    def list(self, p):
        self.require_master(p)
        return self._matching(p.get("search_pattern"))

    def listAll(self, p):
        self.require_master(p)
        return self._matching("*")

    @staticmethod
    def _page(items, offset, length):
        start, size = int(offset or 0), int(length or 0)
        return items[start : start + size] if size > 0 else items[start:]

    def listPage(self, p):
        self.require_master(p)
        return self._page(self._matching(p.get("search_pattern")), p.get("offset"), p.get("length"))

    def listPageAll(self, p):
        self.require_master(p)
        return self._page(self._matching("*"), p.get("offset"), p.get("length"))

    def exists(self, p):
        self.require_master(p)
        ref = p.get("ctx") or {}
        if ref.get("id") is not None:
            return self.store.context(ref["id"]) is not None
        return bool(ref.get("name")) and self.store.context_by_name(ref["name"]) is not None

    existsInServer = exists

    def getAdminId(self, p):
        self.require_master(p)
        return self.lookup(p.get("ctx"))["admin_id"]

    # module access of the context (its admin's rights are the template for new users) ---
    def _admin(self, ctx):
        return self.store.principal(ctx["id"], "user", pid=ctx["admin_id"])

    def getModuleAccess(self, p):
        self.require_master(p)
        return self._admin(self.lookup(p.get("ctx")))["access"]

    def getAccessCombinationName(self, p):
        self.require_master(p)
        return rules.combination_name(self._admin(self.lookup(p.get("ctx")))["access"])

    def _change_all_access(self, ctx, access: dict[str, bool]) -> None:
        users = UserHandler(self.store, self.settings)
        for user in self.store.principals(ctx["id"], "user"):
            user["access"] = access
            users.save(ctx["id"], user)

    def changeModuleAccess(self, p):
        self.require_master(p)
        self._change_all_access(self.lookup(p.get("ctx")), rules.module_access(p.get("access")))

    def changeModuleAccessByName(self, p):
        self.require_master(p)
        access = named_access(p.get("access_combination_name"))
        self._change_all_access(self.lookup(p.get("ctx")), access)

    # quotas and capabilities --------------------------------------------------------------
    def changeQuota(self, p):
        self.require_master(p)
        ctx = self.lookup(p.get("ctx"))
        module = p.get("module") or ""
        if module not in QUOTA_MODULES:
            raise OXFault.invalid_data(f"Invalid module: {module}")
        try:
            value = int(p.get("quotaValue") or "")
        except ValueError:
            raise OXFault.invalid_data("Invalid quota value") from None
        quotas = dict(ctx.get("quotas") or {})
        if value < 0:
            quotas.pop(module, None)
        else:
            quotas[module] = value
        ctx["quotas"] = quotas
        self.store.put_context(ctx)

    def listQuota(self, p):
        self.require_master(p)
        ctx = self.lookup(p.get("ctx"))
        return [{"module": m, "limit": v} for m, v in sorted((ctx.get("quotas") or {}).items())]

    def changeCapabilities(self, p):
        self.require_master(p)
        ctx = self.lookup(p.get("ctx"))

        def split(key):
            return {c.strip() for c in (p.get(key) or "").split(",") if c.strip()}

        caps = (
            (set(ctx.get("capabilities", [])) | split("capsToAdd"))
            - split("capsToRemove")
            - split("capsToDrop")
        )
        ctx["capabilities"] = sorted(caps)
        self.store.put_context(ctx)

    def getContextCapabilities(self, p):
        self.require_master(p)
        return ", ".join(self.lookup(p.get("ctx")).get("capabilities", []))

    # database and filestore administration is outside what the emulator models -----------
    def _not_modelled(self, p):
        self.require_master(p)
        raise OXFault.storage("The emulator has no databases or filestores to administer")

    downgrade = listByDatabase = listByFilestore = listPageByDatabase = _not_modelled
    listPageByFilestore = moveContextDatabase = moveContextFilestore = _not_modelled
