"""OX results as plain Python values."""

from __future__ import annotations

from typing import Any

from zeep.helpers import serialize_object


def as_dict(obj: Any) -> dict[str, Any]:
    """A zeep result object as a plain dict (nested objects too); None becomes {}."""
    return dict(serialize_object(obj, dict)) if obj is not None else {}
