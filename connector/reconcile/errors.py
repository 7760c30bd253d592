"""Errors of the reconciliation layer (OX's own failures stay ``connector.ox`` errors)."""

from __future__ import annotations

import secrets

from ..model.errors import ConnectorError
from ..model.kinds import Kind


class ReconcileError(ConnectorError):
    """The change cannot be applied as it is (missing profile, missing context admin ...).
    The message says what is wrong and what to do; the runner adds file and DN."""


class NameHeldByOther(ReconcileError):
    """OX has an object of this name, but the state store says another directory object
    (``owner_id``) owns it: it must not be adopted. Usually the owner's own pending change
    (a rename) frees the name, so the scheduler retries after the owner's step."""

    def __init__(
        self, message: str, owner_id: str, kind: Kind, context_id: int, ox_id: int, value: str
    ):
        super().__init__(message)
        self.owner_id = owner_id
        # the OX object holding the name: its kind handler can park it out of the way
        self.kind = kind
        self.context_id = context_id
        self.ox_id = ox_id
        self.value = value  # the name (or address) held

    @property
    def claim(self) -> str:
        """What is held: one holder can be parked once per thing it holds."""
        return f"name {self.value}"

    def kept_by(self, value: str) -> bool:
        """Does the holder, with ``value`` as its name (or address), keep what it holds?"""
        return value.lower() == self.value.lower()

    def temporary(self) -> str:
        """A name no directory object wants, to park the holder under."""
        return f"renaming.{self.ox_id}.{secrets.token_hex(4)}"


class MailHeldByOther(NameHeldByOther):
    """OX refused a mail address (kept unique per context) that another directory object's
    OX user or resource still has: its pending change (a new address) must go first, or,
    when two objects pass addresses around, the holder is parked on a temporary address."""

    @property
    def claim(self) -> str:
        return f"mail {self.value.lower()}"

    def temporary(self) -> str:
        """An address in the same domain (OX checks domains) that no directory object wants."""
        return f"{super().temporary()}@{self.value.rpartition('@')[2]}"
