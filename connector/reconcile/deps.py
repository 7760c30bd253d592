"""What reconciliation works with: OX, the state store and the two state files."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..desired.templates import Template, fa_login_template
from ..desired.user import DEFAULT_IMAP_LOGIN, USER_FIELDS, FieldMap, MailDefaults
from ..model.credentials import Credentials
from ..ox.api import OXApi
from ..state.access_profiles import AccessProfilesFile
from ..state.credentials import CredentialsFile
from ..state.store import StateStore


@dataclass(frozen=True)
class Options:
    defaults: MailDefaults = field(default_factory=MailDefaults)
    domain_name: str = "localhost.localdomain"
    user_identifier: str = "username"
    group_identifier: str = "name"
    user_fields: tuple[FieldMap, ...] = USER_FIELDS  # the attribute mapping
    imap_login: Template | None = DEFAULT_IMAP_LOGIN
    fa_login: Template = field(default_factory=lambda: fa_login_template(None))
    # seconds an object whose desired OX state is unchanged is not read again (0: always)
    verify_after: float = 0.0

    @property
    def default_context(self) -> int:
        return self.defaults.default_context


@dataclass
class Deps:
    ox: OXApi
    store: StateStore
    credentials: CredentialsFile
    profiles: AccessProfilesFile
    options: Options = Options()
    # access profiles as last read from the file (read once per run, refreshed on write)
    _profiles: dict[str, frozenset[str]] | None = field(default=None, repr=False)

    def access_profiles(self) -> dict[str, frozenset[str]]:
        if self._profiles is None:
            self._profiles = self.profiles.load()
        return self._profiles

    def profiles_changed(self) -> None:
        self._profiles = None

    def context_admin(self, context_id: int) -> Credentials | None:
        return self.credentials.context(context_id)
