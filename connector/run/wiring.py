"""Build the connector's parts from the settings: OX connection, state store, files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..config import ConfigError, Settings
from ..desired import mapping
from ..desired.templates import fa_login_template, imap_login_template
from ..desired.user import MailDefaults
from ..model.credentials import Credentials
from ..ox import OXConnection
from ..ox.api import OXApi
from ..reconcile import Deps, Options, Reconciler
from ..state.access_profiles import AccessProfilesFile
from ..state.credentials import CredentialsFile
from ..state.store import StateStore

STATE_DB = "ox-connector.sqlite"
PROFILES_FILE = "ModuleAccessDefinitions.properties"
LOCK_FILE = "ox-connector.lock"


@dataclass
class Connector:
    settings: Settings
    deps: Deps
    reconciler: Reconciler

    @property
    def lock_path(self) -> Path:
        return self.settings.state_dir / LOCK_FILE


def options_from(settings: Settings) -> Options:
    """Raises ConfigError naming the mapping file entry that cannot be used."""
    try:
        fields = mapping.effective(mapping.MappingFile(settings.attribute_mapping_file).load())
    except mapping.MappingError as exc:
        raise ConfigError([str(exc)]) from None
    return Options(
        defaults=MailDefaults(
            imap_server=settings.imap_server,
            smtp_server=settings.smtp_server,
            language=settings.language,
            timezone=settings.timezone,
            default_context=settings.default_context,
        ),
        domain_name=settings.domain_name,
        user_identifier=settings.user_identifier,
        group_identifier=settings.group_identifier,
        user_fields=fields,
        imap_login=imap_login_template(settings.imap_login),
        fa_login=fa_login_template(settings.fa_login),
    )


@contextmanager
def open_connector(settings: Settings) -> Iterator[Connector]:
    options = options_from(settings)  # before anything is opened: bad mapping = no run
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    credentials = CredentialsFile(settings.credentials_file)
    master = None
    if settings.master_password:
        master = Credentials(settings.master_admin, settings.master_password)
    else:
        master = credentials.master()
    ox = OXConnection(
        settings.soap_server,
        master,
        wsdl_cache_dir=settings.state_dir,
        read_timeout=settings.soap_timeout,
        verify=settings.tls_verify,
        ca_bundle=settings.ca_bundle,
        trust_env=settings.trust_env_proxies,
        context_credentials=credentials.context,
        codec=settings.soap_codec,
    )
    store = StateStore(settings.state_dir / STATE_DB)
    try:
        deps = Deps(
            OXApi(ox),
            store,
            credentials,
            AccessProfilesFile(settings.state_dir / PROFILES_FILE),
            options,
        )
        yield Connector(settings, deps, Reconciler(deps))
    finally:
        store.close()
        ox.close()
