"""The reconciliation layer: make OX match the desired state of one changed object.

Per kind: compute what OX should hold (``connector.desired``), read what OX has, apply
only the differences, and return the new state for the state store. Every function here
is idempotent: applying the same change twice makes no write the second time.
"""

from .deps import Deps, Options
from .errors import NameHeldByOther, ReconcileError
from .reconciler import Reconciler

__all__ = ["Deps", "NameHeldByOther", "Options", "ReconcileError", "Reconciler"]
