"""An OX login (master or context admin)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credentials:
    """An OX login; the password never appears in ``repr``/``str``."""

    login: str
    password: str = field(repr=False)

    @classmethod
    def of(cls, value: Credentials | Mapping[str, str] | tuple[str, str]) -> Credentials:
        """From Credentials, ``{"login", "password"}`` (OX's field names) or a pair."""
        if isinstance(value, Credentials):
            return value
        if isinstance(value, Mapping):
            return cls(value["login"], value["password"])
        login, password = value
        return cls(login, password)

    def soap(self) -> dict[str, str]:
        """The ``auth`` parameter of every OX operation."""
        return {"login": self.login, "password": self.password}


CredentialsLike = Credentials | Mapping[str, str] | tuple[str, str]


def context_admin_name(context_id: int, default_context: int) -> str:
    """The admin of an OX context the connector manages: ``oxadmin`` for the default
    context, ``oxadmin-context<id>`` for the others (the Univention app's convention)."""
    return "oxadmin" if context_id == default_context else f"oxadmin-context{context_id}"
