"""UDM ``oxmail/functional_account`` -> OX secondary accounts: one per member user, in
that user's context (pure; member look-ups and the login template are passed in)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import values
from .errors import InvalidAttribute


@dataclass(frozen=True)
class DesiredFunctionalAccount:
    name: str
    address: str  # mailPrimaryAddress: the account's key in OX
    personal: str
    user_dns: tuple[str, ...]
    group_dns: tuple[str, ...]

    def account_data(self, login: str) -> dict[str, Any]:
        """AccountDataOnCreate; the mailbox and transport are the user's primary ones."""
        return {
            "name": self.name,
            "primaryAddress": self.address,
            "personal": self.personal,
            "login": login,
            "mailEndpointSource": "primary",
            "transportEndpointSource": "primary",
        }


def desired_functional_account(obj: dict[str, Any]) -> DesiredFunctionalAccount:
    name = values.clean_text("name", obj.get("name"), one_line=True)
    if not name or not name.strip():
        raise InvalidAttribute("name", obj.get("name"), "a functional account needs a name")
    address = values.clean_text("mailPrimaryAddress", obj.get("mailPrimaryAddress"), one_line=True)
    if not address or "@" not in address:
        raise InvalidAttribute(
            "mailPrimaryAddress", address, "a functional account needs a mail address"
        )
    return DesiredFunctionalAccount(
        name.strip(),
        address.strip().lower(),
        values.clean_text("personal", obj.get("personal")) or "",
        _dns("users", obj.get("users")),
        _dns("groups", obj.get("groups")),
    )


def _dns(prop: str, value: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values.many(prop, value, "a list of DNs")))
