"""Dead letters: ``ox-connector errors list|show|retry|remove``."""

from __future__ import annotations

from pathlib import Path

from ..files import write_atomically
from ..model.errors import ConnectorError
from ..state.operations import DeadLetter, Operations
from ..state.store import StateStore


class DeadLetterError(ConnectorError):
    pass


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
