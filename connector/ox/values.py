"""OX results as plain Python values, whichever codec read them.

The lean codec returns plain values already (dicts, lists, str, int, bool,
``datetime.date``, bytes, None); zeep returns its own objects. ``as_dict`` and ``plain``
make both the same: nested dicts and lists of plain values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _zeep_made(value: Any) -> bool:
    return type(value).__module__ == "zeep.objects"  # zeep's CompoundValue classes


def plain(value: Any) -> Any:
    """A result of either codec as plain values (zeep's objects become dicts)."""
    if isinstance(value, list):
        if not any(_zeep_made(item) for item in value):
            return value
    elif not _zeep_made(value):
        return value
    from zeep.helpers import serialize_object

    return serialize_object(value, dict)


def as_dict(obj: Any) -> dict[str, Any]:
    """A result object as a plain dict (nested objects too); None becomes {}."""
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return dict(obj)
    return dict(plain(obj))
