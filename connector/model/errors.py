"""The root of every error the connector expects and reports."""

from __future__ import annotations

from typing import ClassVar


class ConnectorError(Exception):
    """An expected failure, with a message fit for the log (no secrets in it).

    ``transient``: true when the failure concerns every object, not the change at hand
    (OX unreachable, timeouts, OX updating its database, wrong master credentials): the
    run stops in both error modes and the same file is tried again later. Otherwise the
    change itself cannot be applied (bad value, OX refuses it) and the error mode decides.
    """

    transient: ClassVar[bool] = False
