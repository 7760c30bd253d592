"""``ModuleAccessDefinitions.properties`` in the data dir: the access profiles in the
upstream connector's format, so that OX administrators can read it and an existing
installation can be taken over.

Format: comment lines (``#``), then one ``name=right1,right2,...`` line per profile with
the lower-case right names, sorted. Unlike upstream, a profile without rights (``none=``)
and names with non-word characters are read back. Written atomically, mode 0600 (as every
file in the state dir).
"""

from __future__ import annotations

from pathlib import Path

from ..files import write_atomically
from ..model.errors import ConnectorError
from ..model.rights import RIGHTS

HEADER = (
    "# Access profiles of the OX Connector (UDM oxmail/accessprofile).\n"
    "# Written by the connector: changes made here are overwritten.\n"
)


class AccessProfilesError(ConnectorError):
    """The file is malformed; the message names the file and the line."""


class AccessProfilesFile:
    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict[str, frozenset[str]]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise AccessProfilesError(f"access profiles file {self.path}: {exc}") from exc
        profiles: dict[str, frozenset[str]] = {}
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, rights_text = line.partition("=")
            where = f"access profiles file {self.path}, line {number}"
            if not sep or not name.strip():
                raise AccessProfilesError(f"{where}: expected name=right,right,...")
            rights = frozenset(r.strip().lower() for r in rights_text.split(",") if r.strip())
            unknown = rights - RIGHTS.keys()
            if unknown:
                raise AccessProfilesError(f"{where}: unknown rights {', '.join(sorted(unknown))}")
            profiles[name.strip()] = rights
        return profiles

    def set(self, name: str, rights: frozenset[str]) -> bool:
        """Store a profile; True if the file changed (then its users need updating)."""
        profiles = self.load()
        if profiles.get(name) == rights:
            return False
        profiles[name] = rights
        self._write(profiles)
        return True

    def remove(self, name: str) -> bool:
        profiles = self.load()
        if profiles.pop(name, None) is None:
            return False
        self._write(profiles)
        return True

    def _write(self, profiles: dict[str, frozenset[str]]) -> None:
        body = "".join(
            f"{name}={','.join(sorted(rights))}\n" for name, rights in sorted(profiles.items())
        )
        write_atomically(self.path, HEADER + body, 0o600)
