"""OXUserService: users of a context, their mail settings, aliases and module access."""

from __future__ import annotations

import itertools
from typing import Any

from .. import rules
from ..faults import OXFault
from .base import PASSWORD_MECHS, Handler, hash_password

MANDATORY_ON_CREATE = (
    "name",
    "display_name",
    "password",
    "given_name",
    "sur_name",
    "primaryEmail",
    "email1",
)
MAIL_FIELDS = ("primaryEmail", "email1", "email2", "email3", "defaultSenderAddress")
# Derived on read or managed by the server: a client cannot set them through create/change.
NOT_STORED = frozenset(
    {
        "id",
        "password",
        "contextadmin",
        "usedQuota",
        "imapServer",
        "imapPort",
        "imapSchema",
        "imapServerString",
        "smtpServer",
        "smtpPort",
        "smtpSchema",
        "smtpServerString",
        "default_group",
        "filestoreId",
        "filestore_name",
        "maxQuota",
        "userAttributes",
    }
)
FOLDER_DEFAULTS = {
    "mail_folder_drafts_name": "Drafts",
    "mail_folder_sent_name": "Sent",
    "mail_folder_spam_name": "Spam",
    "mail_folder_trash_name": "Trash",
    "mail_folder_archive_full_name": "Archive",
    "mail_folder_confirmed_ham_name": "confirmed-ham",
    "mail_folder_confirmed_spam_name": "confirmed-spam",
}
DEFAULT_GROUP_ID = 1
# The filestores registered in the emulated OX (OXUtilService's registerfilestore): every
# context stores its files in the first; a user may own a filestore in either.
CONTEXT_FILESTORE_ID = 1
FILESTORES = frozenset({CONTEXT_FILESTORE_ID, 2})


def _ci(values) -> set[str]:
    return {v.lower() for v in values if v}


def _clean_aliases(aliases: list[str]) -> list[str]:
    """OX deletes all aliases and inserts the non-empty trimmed values (a set)."""
    return list(dict.fromkeys(a.strip() for a in aliases if a and a.strip()))


def merge_attributes(stored: dict[str, dict[str, str]], sent: dict | None):
    """Apply a SOAPStringMapMap: entries with a null value remove the attribute."""
    merged = {ns: dict(values) for ns, values in stored.items()}
    for ns_entry in (sent or {}).get("entries", []):
        ns = ns_entry.get("key")
        if not ns:
            continue
        target = merged.setdefault(ns, {})
        for entry in (ns_entry.get("value") or {}).get("entries", []):
            if entry.get("value") is None:
                target.pop(entry.get("key"), None)
            elif entry.get("key"):
                target[entry["key"]] = entry["value"]
        if not target:
            merged.pop(ns)
    return merged


def attributes_view(stored: dict[str, dict[str, str]]) -> dict | None:
    if not stored:
        return None
    return {
        "entries": [
            {
                "key": ns,
                "value": {"entries": [{"key": k, "value": v} for k, v in sorted(vals.items())]},
            }
            for ns, vals in sorted(stored.items())
        ]
    }


def owns_filestore(user: dict[str, Any]) -> bool:
    """OX marks a user with an own filestore by a positive filestore id (0 or none: the
    user's files live in the context's filestore, and so counts its quota)."""
    return (user.get("filestoreId") or 0) > 0


def user_filestore(cid: int, uid: int, filestore: int, max_quota: int) -> dict[str, Any]:
    """The stored fields of a user that owns a filestore (OX names its directory so)."""
    return {
        "filestoreId": filestore,
        "filestore_name": f"{cid}_ctx_{uid}_user_store",
        "maxQuota": max_quota,
    }


def limited(quota: int | None) -> bool:
    """A quota OX applies (MB); nil and -1 mean none."""
    return quota is not None and quota != -1


def filestore_at_create(u: dict[str, Any]) -> int | None:
    """The filestore a new user owns: the one sent, else with a quota the context's (OX's
    user storage picks one itself then); without either none."""
    filestore = u.get("filestoreId")
    if filestore is not None and filestore > 0:
        if filestore not in FILESTORES:
            raise OXFault.storage(f"Filestore with identifier {filestore} does not exist.")
        return int(filestore)
    return CONTEXT_FILESTORE_ID if limited(u.get("maxQuota")) else None


def named_access(name: str | None) -> dict[str, bool]:
    """The rights of a named access combination, or OX's fault for an unknown name."""
    if not name:
        raise OXFault.invalid_data("Invalid access combination name")
    access = rules.access_from_combination(name)
    if access is None:
        raise OXFault.invalid_data(f'No such access combination name "{name}"')
    return access


class UserHandler(Handler):
    service_name = "OXUserService"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # OX's TaskManager numbers the jobs of one server from 1 (filestore moves)
        self._job_ids = itertools.count(1)

    # reading ----------------------------------------------------------------------------
    def view(self, cid: int, user: dict[str, Any]) -> dict[str, Any]:
        """The full User as getData returns it (password never)."""
        out = {
            k: v
            for k, v in user.items()
            if k not in ("pw", "access", "capabilities", "attributes", "personal")
        }
        imap_schema, imap_host, imap_port = rules.split_mail_url(user["imapServerString"])
        smtp_schema, smtp_host, smtp_port = rules.split_mail_url(user["smtpServerString"])
        out.update(
            password=None,
            contextadmin=bool(user.get("contextadmin")),
            imapServer=imap_host,
            imapPort=imap_port,
            imapSchema=imap_schema,
            smtpServer=smtp_host,
            smtpPort=smtp_port,
            smtpSchema=smtp_schema,
            maxQuota=user.get("maxQuota", -1),
            usedQuota=0,
            default_group=self._default_group_ref(cid),
            userAttributes=attributes_view(user.get("attributes") or {}),
        )
        return out

    def _default_group_ref(self, cid: int) -> dict[str, Any]:
        name, display_name = self.store.principal_names(cid, DEFAULT_GROUP_ID) or ("users", None)
        return {"id": DEFAULT_GROUP_ID, "name": name, "displayname": display_name}

    @staticmethod
    def id_only(uid: int) -> dict[str, Any]:
        # list/listAll return User objects with only the id meaningful; primitives default.
        return {
            "id": uid,
            "contextadmin": False,
            "imapPort": 143,
            "imapSchema": "imap://",
            "smtpPort": 25,
            "smtpSchema": "smtp://",
        }

    def lookup(self, cid: int, ref: dict | None, in_write: bool = False) -> dict[str, Any]:
        ref = ref or {}
        if not ref.get("id") and not ref.get("name"):
            raise OXFault.invalid_data("Username and userid missing.")
        user, by_name = self.find_principal(cid, "user", ref)
        if user is None:
            ident = ref.get("id") or ref.get("name")
            raise OXFault.no_such_user(ident, cid, by_name_in_write=in_write and by_name)
        return user

    # validation -------------------------------------------------------------------------
    def _check_language_timezone(self, u: dict[str, Any], creating: bool) -> None:
        # create wants exactly one underscore (xx_YY); change only checks that there is one
        if "language" in u and (
            not rules.valid_language(u["language"]) or (creating and u["language"].count("_") != 1)
        ):
            raise OXFault.invalid_data(
                "language must contain an underscore, e.g. en_US"
                if creating
                else "Language must contain an underscore, e.g. en_US."
            )
        if "timezone" in u and not rules.valid_timezone(u["timezone"]):
            raise OXFault.invalid_data("The given timezone is invalid")

    @staticmethod
    def _check_password_mech(u: dict[str, Any]) -> str | None:
        mech = u.get("passwordMech")
        if mech is None:
            return None
        bare = mech.strip("{}").upper()
        if bare not in PASSWORD_MECHS:
            raise OXFault.invalid_data(
                f"Invalid PasswordMech: {mech}. Use one of the following: "
                + ", ".join("{" + m + "}" for m in PASSWORD_MECHS)
            )
        return "{" + bare + "}"

    @staticmethod
    def _check_addresses(u: dict[str, Any]) -> None:
        for address in [u.get(f) for f in MAIL_FIELDS] + list(u.get("aliases") or []):
            if address and not rules.valid_email(address.strip()):
                raise OXFault.invalid_data(f"Invalid email address: {address}")

    def _check_display_name(self, cid: int, display_name: str, own_id: int | None) -> None:
        if not self.settings.unique_display_names:
            return
        owner = self.store.display_name_owner(cid, display_name)
        if owner is not None and owner != own_id:
            raise OXFault.invalid_data("The displayname is already used")

    def check_primary_mail_free(self, cid: int, mail: str, own_id: int | None) -> None:
        for kind, pid in self.store.mail_owners(cid, mail):
            if pid != own_id:
                raise OXFault.invalid_data(
                    f'Primary mail address "{mail}" already exists in context {cid} '
                    f"(Already assigned to {kind} {pid})."
                )

    # create -----------------------------------------------------------------------------
    def create_user(
        self,
        cid: int,
        u: dict[str, Any],
        access: dict[str, bool] | None,
        context_admin: bool = False,
    ) -> dict[str, Any]:
        """OX's createUserCommon, checks in OX's order. Returns the stored user."""
        u = dict(u)
        u.setdefault("language", self.settings.default_language)
        self._check_language_timezone(u, creating=True)
        u.setdefault("timezone", self.settings.default_timezone)
        mech = self._check_password_mech(u) or self.settings.default_password_mech
        if not (u.get("password") or "").strip():  # OX trims before the emptiness check
            raise OXFault.invalid_data("Empty password is not allowed.")
        missing = [f for f in MANDATORY_ON_CREATE if not u.get(f)]
        if missing:
            what = "in admin user " if context_admin else ""
            raise OXFault.invalid_data(f"Mandatory fields {what}not set: [{', '.join(missing)}]")
        if not context_admin:
            self._check_display_name(cid, u["display_name"], None)
        bad = rules.illegal_chars(u["name"], self.settings.user_name_chars)
        if bad:
            raise OXFault.invalid_data(f'Illegal chars: "{bad}"')
        self._check_addresses(u)
        if u["primaryEmail"] != u["email1"]:
            raise OXFault.invalid_data("primarymail must have the same value as email1")
        aliases = _clean_aliases(list(u.get("aliases") or []))
        u.setdefault("defaultSenderAddress", u["primaryEmail"])
        aliases = _clean_aliases([*aliases, u["defaultSenderAddress"], u["primaryEmail"]])
        if not {
            u["primaryEmail"].lower(),
            u["email1"].lower(),
            u["defaultSenderAddress"].lower(),
        } <= _ci(aliases):
            raise OXFault.invalid_data(
                "primaryMail, Email1 and defaultSenderAddress must be present in set of aliases."
            )
        if self.store.principal(cid, "user", name=u["name"]) is not None:
            raise OXFault.invalid_data(f"User {u['name']} already exists in this context")
        self.check_primary_mail_free(cid, u["primaryEmail"], None)
        filestore = filestore_at_create(u)

        user = {k: v for k, v in u.items() if k not in NOT_STORED}
        user.update(FOLDER_DEFAULTS | {k: v for k, v in user.items() if k in FOLDER_DEFAULTS})
        user.update(
            id=self.store.next_principal_id(cid),
            aliases=aliases,
            passwordMech=mech,
            pw=hash_password(u["password"]),
            contextadmin=context_admin,
            mailenabled=u.get("mailenabled", True),
            password_expired=u.get("password_expired", False),
            gui_spam_filter_enabled=u.get("gui_spam_filter_enabled", False),
            primaryAccountName=u.get("primaryAccountName", "E-Mail"),
            imapServerString=rules.mail_server_url(
                "imap",
                u.get("imapServer"),
                u.get("imapPort"),
                u.get("imapSchema"),
                self.settings.default_imap_server,
            ),
            smtpServerString=rules.mail_server_url(
                "smtp",
                u.get("smtpServer"),
                u.get("smtpPort"),
                u.get("smtpSchema"),
                self.settings.default_smtp_server,
            ),
            attributes=merge_attributes({}, u.get("userAttributes")),
            access=access if access is not None else self._default_access(cid),
        )
        if filestore is not None:
            quota = u["maxQuota"] if limited(u.get("maxQuota")) else -1
            user.update(user_filestore(cid, user["id"], filestore, quota))
        self.save(cid, user)
        self.store.add_members(cid, DEFAULT_GROUP_ID, [user["id"]])
        return user

    def _default_access(self, cid: int) -> dict[str, bool]:
        """Without an access argument a new user gets the context admin's module access,
        with publicFolderEditable forced off."""
        ctx = self.context_or_fault(cid)
        admin = self.store.principal(cid, "user", pid=ctx.get("admin_id"))
        access = dict(admin["access"]) if admin else rules.module_access(None)
        access["publicFolderEditable"] = False
        return access

    def save(self, cid: int, user: dict[str, Any]) -> None:
        self.store.put_principal(
            cid, "user", user, user.get("display_name"), user.get("primaryEmail")
        )

    def create(self, p):
        cid = self.require_context_admin(p)
        return self.view(cid, self.create_user(cid, p.get("usrdata") or {}, None))

    def createByModuleAccess(self, p):
        cid = self.require_context_admin(p)
        access = rules.module_access(p.get("access"))
        return self.view(cid, self.create_user(cid, p.get("usrdata") or {}, access))

    def createByModuleAccessName(self, p):
        cid = self.require_context_admin(p)
        access = named_access(p.get("access_combination_name"))
        return self.view(cid, self.create_user(cid, p.get("usrdata") or {}, access))

    # change -----------------------------------------------------------------------------
    def change(self, p):
        cid, caller = self.require_context_user(p, allow_plain_user=True)
        u = p.get("usrdata") or {}
        user = self.lookup(cid, u, in_write=True)
        if caller is not None and caller["id"] != user["id"]:
            raise OXFault.credentials("Permission denied")
        self.change_user(cid, user, u)

    def change_user(self, cid: int, user: dict[str, Any], u: dict[str, Any]) -> None:
        if "display_name" in u and u["display_name"] != user.get("display_name"):
            self._check_display_name(cid, u["display_name"], user["id"])
        if "name" in u and u["name"] != user["name"]:
            if not self.settings.username_changeable:
                raise OXFault.invalid_data("Changing username is disabled!")
            bad = rules.illegal_chars(u["name"], self.settings.user_name_chars)
            if bad:
                raise OXFault.invalid_data(f'Illegal chars: "{bad}"')
            if self.store.principal(cid, "user", name=u["name"]) is not None:
                raise OXFault.invalid_data(f"User {u['name']} already exists in this context")
        self._check_language_timezone(u, creating=False)
        if (
            self.settings.primary_mail_unchangeable
            and u.get("primaryEmail")
            and u["primaryEmail"].lower() != (user.get("primaryEmail") or "").lower()
        ):
            raise OXFault.invalid_data("primary mail must not be changed")  # for admins too
        mech = self._check_password_mech(u)
        if mech and "password" not in u:
            raise OXFault.invalid_data(
                "When changing password mechanism, the password string must also be supplied"
            )
        if "password" in u and not (u["password"] or "").strip():
            raise OXFault.invalid_data("Empty password is not allowed.")
        mail_touched = any(
            f in u for f in ("primaryEmail", "email1", "defaultSenderAddress", "aliases")
        )
        if mail_touched and not user.get("contextadmin"):  # the context admin skips mail checks
            self._check_mail_change(cid, user, u)
        self._check_filestore_change(cid, user, u)

        changed = dict(user)
        changed.update({k: v for k, v in u.items() if k not in NOT_STORED})
        if u.get("maxQuota") is not None:
            changed["maxQuota"] = u["maxQuota"]
        if "aliases" in u:
            changed["aliases"] = _clean_aliases(u["aliases"])
        if "password" in u:
            changed["pw"] = hash_password(u["password"])
            changed["passwordMech"] = mech or user["passwordMech"]
        for kind in ("imap", "smtp"):
            if any(f"{kind}{f}" in u for f in ("Server", "Port", "Schema")):
                changed[f"{kind}ServerString"] = rules.mail_server_url(
                    kind,
                    u.get(f"{kind}Server"),
                    u.get(f"{kind}Port"),
                    u.get(f"{kind}Schema"),
                    user[f"{kind}ServerString"],
                )
        if "userAttributes" in u:
            changed["attributes"] = merge_attributes(
                user.get("attributes") or {}, u["userAttributes"]
            )
        self.save(cid, changed)

    @staticmethod
    def _check_filestore_change(cid: int, user: dict[str, Any], u: dict[str, Any]) -> None:
        """A filestore is given or taken only by the move operations: change accepts the
        user's own filestore id unchanged, and a quota only for a user that owns one
        (ALLOW_CHANGING_QUOTA_IF_NO_FILESTORE_SET=false, as shipped)."""
        filestore = u.get("filestoreId")
        if filestore is not None:
            if filestore not in FILESTORES:
                raise OXFault.invalid_data(f"No such filestore with id {filestore}")
            if not owns_filestore(user) or user["filestoreId"] != filestore:
                raise OXFault.invalid_data(
                    f"Not allowed to change the filestore for user {user['id']} in context "
                    f"{cid}. Please use appropriate method instead."
                )
        if limited(u.get("maxQuota")) and not owns_filestore(user):
            raise OXFault.storage(
                f"Quota cannot be changed for user {user['id']} in context {cid} since that "
                'user has no file storage set. See "ALLOW_CHANGING_QUOTA_IF_NO_FILESTORE_SET".'
            )

    def _check_mail_change(self, cid: int, user: dict[str, Any], u: dict[str, Any]) -> None:
        """OX's checkChangeUserData mail block, in OX's order: syntax, primaryEmail vs email1
        (only when both are sent), a new primary mail must be free, the effective addresses
        must be in the effective aliases, and only then "email1 not sent"."""
        self._check_addresses(u)
        if (
            "primaryEmail" in u
            and "email1" in u
            and u["primaryEmail"].lower() != u["email1"].lower()
        ):
            raise OXFault.invalid_data("email1 not equal with primarymail!")
        primary = u.get("primaryEmail", user.get("primaryEmail")) or ""
        email1 = u.get("email1", user.get("email1")) or ""
        if "primaryEmail" in u and primary.lower() != (user.get("primaryEmail") or "").lower():
            self.check_primary_mail_free(cid, primary, user["id"])
        aliases = _clean_aliases(u["aliases"]) if "aliases" in u else user.get("aliases", [])
        sender = u.get("defaultSenderAddress", user.get("defaultSenderAddress"))
        if not _ci([primary, email1, sender]) <= _ci(aliases):
            raise OXFault.invalid_data(
                "primaryMail, Email1 and defaultSenderAddress must be present in set of aliases."
            )
        if "primaryEmail" in u and "email1" not in u:
            raise OXFault.invalid_data("email1 not sent but required!")

    # module access ----------------------------------------------------------------------
    def changeByModuleAccess(self, p):
        cid = self.require_context_admin(p)
        user = self.lookup(cid, p.get("user"), in_write=True)
        user["access"] = rules.module_access(p.get("moduleAccess"))
        self.save(cid, user)

    def changeByModuleAccessName(self, p):
        cid = self.require_context_admin(p)
        user = self.lookup(cid, p.get("user"), in_write=True)
        user["access"] = named_access(p.get("access_combination_name"))
        self.save(cid, user)

    def getModuleAccess(self, p):
        cid = self.require_context_admin(p)
        return self.lookup(cid, p.get("user"))["access"]

    def getAccessCombinationName(self, p):
        cid = self.require_context_admin(p)
        return rules.combination_name(self.lookup(cid, p.get("user"))["access"])

    def changeModuleAccessGlobal(self, p):
        self.require_master(p)
        add = {k: True for k, v in (p.get("addAccess") or {}).items() if v}
        remove = {k: False for k, v in (p.get("removeAccess") or {}).items() if v}
        for ctx in self.store.contexts():
            for user in self.store.principals(ctx["id"], "user"):
                user["access"] = {**user["access"], **add, **remove}
                self.save(ctx["id"], user)

    # capabilities and personal ------------------------------------------------------------
    def getUserCapabilities(self, p):
        cid = self.require_context_admin(p)
        return ", ".join(sorted(self.lookup(cid, p.get("user")).get("capabilities", [])))

    def changeCapabilities(self, p):
        cid = self.require_context_admin(p)
        user = self.lookup(cid, p.get("user"), in_write=True)
        caps = set(user.get("capabilities", []))

        def split(key):
            return {c.strip() for c in (p.get(key) or "").split(",") if c.strip()}

        caps = (caps | split("capsToAdd")) - split("capsToRemove") - split("capsToDrop")
        user["capabilities"] = sorted(caps)
        self.save(cid, user)

    def changeMailAddressPersonal(self, p):
        cid = self.require_context_admin(p)
        user = self.lookup(cid, p.get("user"), in_write=True)
        user["personal"] = p.get("personal")
        self.save(cid, user)

    # read ---------------------------------------------------------------------------------
    def getData(self, p):
        cid, caller = self.require_context_user(p, allow_plain_user=True)
        user = self.lookup(cid, p.get("user"))
        if caller is not None and caller["id"] != user["id"]:
            raise OXFault.credentials("Permission denied")
        return self.view(cid, user)

    def getMultipleData(self, p):
        cid = self.require_context_admin(p)
        return [self.view(cid, self.lookup(cid, ref)) for ref in p.get("users", [])]

    def getContextAdmin(self, p):
        cid = self.require_context_admin(p)
        ctx = self.context_or_fault(cid)
        return self.view(cid, self.store.principal(cid, "user", pid=ctx["admin_id"]))

    def _list(self, cid: int, pattern: str | None, p, match=None):
        if p.get("exclude_users"):
            return []  # only guests were asked for, and the emulator has none
        regex = rules.like_to_regex(pattern)
        match = match or (
            lambda u: regex.match(u["name"]) or regex.match(u.get("display_name") or "")
        )
        ids = [u["id"] for u in self.store.principals(cid, "user") if match(u)]
        offset, length = p.get("offset") or 0, p.get("length")
        ids = ids[offset : offset + length] if length and length > 0 else ids[offset:]
        return [self.id_only(uid) for uid in ids]

    def list(self, p):
        cid = self.require_context_admin(p)
        return self._list(cid, p.get("search_pattern"), p)

    def listCaseInsensitive(self, p):
        return self.list(p)

    def listAll(self, p):
        cid = self.require_context_admin(p)
        return self._list(cid, "*", p)

    def listByAliasDomain(self, p):
        cid = self.require_context_admin(p)
        domain = (p.get("alias_domain") or "").lower()
        return self._list(
            cid,
            "*",
            p,
            match=lambda u: any(a.lower().endswith(domain) for a in u.get("aliases", [])),
        )

    def exists(self, p):
        cid = self.require_context_admin(p)
        ref = p.get("user") or {}
        if ref.get("id"):
            return self.store.principal(cid, "user", pid=ref["id"]) is not None
        if ref.get("name"):
            return self.store.principal(cid, "user", name=ref["name"]) is not None
        if ref.get("display_name"):
            return self.store.display_name_owner(cid, ref["display_name"]) is not None
        raise OXFault.invalid_data(
            "Neither identifier, name nor display name set in given user object"
        )

    # delete -------------------------------------------------------------------------------
    def delete_user(self, cid: int, ref: dict | None) -> None:
        user = self.lookup(cid, ref, in_write=True)
        if user.get("contextadmin"):
            raise OXFault.invalid_data("Admin delete not supported")
        self.store.delete_principal(cid, user["id"])

    def delete(self, p):
        cid = self.require_context_admin(p)
        self.delete_user(cid, p.get("user"))

    def deleteMultiple(self, p):
        cid = self.require_context_admin(p)
        for ref in p.get("users", []):
            self.delete_user(cid, ref)

    # filestore moves -----------------------------------------------------------------------
    # OX runs a move as a background job (the user is disabled until it is done) and
    # answers with the job's id; the emulator has no files to move, so the job is done
    # when the answer comes.
    def _job(self) -> int:
        return next(self._job_ids)

    @staticmethod
    def _destination(ref: dict | None) -> int:
        if not ref or ref.get("id") is None:
            raise OXFault.invalid_data("Missing filestore parameter")
        if ref["id"] not in FILESTORES:
            # OX raises it without a message: CXF's text for a fault without one
            raise OXFault("NoSuchFilestoreException", "Fault occurred while processing.")
        return int(ref["id"])

    def moveFromContextToUserFilestore(self, p):
        cid = self.require_context_admin(p)
        user = self.lookup(cid, p.get("user"), in_write=True)
        if owns_filestore(user):
            raise OXFault.storage(f"User {user['id']} already has a dedicate file storage set.")
        filestore = self._destination(p.get("dst_filestore_id"))
        quota = p.get("max_quota")
        quota = 0 if quota is None else quota  # a Java long: absent reads as 0
        self.save(cid, {**user, **user_filestore(cid, user["id"], filestore, quota)})
        return self._job()

    def moveFromUserToContextFilestore(self, p):
        cid = self.require_context_admin(p)
        user = self.lookup(cid, p.get("user"), in_write=True)
        if not owns_filestore(user):
            raise OXFault.storage(f"User {user['id']} has no file storage set.")
        # back in the context's filestore, the user has no quota of its own
        self.save(cid, {**user, "filestoreId": None, "filestore_name": None, "maxQuota": -1})
        return self._job()

    def moveUserFilestore(self, p):
        cid = self.require_context_admin(p)
        user = self.lookup(cid, p.get("user"), in_write=True)
        filestore = self._destination(p.get("dst_filestore_id"))
        if not owns_filestore(user):
            raise OXFault.invalid_data("Unable to get filestore 0")
        if user["filestoreId"] == filestore:
            raise OXFault.invalid_data(
                f"The identifiers for the source and destination storage are equal: {filestore}"
            )
        self.save(cid, {**user, "filestoreId": filestore})
        return self._job()

    # a master user's filestore shared by other users is not modelled
    def _no_master_filestores(self, p):
        self.require_context_admin(p)
        raise OXFault.storage("The emulator has no master filestores")

    moveFromUserFilestoreToMaster = moveFromMasterToUserFilestore = _no_master_filestores
