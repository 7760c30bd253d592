"""Distinguished names as UDM builds them (RFC 4514 escaping), and a comparison key.

DNs are compared case-insensitively, attribute by attribute, after unescaping, so that
``uid=Anna,cn=users,dc=example,dc=org`` and ``UID=anna, CN=Users,dc=example,dc=org`` are
the same entry (LDAP's ``uid`` and ``cn`` use case-ignore matching).
"""

from __future__ import annotations

_SPECIAL = set(',+"\\<>;=')


def escape_value(value: str) -> str:
    """Escape an RDN value (what ``ldap.dn.escape_dn_chars`` does)."""
    out = []
    for index, char in enumerate(value):
        if char in _SPECIAL:
            out.append("\\" + char)
        elif char == "\0":
            out.append("\\00")
        elif char == "#" and index == 0:
            out.append("\\#")
        elif char == " " and (index == 0 or index == len(value) - 1):
            out.append("\\ ")
        else:
            out.append(char)
    return "".join(out)


def split(dn: str) -> list[tuple[str, str]]:
    """``dn`` as (attribute, unescaped value) pairs, first RDN first. Multi-valued RDNs
    (``a=1+b=2``) are not used by the modules simulated here and are kept as one value."""
    rdns: list[tuple[str, str]] = []
    attr: list[str] = []
    value: list[tuple[str, bool]] = []  # (char, was escaped)
    in_value, index = False, 0
    while index < len(dn):
        char = dn[index]
        if char == "\\" and in_value:
            pair = dn[index + 1 : index + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                value.append((chr(int(pair, 16)), True))
                index += 3
                continue
            if index + 1 >= len(dn):
                raise ValueError(f"not a DN (dangling escape): {dn!r}")
            value.append((dn[index + 1], True))
            index += 2
            continue
        if char == "=" and not in_value:
            in_value = True
        elif char == "," and in_value:
            rdns.append(("".join(attr).strip(), _trim(value)))
            attr, value, in_value = [], [], False
        elif in_value:
            value.append((char, False))
        else:
            attr.append(char)
        index += 1
    if in_value:
        rdns.append(("".join(attr).strip(), _trim(value)))
    elif "".join(attr).strip():
        raise ValueError(f"not a DN: {dn!r}")
    if any(not a for a, _ in rdns):
        raise ValueError(f"not a DN: {dn!r}")
    return rdns


def _trim(chars: list[tuple[str, bool]]) -> str:
    # Unescaped spaces around a value are insignificant; escaped ones are part of it.
    start, end = 0, len(chars)
    while start < end and chars[start] == (" ", False):
        start += 1
    while end > start and chars[end - 1] == (" ", False):
        end -= 1
    return "".join(c for c, _ in chars[start:end])


def build(rdn_attr: str, value: str, parent: str) -> str:
    return f"{rdn_attr}={escape_value(value)},{parent}"


def key(dn: str) -> tuple[tuple[str, str], ...]:
    """Comparison key: same entry, same key."""
    return tuple((a.lower(), v.lower()) for a, v in split(dn))


def parent(dn: str) -> str:
    """The DN without its first RDN (the object's position)."""
    rdns = split(dn)
    return ",".join(f"{a}={escape_value(v)}" for a, v in rdns[1:])


def is_below(dn: str, base: str) -> bool:
    """``dn`` equals ``base`` or lies below it."""
    inner, outer = key(dn), key(base)
    return len(inner) >= len(outer) and inner[len(inner) - len(outer) :] == outer
