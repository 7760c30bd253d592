"""``ox-connector resync``: queue the last known UDM object(s) again, so the next run
re-applies them (desired state: whatever OX lost or got wrong is put right). With
``--from-udm`` the objects are read afresh from the UDM REST API first."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from ..files import write_atomically
from ..model.errors import ConnectorError
from ..state.store import ObjectState, StateStore


class ResyncError(ConnectorError):
    pass


def queue_names(count: int, now: dt.datetime | None = None) -> list[str]:
    """Converter-style timestamp names, one microsecond apart, so they sort after the
    files already queued and keep their own order."""
    start = now or dt.datetime.now(dt.UTC)
    return [
        (start + dt.timedelta(microseconds=i)).strftime("%Y-%m-%d-%H-%M-%S-%f") + ".json"
        for i in range(count)
    ]


def select(
    store: StateStore, ids: Iterable[str] = (), dns: Iterable[str] = (), everything: bool = False
) -> list[ObjectState]:
    if everything:
        return list(store.all())
    found = []
    for object_id in ids:
        state = store.get(object_id)
        if state is None:
            raise ResyncError(f"no object with id {object_id} in the state store")
        found.append(state)
    for dn in dns:
        state = store.find_by_dn(dn)
        if state is None:
            raise ResyncError(f"no object with DN {dn} in the state store")
        found.append(state)
    return list({s.id: s for s in found}.values())


def unverify(store: StateStore, states: list[ObjectState]) -> None:
    """Make the next apply of these objects read all of OX (module access too) whatever
    the verify window says: a resync is asked for because OX may have lost or changed them."""
    with store.transaction():
        store.forget_verification([state.id for state in states])


def enqueue(
    queue_dir: Path,
    states: list[ObjectState],
    fetch: Callable[[ObjectState], dict[str, Any] | None] | None = None,
) -> list[Path]:
    """Write one converter file per object; ``fetch`` gives the current UDM object
    (None: deleted in UDM, queued as a deletion)."""
    paths = []
    for state, name in zip(states, queue_names(len(states)), strict=True):
        obj = fetch(state) if fetch else state.object
        doc: dict[str, Any] = {
            "id": state.id,
            "udm_object_type": state.udm_object_type,
            "dn": state.dn,
            "object": obj,
            "options": [],
        }
        path = Path(queue_dir) / name
        write_atomically(path, json.dumps(doc, ensure_ascii=False), 0o600)
        paths.append(path)
    return paths


@dataclass(frozen=True)
class UDMRest:
    """The UDM REST API of the UCS host (``https://<host>/univention/udm``)."""

    base_url: str
    user: str
    password: str
    ca_file: Path | None = None
    timeout: float = 10.0

    def fetch(self, state: ObjectState) -> dict[str, Any] | None:
        url = f"{self.base_url.rstrip('/')}/{state.udm_object_type}/{quote(state.dn, safe='')}"
        try:
            response = requests.get(
                url,
                auth=(self.user, self.password),
                headers={"Accept": "application/json"},
                verify=str(self.ca_file) if self.ca_file else True,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise ResyncError(f"UDM REST API {self.base_url}: {type(exc).__name__}") from None
        if response.status_code == 404:
            return None  # gone from UDM: queue its deletion
        if response.status_code != 200:
            raise ResyncError(f"UDM REST API {url}: HTTP {response.status_code}")
        try:
            return dict(response.json()["properties"])
        except (ValueError, KeyError, TypeError):
            raise ResyncError(f"UDM REST API {url}: not a UDM object") from None
