"""Dead letters: ``ox-connector errors list|show|retry|remove`` and ``queue skip``."""

from __future__ import annotations

from pathlib import Path

from ..files import write_atomically
from ..model.errors import ConnectorError
from ..queue import BadQueueFile, QueueFileVanished, pending_files, read_change
from ..state.operations import DeadLetter, Operations
from ..state.store import StateStore

SKIPPED = "skipped by the administrator"


class DeadLetterError(ConnectorError):
    pass


def skip(store: StateStore, queue_dir: Path, names: list[str]) -> list[DeadLetter]:
    """Move queue files into the dead letters (the way past a file that can never
    succeed, in stop mode): with the reason ``SKIPPED`` and, if the file is readable, its
    object's id, type and DN, so that ``errors show`` and ``errors retry`` work on it. A
    failure recorded for the file (its back-off) is forgotten. Committed first, then the
    files are removed, as the runner does. The caller holds the run lock.

    Every name must be a file ``queue list`` shows; otherwise nothing is moved."""
    queue_dir = Path(queue_dir)
    queued = {path.name: path for path in pending_files(queue_dir)}
    wanted = list(dict.fromkeys(names))
    unknown = [name for name in wanted if name not in queued]
    if unknown:
        raise DeadLetterError(
            f"not in the queue {queue_dir}: {', '.join(unknown)} (give the file names as "
            "`ox-connector queue list` shows them)"
        )
    ops = Operations(store)
    moved = []
    with store.transaction():
        for name in wanted:
            path = queued[name]
            try:
                content = path.read_bytes()
            except FileNotFoundError:
                continue
            try:
                change = read_change(path)
                known: tuple[str | None, str | None, str | None] = (
                    change.id,
                    change.udm_object_type,
                    change.dn,
                )
            except QueueFileVanished:
                continue
            except BadQueueFile:
                known = (None, None, None)  # an unreadable file: its bytes are kept
            moved.append((path, ops.add_dead_letter(name, content, SKIPPED, *known)))
            ops.clear_failure(name)
    for path, _ in moved:
        path.unlink(missing_ok=True)
    letters = [ops.dead_letter(seq) for _, seq in moved]
    return [letter for letter in letters if letter is not None]


def retry(store: StateStore, queue_dir: Path, seqs: list[int] | None) -> list[DeadLetter]:
    """Put dead letters back into the queue under their own file names (their timestamps
    keep their place in the order). Retrying one letter of an object puts back all of that
    object's letters, as the later ones wait behind it. ``None``: all of them."""
    ops = Operations(store)
    if seqs is None:
        chosen = ops.dead_letters()
    else:
        chosen = []
        for seq in seqs:
            letter = ops.dead_letter(seq)
            if letter is None:
                raise DeadLetterError(f"no dead letter {seq}")
            chosen += ops.dead_letters(letter.object_id) if letter.object_id else [letter]
    unique = {letter.seq: letter for letter in chosen}
    with store.transaction():
        for letter in unique.values():
            write_atomically(Path(queue_dir) / letter.file, letter.content, 0o600)
            ops.requeued(letter)
    return sorted(unique.values(), key=lambda letter: letter.seq)


def remove(store: StateStore, seqs: list[int]) -> list[DeadLetter]:
    ops = Operations(store)
    removed = []
    with store.transaction():
        for seq in seqs:
            letter = ops.dead_letter(seq)
            if letter is None:
                raise DeadLetterError(f"no dead letter {seq}")
            ops.remove_dead_letter(seq)
            removed.append(letter)
    return removed
