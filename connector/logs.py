"""Structured logging: one JSON object per line, with the record's extra fields.

Times are ISO 8601 with the local UTC offset and milliseconds
(``2026-11-27T10:00:00.123+01:00``). The program's own loggers (``own``) log at the
chosen level; every other logger (zeep, urllib3 ...) only from WARNING up, so that DEBUG
shows what the connector does, not the libraries' internals. ``TRACE`` lets those
through at DEBUG too. zeep's wire log, which carries passwords, stays off even then
(``connector.ox.connection``).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import TextIO

TRACE = "TRACE"  # DEBUG, and the libraries' DEBUG records too
OWN_LOGGERS = ("ox_connector",)
# uvicorn adds "color_message" (the message with terminal colour codes): not for a log file
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


def timestamp(created: float) -> str:
    """ISO 8601 with the local UTC offset, to the millisecond."""
    return datetime.fromtimestamp(created).astimezone().isoformat(timespec="milliseconds")


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def setup(
    level: str = "info", stream: TextIO | None = None, own: tuple[str, ...] = OWN_LOGGERS
) -> None:
    """Log JSON lines to ``stream``: the ``own`` loggers at ``level``, the others at
    WARNING or above (at ``level`` when that is higher); ``TRACE``: everything at DEBUG."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    name = level.upper()
    if name == TRACE:
        root.setLevel(logging.DEBUG)
        for logger in own:
            logging.getLogger(logger).setLevel(logging.NOTSET)  # the root's: DEBUG
        return
    chosen = logging.getLevelName(name)
    if not isinstance(chosen, int):
        raise ValueError(f"unknown log level {level!r}")
    root.setLevel(max(chosen, logging.WARNING))
    for logger in own:
        logging.getLogger(logger).setLevel(chosen)
