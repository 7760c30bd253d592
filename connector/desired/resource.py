"""UDM ``oxresources/oxresources`` -> the OX resource it should be (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import values
from .errors import InvalidAttribute


@dataclass(frozen=True)
class DesiredResource:
    context_id: int
    name: str
    fields: dict[str, Any]


def desired_resource(obj: dict[str, Any], default_context: int) -> DesiredResource:
    name = values.clean_text("name", obj.get("name"), one_line=True)
    if not name:
        raise InvalidAttribute("name", obj.get("name"), "a resource needs a name")
    mail = values.clean_text("resourceMailAddress", obj.get("resourceMailAddress"), one_line=True)
    if not mail:
        raise InvalidAttribute("resourceMailAddress", mail, "a resource needs a mail address")
    cid = values.context_id("oxContext", obj.get("oxContext"), default_context)
    return DesiredResource(
        cid,
        name,
        {
            "displayname": values.clean_text("displayname", obj.get("displayname")) or name,
            "description": values.clean_text("description", obj.get("description")) or "",
            "email": mail,
            "available": True,
        },
    )
