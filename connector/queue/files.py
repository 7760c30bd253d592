"""Listing and reading the converter's queue files (structure only; values are the mapper's job)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from ..model.kinds import KNOWN_TYPES
from ..model.udm import MAX_FILE_BYTES
from .change import Change
from .errors import BadQueueFile, QueueError, QueueFileVanished

SUFFIX = ".json"
_BOM = b"\xef\xbb\xbf"
_REQUIRED = ("id", "udm_object_type", "dn", "object", "options")


def pending_files(queue_dir: Path) -> list[Path]:
    """Queue files in timestamp order: regular, non-hidden ``*.json`` entries only.

    Hidden names (editors, a writer's ``.tmp`` file), other suffixes (``x.json.tmp``),
    directories (e.g. a dead-letter folder) and symlinks are not queue files: the
    converter writes plain files, and the runner deletes what it lists.
    """
    queue_dir = Path(queue_dir)
    try:
        with os.scandir(queue_dir) as entries:
            names = [
                entry.name
                for entry in entries
                if _is_queue_name(entry.name) and entry.is_file(follow_symlinks=False)
            ]
    except FileNotFoundError:
        raise QueueError(f"queue directory {queue_dir} does not exist") from None
    except OSError as exc:
        raise QueueError(f"queue directory {queue_dir}: cannot list: {exc.strerror}") from None
    # Stems are timestamps of one fixed width, so name order is time order.
    return [queue_dir / name for name in sorted(names)]


def _is_queue_name(name: str) -> bool:
    return name.endswith(SUFFIX) and not name.startswith(".") and len(name) > len(SUFFIX)


def read_change(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Change:
    """Read and check one queue file.

    A file larger than ``max_bytes`` is refused by its size before anything is read (a
    huge file would take the memory of the JSON, the mapping and the SOAP request).
    Raises QueueFileVanished if it is gone (skip it), BadQueueFile for anything else.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise BadQueueFile(path, None, "not a regular file")
            if info.st_size > max_bytes:
                raise _too_large(path, info.st_size, max_bytes)
            data = fh.read(max_bytes + 1)  # it may have grown since
            if len(data) > max_bytes:
                raise _too_large(path, os.fstat(fh.fileno()).st_size, max_bytes)
    except FileNotFoundError:
        raise QueueFileVanished(path) from None
    except IsADirectoryError:
        raise BadQueueFile(path, None, "not a regular file") from None
    except OSError as exc:
        raise BadQueueFile(path, None, f"cannot read: {exc.strerror}") from None
    return parse_change(data, path)


def _too_large(path: Path, size: int, max_bytes: int) -> BadQueueFile:
    return BadQueueFile(
        path,
        None,
        f"{size} bytes, more than OX_CONNECTOR_MAX_FILE_BYTES ({max_bytes} bytes); not read",
    )


def parse_change(data: bytes, path: Path) -> Change:
    """Turn a queue file's bytes into a Change; ``path`` names the file in errors."""
    path = Path(path)
    doc = _load_json(data, path)
    if not isinstance(doc, dict):
        raise BadQueueFile(path, None, f"top level is {_describe(doc)}, expected an object")
    for key in _REQUIRED:
        if key not in doc:
            raise BadQueueFile(path, key, "missing")

    id_ = _non_empty_string(doc, "id", path)
    udm_type = doc["udm_object_type"]
    if not isinstance(udm_type, str):
        raise BadQueueFile(path, "udm_object_type", f"expected a string, got {_describe(udm_type)}")
    if udm_type not in KNOWN_TYPES:
        raise BadQueueFile(path, "udm_object_type", f'unknown object type "{udm_type}"')
    dn = _non_empty_string(doc, "dn", path)
    obj = doc["object"]
    if obj is not None and not isinstance(obj, dict):
        raise BadQueueFile(path, "object", f"expected an object or null, got {_describe(obj)}")
    return Change(
        id=id_,
        udm_object_type=udm_type,
        dn=dn,
        object=obj,
        options=_options(doc["options"], obj is None, path),
        path=path,
        timestamp=path.name.removesuffix(SUFFIX),
    )


def _load_json(data: bytes, path: Path) -> Any:
    if data.startswith(_BOM):  # harmless if a hand-made file carries one
        data = data[len(_BOM) :]
    if not data.strip():
        raise BadQueueFile(path, None, "empty file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _encoding_error(data, exc, path) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadQueueFile(
            path, None, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise BadQueueFile(path, None, "not valid JSON: nested too deeply") from None


def _encoding_error(data: bytes, exc: UnicodeDecodeError, path: Path) -> BadQueueFile:
    """Name the field whose string holds the bad bytes (typically a Latin-1 name)."""
    reason = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    try:
        doc = json.loads(data.decode("utf-8", "surrogateescape"))
    except (ValueError, RecursionError):
        return BadQueueFile(path, None, reason)
    return BadQueueFile(path, _first_undecodable(doc, ""), reason)


def _first_undecodable(value: Any, where: str) -> str | None:
    """JSON path of the first key or string that surrogateescape decoding had to escape."""
    if isinstance(value, str):
        return (where or None) if _has_escaped_bytes(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{where}.{key}" if where else key
            if _has_escaped_bytes(key):
                return here
            found = _first_undecodable(item, here)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_undecodable(item, f"{where}[{index}]")
            if found:
                return found
    return None


def _has_escaped_bytes(text: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in text)


def _non_empty_string(doc: dict[str, Any], key: str, path: Path) -> str:
    value = doc[key]
    if not isinstance(value, str):
        raise BadQueueFile(path, key, f"expected a non-empty string, got {_describe(value)}")
    if not value.strip():
        raise BadQueueFile(path, key, "must not be empty")
    return value


def _options(value: Any, is_delete: bool, path: Path) -> tuple[str, ...]:
    # Options are passed through unused; a delete has no object to take them from, so a
    # null there is tolerated rather than jamming the queue on every deletion.
    if value is None and is_delete:
        return ()
    if not isinstance(value, list):
        raise BadQueueFile(path, "options", f"expected a list of strings, got {_describe(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise BadQueueFile(
                path, f"options[{index}]", f"expected a string, got {_describe(item)}"
            )
    return tuple(value)


def _describe(value: Any) -> str:
    """A JSON value as an admin reads it: its JSON type, plus a short excerpt for scalars."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        excerpt = value if len(value) <= 40 else value[:37] + "..."
        return f"string {json.dumps(excerpt, ensure_ascii=False)}"
    if isinstance(value, list):
        return "an array"
    return "an object"
