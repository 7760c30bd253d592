"""UDM objects as the App Center's listener converter sends them: what every layer needs
to know about their values."""

from __future__ import annotations

from typing import Any

# The default of OX_CONNECTOR_MAX_FILE_BYTES: a larger queue file is refused unread. Well
# above a user with a photo (UDM limits jpegPhoto; base64 adds a third).
MAX_FILE_BYTES = 8 * 1024 * 1024


def as_list(value: Any) -> list[Any]:
    """A multi-value property as a list. The converter sends lists, but a property with one
    value may come as that value alone, and an unset one as None or ""."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    return [value]
