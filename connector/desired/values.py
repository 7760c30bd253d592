"""Small pure conversions of UDM values to OX values.

Characters in strings (``clean``), the rule for every value the connector sends to OX
(and for access profile names, which go into a file):

- **Refused everywhere**: control characters other than tab, line feed and carriage
  return (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+007F-U+009F), surrogates
  (U+D800-U+DFFF, which a JSON ``\\ud800`` escape can produce) and U+FFFE, U+FFFF. XML
  1.0, and so SOAP, cannot carry most of them at all; none of them is typed on purpose,
  and dropping one would change the value silently. The error names the UDM property
  (``prop[i]`` for the i-th value of a list) and the character's position (1 = first).
- **Stripped everywhere**: tabs and line breaks at either end of a value (a trailing
  newline from a script or a paste). Spaces are left as they are.
- **Refused inside names, mail addresses and logins** (``one_line``): tabs and line
  breaks; OX names and addresses are one line. Free text (notes, street addresses,
  descriptions, display names) keeps them: OX stores multi-line text.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from ..model.udm import as_list
from .errors import InvalidAttribute

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
JPEG_MAGIC = b"\xff\xd8\xff"
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_CHARS = "\t\n\r"
_LINE_BREAK = re.compile("[\t\n\r]")


def clean(prop: str, value: str, *, one_line: bool = False) -> str:
    """``value`` as OX may get it: tabs and line breaks at either end stripped; raises
    InvalidAttribute naming ``prop`` and the position for a character no field may hold
    (and, ``one_line``, for a tab or line break inside). The rule: this module's doc."""
    bad = _REFUSED.search(value)
    if bad is not None:
        raise InvalidAttribute(
            prop,
            value,
            f"{_describe(bad.group())} at position {bad.start() + 1}: OX cannot store it "
            "(correct the value in UDM)",
        )
    stripped = value.strip(_LINE_CHARS)
    if one_line:
        inside = _LINE_BREAK.search(stripped)
        if inside is not None:
            lead = len(value) - len(value.lstrip(_LINE_CHARS))
            raise InvalidAttribute(
                prop,
                value,
                f"{_describe(inside.group())} at position {lead + inside.start() + 1}: a name, "
                "mail address or login is one line",
            )
    return stripped


def _describe(char: str) -> str:
    code = ord(char)
    kind = {0x09: "tab", 0x0A: "line break", 0x0D: "line break", 0x00: "NUL character"}.get(
        code, "surrogate" if 0xD800 <= code <= 0xDFFF else "control character"
    )
    if code in (0xFFFE, 0xFFFF):
        kind = "non-character"
    return f"{kind} U+{code:04X}"


def clean_text(prop: str, value: Any, *, one_line: bool = False) -> str | None:
    """``text`` (the first value of a list), cleaned; None when unset."""
    label = f"{prop}[0]" if isinstance(value, (list, tuple)) and value else prop
    found = text(value)
    return None if found is None else clean(label, found, one_line=one_line)


def first(value: Any, index: int = 0) -> Any:
    """The index-th value of a multi-value property (UDM gives lists), else the value."""
    if isinstance(value, list):
        return value[index] if len(value) > index else None
    return value if index == 0 else None


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
        return text(value)
    return str(value)


def many(prop: str, value: Any, what: str) -> list[str]:
    """A multi-value property as a list of strings: a lone string is a list of one (UDM's
    converter may send either), None and "" are none; anything else is an InvalidAttribute
    naming the property (``what``: e.g. "a list of user DNs")."""
    found = as_list(value)
    if isinstance(value, (dict, bool, int, float)) or not all(isinstance(v, str) for v in found):
        raise InvalidAttribute(prop, value, f"expected {what}")
    return found


def single_text(prop: str, value: Any, what: str) -> str:
    """Exactly one non-empty value (identifier properties: OX_USER/GROUP_IDENTIFIER)."""
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise InvalidAttribute(
                prop, value, f"{what} must come from exactly one value, this has {len(value)}"
            )
        value = value[0]
    if value is None or isinstance(value, (dict, bool)) or not str(value).strip():
        raise InvalidAttribute(prop, value, f"{what} is empty")
    return str(value)


def date(prop: str, value: Any) -> str | None:
    """UDM dates come as YYYY-MM-DD or DD.MM.YYYY; OX wants ISO. Empty is None."""
    value = text(value)
    if not value:
        return None
    value = value.strip()
    if m := _ISO_DATE.match(value):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _GERMAN_DATE.match(value):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    else:
        raise InvalidAttribute(prop, value, "not a date (YYYY-MM-DD or DD.MM.YYYY)")
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError as exc:
        raise InvalidAttribute(prop, value, f"not a date ({exc})") from None


def jpeg(prop: str, value: Any) -> bytes | None:
    """UDM's jpegPhoto is base64; OX's image1 must be a JPEG. Empty is None."""
    value = text(value)
    if not value:
        return None
    try:
        data = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidAttribute(prop, value, "not base64") from None
    if not data.startswith(JPEG_MAGIC):
        raise InvalidAttribute(prop, value, "not a JPEG image")
    return data


def enabled_flag(prop: str, value: Any) -> bool:
    """isOxUser / isOxGroup: "OK"/"Not" in UDM, booleans from other sources."""
    if value in (None, "", [], False, "Not", "not", "FALSE", "False", "false", "0", 0):
        return False
    if value in (True, "OK", "ok", "TRUE", "True", "true", "1", 1):
        return True
    raise InvalidAttribute(prop, value, 'expected "OK" or "Not"')


def context_id(prop: str, value: Any, default: int) -> int:
    value = first(value)
    if value in (None, ""):
        return default
    if isinstance(value, bool) or not re.fullmatch(r"[1-9][0-9]*", str(value).strip()):
        raise InvalidAttribute(prop, value, "not a context id (a positive whole number)")
    return int(str(value).strip())


def quota_mb(prop: str, value: Any) -> int | None:
    """MB, -1 (or empty) for unlimited."""
    value = text(value)
    if value is None or not value.strip():
        return None
    try:
        number = int(value.strip())
    except ValueError:
        raise InvalidAttribute(prop, value, "not a whole number of MB") from None
    if number < -1:
        raise InvalidAttribute(prop, value, "must be -1 (unlimited) or more")
    return number


def mail_server(url: str) -> tuple[str, str, int]:
    """``imap://host:143`` -> (``imap://``, host, port) from the OX_IMAP/SMTP_SERVER settings."""
    parts = urlsplit(url)
    default = {"imap": 143, "imaps": 993, "smtp": 25, "smtps": 465}.get(parts.scheme, 0)
    return parts.scheme + "://", parts.hostname or "", parts.port or default
