"""Build the connector's parts from the settings: OX connection, state store, files."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..config import ConfigError, Settings
from ..desired import mapping
from ..desired.templates import fa_login_template, imap_login_template
from ..desired.user import MailDefaults
from ..files import tighten
from ..model.credentials import Credentials
from ..ox import OXConnection
from ..ox.api import OXApi
from ..reconcile import Deps, Options, Reconciler
from ..state.access_profiles import AccessProfilesFile
from ..state.credentials import CredentialsFile
from ..state.operations import Operations
from ..state.store import StateStore
from .runner import RunResult, run_queue

STATE_DB = "ox-connector.sqlite"
PROFILES_FILE = "ModuleAccessDefinitions.properties"
LOCK_FILE = "ox-connector.lock"


# Settings that do not change what a run does with a file.
_NOT_IN_FINGERPRINT = frozenset({"log_level", "queue_dir", "state_dir", "workers", "verify_after"})


def settings_material(settings: Settings) -> bytes:
    """What a fix of the settings changes: every setting that decides how OX is reached
    and what is written (not the log level, the paths, the workers, the verify window),
    and the contents of the credentials file (master and context admins) and mapping file.
    Holds the master password: only ever hashed (``Operations.settings_fingerprint``)."""
    values = {
        f.name: repr(getattr(settings, f.name))
        for f in dataclasses.fields(settings)
        if f.name not in _NOT_IN_FINGERPRINT
    }
    for name, path in (
        ("credentials_file_content", settings.credentials_file),
        ("mapping_file_content", settings.attribute_mapping_file),
    ):
        try:
            values[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            values[name] = "none"
    return json.dumps(values, sort_keys=True).encode()


@dataclass
class Connector:
    settings: Settings
    deps: Deps
    reconciler: Reconciler

    @property
    def lock_path(self) -> Path:
        return self.settings.state_dir / LOCK_FILE

    def settings_hash(self) -> str:
        """The salted hash of the settings this run works with (stored with a failure)."""
        return Operations(self.deps.store).settings_fingerprint(settings_material(self.settings))

    def run_queue(self, *, retry_now: bool = False) -> RunResult:
        """Apply the queue with the settings' error mode, back-off and workers; the caller
        holds the run lock. ``retry_now``: no back-off for a failed file (``run --now``)."""
        s = self.settings
        return run_queue(
            self.reconciler,
            s.queue_dir,
            stop_on_error=s.stop_on_error,
            backoff=(s.retry_first, s.retry_max),
            max_file_bytes=s.max_file_bytes,
            workers=s.workers,
            settings_hash=self.settings_hash(),
            retry_now=retry_now,
        )


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
            gui_spam_filter=settings.gui_spam_filter,
        ),
        domain_name=settings.domain_name,
        user_identifier=settings.user_identifier,
        group_identifier=settings.group_identifier,
        user_fields=fields,
        imap_login=imap_login_template(settings.imap_login),
        fa_login=fa_login_template(settings.fa_login),
        verify_after=settings.verify_after,
    )


def master_admin(
    settings: Settings, credentials: CredentialsFile | None = None, required: bool = True
) -> Credentials | None:
    """The OX master admin: OX_MASTER_PASSWORD, else the credentials file's "master".
    ``required``: none is a ConfigError naming OX_MASTER_PASSWORD (a CredentialsError for
    a credentials file that cannot be read)."""
    if settings.master_password:
        return Credentials(settings.master_admin, settings.master_password)
    credentials = credentials or CredentialsFile(
        settings.credentials_file, settings.default_context
    )
    master = credentials.master()
    if master is None and required:
        raise ConfigError(
            [
                f"OX_MASTER_PASSWORD: not set, and the credentials file {credentials.path} has "
                'no "master" entry: the OX master admin creates, changes and deletes contexts, '
                "moves users between contexts and tells a deleted context from a wrong password"
            ]
        )
    return master


@contextmanager
def open_connector(settings: Settings, require_master: bool = True) -> Iterator[Connector]:
    """The connector's parts for one command. Raises ConfigError before anything is
    created for a mapping file that cannot be used and, with ``require_master`` (every run:
    contexts, user moves and deletions need the master admin), for a master admin with no
    password anywhere."""
    options = options_from(settings)  # before anything is opened: bad mapping = no run
    credentials = CredentialsFile(settings.credentials_file, settings.default_context)
    master = master_admin(settings, credentials, required=require_master)
    # 0700, every file in it 0600: it holds the directory's objects (StateStore and the
    # other files make their own files private)
    settings.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in (settings.state_dir / PROFILES_FILE, settings.attribute_mapping_file):
        if path.parent == settings.state_dir:
            tighten(path)  # written 0644 by older versions
    tighten(settings.credentials_file)  # 0600 when written; an admin may have copied it
    ox = OXConnection(
        settings.soap_server,
        master,
        wsdl_cache_dir=settings.state_dir,
        read_timeout=settings.soap_timeout,
        verify=settings.tls_verify,
        ca_bundle=settings.ca_bundle,
        trust_env=settings.trust_env_proxies,
        context_credentials=credentials.context,
        connections=max(10, settings.workers),
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
