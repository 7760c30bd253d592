"""The queue layer: read, validate and order the converter's files, and the run lock."""

from ..model.kinds import KNOWN_TYPES, Kind
from ..model.udm import MAX_FILE_BYTES
from .change import Change
from .errors import AlreadyRunning, BadQueueFile, LockError, QueueError, QueueFileVanished
from .files import parse_change, pending_files, read_change
from .lock import run_lock
from .plan import Plan, Step, make_plan, rank

__all__ = [
    "KNOWN_TYPES",
    "MAX_FILE_BYTES",
    "AlreadyRunning",
    "BadQueueFile",
    "Change",
    "Kind",
    "LockError",
    "Plan",
    "QueueError",
    "QueueFileVanished",
    "Step",
    "make_plan",
    "parse_change",
    "pending_files",
    "rank",
    "read_change",
    "run_lock",
]
