"""The trigger: run the queue until it is empty (``ox-connector run``)."""

from .runner import RunFailed, RunResult, run_queue
from .wiring import Connector, open_connector

__all__ = ["Connector", "RunFailed", "RunResult", "open_connector", "run_queue"]
