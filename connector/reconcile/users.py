"""``users/user``: one OX user in the user's context, adopted if OX already has it.

Calls for a user OX does not have yet: getData by name (not found) + createByModuleAccess.
For an unchanged user: getData + getModuleAccess, no write.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from typing import Any

from ..desired.access import NO_RIGHTS, module_access
from ..desired.errors import InvalidAttribute
from ..desired.user import DesiredUser, desired_user
from ..model.change import ObjectChange
from ..model.errors import ConnectorError
from ..model.kinds import Kind
from ..ox import AlreadyExists, MissingCredentials, NotFound
from ..state.credentials import generate_password
from ..state.store import ObjectState, Placement
from .compare import access_changes, owns_filestore, user_changes
from .deps import Deps
from .errors import MailHeldByOther, NameHeldByOther, ReconcileError
from .handler import (
    Finding,
    KindHandler,
    compare_by_id,
    digest,
    is_fresh,
    only_placement,
    referring_keys,
)
from .ownership import check_name_free, check_owner, claiming_mail, delete_quietly

log = logging.getLogger("ox_connector.reconcile")
BATCH = 100  # users per getMultipleData when checking for drift


class UserHandler(KindHandler):
    kind = Kind.USER
    has_drift_check = True

    def apply(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any], prior: ObjectState | None
    ) -> ObjectState:
        old = only_placement(prior)
        wanted = desired(deps, object_id, dn, obj)
        state = ObjectState(object_id, self.kind.value, dn, obj)
        if not wanted.enabled:  # disabling deletes the OX user (and with it its OX data)
            if old:
                _delete(deps, old)
            return state
        access = module_access(rights_of(deps, wanted.access_profile))
        cid = wanted.context_id
        admin = deps.context_admin(cid)
        if admin is None:
            raise ReconcileError(
                f"no admin credentials for context {cid} in {deps.credentials.path}: create "
                "the context in UDM (oxmail/oxcontext) or add its admin to that file"
            )
        if admin.login == wanted.name:
            log.warning(
                "skipped: this user is the admin of its OX context, which the connector "
                "never changes",
                extra={"dn": dn, "context_id": cid},
            )
            return state

        user = None
        if old and old.context_id != cid:
            user = _move(deps, old, cid)
        elif old and old.ox_id is not None:
            user = deps.ox.users.find(cid, ox_id=old.ox_id)
        if user is None:
            user = deps.ox.users.find(cid, name=wanted.name)
            if user is not None:
                what = f'user "{wanted.name}"'
                check_owner(deps.store, self.kind, cid, user["id"], object_id, what, wanted.name)
        if user is None:
            ox_id = _create(deps, object_id, cid, wanted, access)
        else:
            if user.get("contextadmin"):
                raise ReconcileError(
                    f'OX user "{user.get("name")}" is the admin of context {cid};'
                    " the connector never changes a context admin"
                )
            # Module access is read only when it may differ from what was applied: the
            # desired rights changed, or OX is due to be read (a verify window ran out).
            # Without a window (0) it is trusted until it changes or a resync asks.
            access_known = (
                prior is not None
                and prior.fingerprint.get("access") == digest(access)
                and (deps.options.verify_after <= 0 or is_fresh(deps, prior))
            )
            _update(deps, object_id, cid, user, wanted, access, access_known)
            ox_id = user["id"]
        return ObjectState(
            object_id, self.kind.value, dn, obj, (Placement(cid, ox_id, wanted.name),)
        )

    def delete(self, deps: Deps, object_id: str, dn: str, prior: ObjectState | None) -> None:
        old = only_placement(prior)
        if old:
            _delete(deps, old)

    def fingerprint(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any]
    ) -> dict[str, str]:
        return _fingerprint(deps, desired(deps, object_id, dn, obj))

    def prefetch(self, deps: Deps, changes: list[tuple[ObjectChange, ObjectState | None]]) -> None:
        """The users these changes will read by id (in the same context, enabled, not
        skipped by their fingerprint), with one getMultipleData per batch and context."""
        by_context: dict[int, list[int]] = {}
        for change, prior in changes:
            old = only_placement(prior)
            if change.object is None or prior is None or old is None or old.ox_id is None:
                continue
            try:
                wanted = desired(deps, change.id, change.dn, change.object)
                fingerprint = _fingerprint(deps, wanted)
            except ConnectorError:
                continue  # that step fails on its own
            if not wanted.enabled or wanted.context_id != old.context_id:
                continue
            if prior.fingerprint == fingerprint and is_fresh(deps, prior):
                continue
            by_context.setdefault(old.context_id, []).append(old.ox_id)
        for cid, ox_ids in sorted(by_context.items()):
            if len(ox_ids) < 2:
                continue  # one user is read by its own step: the same one call
            try:
                deps.ox.users.prefetch(cid, ox_ids)
            except ConnectorError as exc:  # each step then reads its user itself
                log.debug("read-ahead failed", extra={"context_id": cid, "error": str(exc)})

    def conflict_keys(
        self, deps: Deps, change: ObjectChange, prior: ObjectState | None
    ) -> frozenset[Hashable]:
        keys = set(super().conflict_keys(deps, change, prior)) | _claims(deps, change.object)
        dns = [change.dn]
        if prior is not None:
            keys |= _claims(deps, prior.object)
            keys |= {("user-name", p.ox_name.lower()) for p in prior.placements if p.ox_name}
            dns.append(prior.dn)
        return frozenset(keys | referring_keys(deps, dns))

    def releases(self, deps: Deps, held: NameHeldByOther, obj: dict[str, Any]) -> bool:
        user = desired(deps, "", "", obj)
        if not user.enabled or user.context_id != held.context_id:
            return True
        mail = isinstance(held, MailHeldByOther)
        return not held.kept_by(user.fields.get("primaryEmail", "") if mail else user.name)

    def park(self, deps: Deps, held: NameHeldByOther) -> str:
        if isinstance(held, MailHeldByOther):
            return _park_mail(deps, held)
        temporary = held.temporary()
        deps.ox.users.change(held.context_id, held.ox_id, {"name": temporary})
        return temporary

    def referring(
        self, deps: Deps, dns: list[str], prior: ObjectState | None, new: ObjectState | None
    ) -> Iterable[tuple[Kind, list[str]]]:
        """Groups list their members' OX ids; functional-account logins are built from
        member properties. Neither gets a file of its own when a user is enabled, moved,
        or changes such a property."""
        placement_changed = _placements(prior) != _placements(new)
        if placement_changed:
            yield Kind.GROUP, dns
        if placement_changed or _login_inputs_changed(deps, prior, new):
            groups = [
                g.dn
                for dn in dns
                for g in deps.store.referencing(dn)
                if g.udm_object_type == Kind.GROUP.value
            ]
            yield Kind.FUNCTIONAL_ACCOUNT, dns + groups

    def drift(self, deps: Deps, cid: int, stored: list[ObjectState]) -> list[Finding]:
        ids = deps.ox.users.ids(cid)
        actual: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), BATCH):
            for user in deps.ox.users.get_many(cid, ids[start : start + BATCH]):
                actual[user["id"]] = user

        def differences(state: ObjectState, user: dict[str, Any]) -> list[str]:
            try:
                wanted = desired(deps, state.id, state.dn, state.object)
            except InvalidAttribute:
                return []  # the run reports it where it is applied
            changes = user_changes({**wanted.fields, "name": wanted.name}, user)
            if not owns_filestore(user):
                changes.pop("maxQuota", None)  # OX keeps none without a filestore (_update)
            return list(changes)

        def own(user: dict[str, Any]) -> bool:
            return bool(user.get("contextadmin"))

        return compare_by_id(self.kind, cid, stored, actual, differences, own)

    def delete_orphan(self, deps: Deps, finding: Finding) -> None:
        if finding.ox_id is not None:
            deps.ox.users.delete(finding.context_id, finding.ox_id)


def desired(deps: Deps, object_id: str, dn: str, obj: dict[str, Any]) -> DesiredUser:
    opts = deps.options
    return desired_user(
        obj,
        opts.defaults,
        opts.user_identifier,
        opts.user_fields,
        opts.imap_login,
        object_id,
        dn,
    )


def _fingerprint(deps: Deps, wanted: DesiredUser) -> dict[str, str]:
    """The user's desired OX state and, apart, its module access (read only when it changed)."""
    if not wanted.enabled:
        return {"user": digest(wanted)}
    access = module_access(rights_of(deps, wanted.access_profile))
    return {"user": digest(wanted), "access": digest(access)}


def _claims(deps: Deps, obj: dict[str, Any] | None) -> set[Hashable]:
    """The user name and mail addresses this UDM object asks for (OX keeps both unique)."""
    if obj is None:
        return set()
    try:
        user = desired(deps, "", "", obj)
    except InvalidAttribute:
        return set()
    mails = [user.fields.get(f) for f in ("primaryEmail", "email1")]
    mails += list(user.fields.get("aliases") or [])
    return {("user-name", user.name.lower())} | {("mail", m.lower()) for m in mails if m}


def rights_of(deps: Deps, profile: str | None) -> frozenset[str]:
    """The rights of an access profile; no profile or ``none`` means no rights."""
    profiles = deps.access_profiles()
    if profile is not None and profile in profiles:
        return profiles[profile]
    if not profile or profile == NO_RIGHTS:
        return frozenset()
    raise ReconcileError(
        f'field "oxAccess": access profile "{profile}" does not exist in '
        f"{deps.profiles.path}; create it in UDM (oxmail/accessprofile) first"
    )


def update_access(deps: Deps, placement: Placement, access: dict[str, bool]) -> bool:
    """Make one user's module access equal ``access``; True if it had to change."""
    cid, ox_id = placement.context_id, placement.ox_id
    if ox_id is None:
        return False
    try:
        actual = deps.ox.users.module_access(cid, ox_id)
    except NotFound:
        return False  # gone from OX: its next change re-creates it with the right access
    if not access_changes(access, actual):
        return False
    deps.ox.users.change_module_access(cid, ox_id, access)
    return True


def _create(
    deps: Deps, object_id: str, cid: int, wanted: DesiredUser, access: dict[str, bool]
) -> int:
    # Nothing empty is sent: a new user has no value to clear. The password only satisfies
    # OX (users log in through UCS' LDAP); a random one, so no known password works.
    data = {
        k: v for k, v in {**wanted.fields, **wanted.create_only}.items() if v not in ("", b"", None)
    }
    data.update(name=wanted.name, password=generate_password(32))
    ox_id = claiming_mail(
        deps,
        object_id,
        data["primaryEmail"],
        cid,
        lambda: deps.ox.users.create(cid, data, access),
    )
    log.info("user created", extra={"user": wanted.name, "context_id": cid, "ox_id": ox_id})
    return ox_id


def _update(
    deps: Deps,
    object_id: str,
    cid: int,
    user: dict[str, Any],
    wanted: DesiredUser,
    access: dict[str, bool],
    access_known: bool = False,
) -> None:
    ox_id: int = user["id"]
    changes = user_changes({**wanted.fields, "name": wanted.name}, user)
    if "name" in changes:
        holder = deps.ox.users.find(cid, name=wanted.name)
        what = f'user "{wanted.name}"'
        check_name_free(deps.store, Kind.USER, cid, holder, ox_id, object_id, what, wanted.name)
    if changes.get("maxQuota", -1) != -1 and not owns_filestore(user):
        # OX keeps a per-user quota only for a user with an own filestore, and refuses to
        # set one otherwise: sending it would fail this change on every run.
        del changes["maxQuota"]
        log.warning(
            "oxUserQuota not applied: the OX user has no own filestore",
            extra={"user": wanted.name, "context_id": cid},
        )
    if changes:
        claiming_mail(
            deps,
            object_id,
            wanted.fields["primaryEmail"],
            cid,
            lambda: deps.ox.users.change(cid, ox_id, changes),
        )
        log.info(
            "user changed",
            extra={"user": wanted.name, "context_id": cid, "fields": sorted(changes)},
        )
    if not access_known and access_changes(access, deps.ox.users.module_access(cid, ox_id)):
        deps.ox.users.change_module_access(cid, ox_id, access)
        log.info("user module access changed", extra={"user": wanted.name, "context_id": cid})


def _move(deps: Deps, old: Placement, cid: int) -> dict[str, Any] | None:
    """Move to another context keeping the user's data (OXUserCopyService), then delete
    the source. Returns the user in the destination, or None if it must be looked up
    (or created) there: copy first and delete after, so a crash in between loses nothing.
    """
    user = None
    if old.ox_id is not None:
        try:
            copied = deps.ox.users.copy(old.ox_id, old.context_id, cid)
        except MissingCredentials as exc:
            raise ReconcileError(
                "moving a user to another context keeps its data only with "
                "the OX master admin (OXUserCopyService), and none is "
                f"configured: {exc.message}"
            ) from None
        except NotFound:
            log.info(
                "user to move is gone from its old context; provisioning it anew",
                extra={"context_id": old.context_id, "ox_id": old.ox_id},
            )
        except AlreadyExists:
            log.info(
                "user already in the new context (an earlier, interrupted move)",
                extra={"context_id": cid, "user": old.ox_name},
            )
        else:
            user = deps.ox.users.find(cid, ox_id=copied)
            log.info(
                "user copied to another context",
                extra={"user": old.ox_name, "from_context": old.context_id, "context_id": cid},
            )
    _delete(deps, old)
    return user


def _delete(deps: Deps, placement: Placement) -> None:
    cid, ox_id = placement.context_id, placement.ox_id
    if ox_id is None:
        return
    if delete_quietly(
        deps, cid, f"user {placement.ox_name}", lambda: deps.ox.users.delete(cid, ox_id)
    ):
        log.info("user deleted", extra={"user": placement.ox_name, "context_id": cid})


def _park_mail(deps: Deps, held: MailHeldByOther) -> str:
    """Give the user holding an address a temporary one in the same domain (OX keeps
    addresses unique per context); the owner's own pending change then sets its final
    address. Nothing in the state store names addresses, so only OX changes."""
    cid = held.context_id
    temporary = held.temporary()
    user = deps.ox.users.find(cid, ox_id=held.ox_id) or {}
    released = held.value.lower()
    # primary, email1 and sender must stay among the aliases: swap the address out there
    aliases = [a for a in user.get("aliases") or [] if a.lower() != released]
    fields: dict[str, Any] = {
        "primaryEmail": temporary,
        "email1": temporary,
        "aliases": [*aliases, temporary],
    }
    sender = user.get("defaultSenderAddress") or ""
    if not sender or sender.lower() == released:
        fields["defaultSenderAddress"] = temporary
    deps.ox.users.change(cid, held.ox_id, fields)
    return temporary


def _placements(state: ObjectState | None) -> tuple[tuple[int, int | None], ...]:
    if state is None:
        return ()
    return tuple((p.context_id, p.ox_id) for p in state.placements)


def _login_inputs_changed(deps: Deps, prior: ObjectState | None, new: ObjectState | None) -> bool:
    """Did a user property that functional-account logins are built from change?"""
    if prior is None or new is None:
        return prior is not new
    if prior.dn != new.dn:
        return True
    return any(prior.object.get(p) != new.object.get(p) for p in deps.options.fa_login.placeholders)
