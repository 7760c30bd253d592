"""Pure comparisons of desired and actual OX values: what a change call must send."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

MAIL_FIELDS = ("primaryEmail", "email1", "aliases", "defaultSenderAddress")
# OX rebuilds a server URL from what a change sends (a host alone gets the scheme's default
# port), so host, port and scheme always travel together.
SERVER_FIELDS = tuple(
    (f"{kind}Server", f"{kind}Port", f"{kind}Schema") for kind in ("imap", "smtp")
)


def normalise(value: Any) -> Any:
    """OX reads back '' as nil, dates as date objects and aliases as an unordered set."""
    if value in (None, "", b""):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(value) or None
    return value


def differing(desired: Mapping[str, Any], actual: Mapping[str, Any]) -> dict[str, Any]:
    """The desired fields whose value OX does not already have."""
    return {k: v for k, v in desired.items() if normalise(v) != normalise(actual.get(k))}


def user_changes(desired: Mapping[str, Any], actual: Mapping[str, Any]) -> dict[str, Any]:
    """Fields for OXUserService.change. OX checks the mail fields together: whenever one
    of them is sent, primaryEmail, email1 and defaultSenderAddress must all be in the
    aliases sent. The default sender is the user's own choice in OX; it follows the primary
    address only when it was the old primary, or when it is no longer one of the aliases.
    """
    changes = differing(desired, actual)
    for group in SERVER_FIELDS:
        if any(f in changes for f in group):
            changes.update({f: desired[f] for f in group if f in desired})
    if not any(f in changes for f in MAIL_FIELDS):
        return changes
    primary = desired["primaryEmail"]
    aliases = list(desired["aliases"])
    sender = actual.get("defaultSenderAddress")
    lowered = {a.lower() for a in aliases}
    if (
        not sender
        or sender.lower() == (actual.get("primaryEmail") or "").lower()
        or sender.lower() not in lowered
    ):
        sender = primary
    changes.update(primaryEmail=primary, email1=desired["email1"], aliases=aliases)
    if sender != actual.get("defaultSenderAddress"):
        changes["defaultSenderAddress"] = sender
    return changes


def owns_filestore(user: Mapping[str, Any]) -> bool:
    """Whether OX keeps a per-user quota for this OX user: only for one with a filestore
    of its own, which OX reports as a positive ``filestoreId`` (none or 0: its files count
    against the context's quota). ``maxQuota`` cannot tell: an owner may be unlimited."""
    filestore = user.get("filestoreId")
    return isinstance(filestore, int) and not isinstance(filestore, bool) and filestore > 0


def access_changes(desired: Mapping[str, bool], actual: Mapping[str, Any]) -> bool:
    """True if OX's module access differs from the desired one in any field we send."""
    return any(bool(actual.get(k)) != v for k, v in desired.items())
