"""The user attribute mapping (OX field <- UDM property) as data an administrator can
override: a JSON file of overrides on top of the built-in ``USER_FIELDS``.

File format (``AttributeMapping.json`` in the state dir, or ``OX_ATTRIBUTE_MAPPING_FILE``)::

    {"company": {"udm": "organisation", "alternatives": ["o"]},
     "telephone_business2": {"udm": "phone", "index": 1},
     "note": null}

``null`` = the OX field is not managed (never sent); an object sets where its value comes
from: ``udm`` property, ``index`` for multi-value properties (0 = first), and
``alternatives`` tried in order when the property is empty.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract import TYPES
from ..files import write_atomically
from ..model.errors import ConnectorError
from ..model.udm import is_password_property
from .user import USER_FIELDS, FieldMap

# Set by the connector's own logic (mail, identity, servers, rights, dates, photo): a
# mapping entry cannot take them over.
RESERVED = frozenset(
    {
        "name",
        "password",
        "passwordMech",
        "primaryEmail",
        "email1",
        "aliases",
        "imapLogin",
        "defaultSenderAddress",
        "language",
        "timezone",
        "imapServer",
        "imapSchema",
        "imapServerString",
        "smtpServer",
        "smtpSchema",
        "smtpServerString",
        "image1ContentType",
        "primaryAccountName",
        "filestore_name",
        "drive_user_folder_mode",
        "drive_folder_mode",
    }
)
MAPPABLE = (
    frozenset(f.name for f in TYPES["User"].fields if f.type == "string" and not f.repeated)
    - RESERVED
)
_PROPERTY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

Overrides = dict[str, FieldMap | None]


class MappingError(ConnectorError, ValueError):
    """An unusable mapping entry; the message names the file and the entry."""


@dataclass(frozen=True)
class MappingFile:
    path: Path

    def load(self) -> Overrides:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError(f"mapping file {self.path}: {exc}") from None
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise MappingError(f"mapping file {self.path}: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise MappingError(
                f"mapping file {self.path}: expected a JSON object of OX field names"
            )
        return {
            ox: parse_entry(ox, value, where=f"mapping file {self.path}")
            for ox, value in data.items()
        }

    def save(self, overrides: Overrides) -> None:
        data = {ox: None if m is None else entry_json(m) for ox, m in sorted(overrides.items())}
        write_atomically(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", 0o600)


def parse_entry(ox: str, value: Any, where: str = "mapping") -> FieldMap | None:
    here = f'{where}, entry "{ox}"'
    if ox not in MAPPABLE:
        why = (
            "is set by the connector itself"
            if ox in RESERVED
            else "is not a text field of the OX user"
        )
        raise MappingError(f"{here}: {ox} {why}")
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"udm", "index", "alternatives"}:
        raise MappingError(
            f'{here}: expected null or {{"udm": ..., "index": ..., "alternatives": [...]}}'
        )
    udm = _udm_property(here, value.get("udm"))
    listed = value.get("alternatives", [])
    alternatives = tuple(
        _udm_property(here, prop) for prop in (listed if isinstance(listed, list) else [None])
    )
    index = value.get("index", 0)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise MappingError(f"{here}: index must be a whole number >= 0, not {index!r}")
    return FieldMap(ox, udm, index, alternatives)


def _udm_property(here: str, prop: object) -> str:
    if not isinstance(prop, str) or not _PROPERTY.fullmatch(prop):
        raise MappingError(f"{here}: {prop!r} is not a UDM property name")
    if is_password_property(prop):
        raise MappingError(f"{here}: {prop} is password material, never sent to OX")
    return prop


def entry_json(m: FieldMap) -> dict[str, Any]:
    out: dict[str, Any] = {"udm": m.udm}
    if m.index:
        out["index"] = m.index
    if m.alternatives:
        out["alternatives"] = list(m.alternatives)
    return out


def effective(overrides: Overrides) -> tuple[FieldMap, ...]:
    """The defaults with the overrides applied (unset fields dropped, new ones appended)."""
    out = [overrides.get(m.ox, m) if m.ox in overrides else m for m in USER_FIELDS]
    known = {m.ox for m in USER_FIELDS}
    out += [m for ox, m in overrides.items() if ox not in known]
    return tuple(m for m in out if m is not None)


def defaults() -> dict[str, FieldMap]:
    return {m.ox: m for m in USER_FIELDS}
