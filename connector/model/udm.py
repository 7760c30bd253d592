"""UDM objects as the App Center's listener converter sends them: what every layer needs
to know about their values."""

from __future__ import annotations

import json
import re
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


# Password material a UDM object may carry: never kept by the connector (state store, dead
# letters) nor mapped to OX. Compared case-insensitively (LDAP attribute names are).
PASSWORD_PROPERTIES = frozenset(
    name.lower()
    for name in (
        "password",  # users/user: the hash ({crypt}, {SASL}, ...), or the new clear text
        "userPassword",  # the LDAP attribute behind it
        "sambaNTPassword",  # Samba's NT and LM hashes and their history
        "sambaLMPassword",
        "sambaPasswordHistory",
        "pwhistory",  # UCS's password history (hashes)
        "krb5Key",  # the Kerberos keys derived from the password
        "remotePassword",  # the OX app's fetchmail credentials
        "unicodePwd",  # Active Directory / Samba 4 (AD Connection, S4 connector)
        "dBCSPwd",
        "ntPwdHistory",
        "lmPwdHistory",
        "supplementalCredentials",
    )
)


def is_password_property(name: str) -> bool:
    return name.lower() in PASSWORD_PROPERTIES


def without_password_material(obj: dict[str, Any]) -> dict[str, Any]:
    """The UDM object without its password properties (the same dict if it has none)."""
    if not any(is_password_property(key) for key in obj):
        return obj
    return {key: value for key, value in obj.items() if not is_password_property(key)}


_SECRET_VALUE = re.compile(
    rb'("(?:'
    + b"|".join(re.escape(name.encode()) for name in sorted(PASSWORD_PROPERTIES))
    + rb')"\s*:\s*)(?:"(?:[^"\\]|\\.)*(?:"|\Z)|\[[^\]]*(?:\]|\Z)|[^,}\]\s]+)',
    re.IGNORECASE | re.DOTALL,
)


def queue_file_without_password_material(content: bytes) -> bytes:
    """A converter file's bytes without password material in its ``object``: unchanged
    when it has none, else the same document without those properties (it stays a valid,
    re-playable queue file). Bytes that are not a JSON object (a broken file) get every
    ``"<password property>": <value>`` replaced by ``null``, as far as it can be found."""
    try:
        doc = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _SECRET_VALUE.sub(rb"\1null", content)
    obj = doc.get("object") if isinstance(doc, dict) else None
    if not isinstance(obj, dict):
        return _SECRET_VALUE.sub(rb"\1null", content)
    kept = without_password_material(obj)
    if kept is obj:
        return content
    return json.dumps({**doc, "object": kept}, ensure_ascii=False).encode("utf-8")
