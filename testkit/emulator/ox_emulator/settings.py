"""The OX server settings that change how the admin API behaves, with OX's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from .rules import GROUP_NAME_CHARS, USER_NAME_CHARS


@dataclass(frozen=True)
class OXSettings:
    master_login: str = "oxadminmaster"
    master_password: str = ""
    # AdminUser.properties / AdminDaemon.properties / server.properties
    username_changeable: bool = False  # USERNAME_CHANGEABLE
    unique_display_names: bool = True  # com.openexchange.user.enforceUniqueDisplayName
    master_account_override: bool = False  # MASTER_ACCOUNT_OVERRIDE
    primary_mail_unchangeable: bool = False  # PRIMARY_MAIL_UNCHANGEABLE as shipped
    user_name_chars: str = USER_NAME_CHARS  # CHECK_USER_UID_REGEXP
    group_name_chars: str = GROUP_NAME_CHARS
    default_language: str = "en_US"
    default_timezone: str = "Europe/Berlin"  # DEFAULT_TIMEZONE
    default_password_mech: str = "{SHA-256}"
    default_imap_server: str = "imap://localhost:143"
    default_smtp_server: str = "smtp://localhost:25"
