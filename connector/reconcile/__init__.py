"""The reconciliation layer: make OX match the desired state of one changed object.

One handler per kind (``registry``) computes what OX should hold (``connector.desired``),
reads what OX has, applies only the differences, and returns the new state for the
state store. Applying the same change twice makes no write the second time.
"""

from .deps import Deps, Options
from .errors import MailHeldByOther, NameHeldByOther, ReconcileError
from .handler import Finding, KindHandler
from .reconciler import Reconciler
from .registry import HANDLERS, handler_for

__all__ = [
    "HANDLERS",
    "Deps",
    "Finding",
    "KindHandler",
    "MailHeldByOther",
    "NameHeldByOther",
    "Options",
    "ReconcileError",
    "Reconciler",
    "handler_for",
]
