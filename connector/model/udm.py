"""UDM objects as the App Center's listener converter sends them: what every layer needs
to know about their values."""

from __future__ import annotations

from typing import Any

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
