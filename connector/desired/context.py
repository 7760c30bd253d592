"""UDM ``oxmail/oxcontext`` -> the OX context it should be (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..model.credentials import context_admin_name
from . import values
from .errors import InvalidAttribute

_MAPPING_CHARS = re.compile(r"[$%.+a-zA-Z0-9_-]+")


@dataclass(frozen=True)
class DesiredContext:
    id: int
    name: str
    max_quota: int  # MB, -1 unlimited
    admin_name: str
    login_mappings: tuple[str, ...]  # sent at creation only

    def admin_mail(self, domain_name: str) -> str:
        return f"{self.admin_name}@{domain_name}"


def desired_context(obj: dict[str, Any], default_context: int) -> DesiredContext:
    raw_id = obj.get("contextid")
    if raw_id in (None, ""):
        raise InvalidAttribute("contextid", raw_id, "a context needs its id")
    cid = values.context_id("contextid", raw_id, default_context)
    name = values.clean_text("name", obj.get("name"), one_line=True) or f"context{cid}"
    if not _MAPPING_CHARS.fullmatch(name):
        # OX adds the name to the context's login mappings, which allow only these.
        raise InvalidAttribute(
            "name", name, "OX context names may hold only letters, digits and $ % . + _ -"
        )
    quota = values.quota_mb("oxQuota", obj.get("oxQuota"))
    return DesiredContext(
        cid,
        name,
        quota if quota else -1,
        context_admin_name(cid, default_context),
        (f"context{cid}", str(cid)),
    )
