"""Errors of the mapping layer: a UDM value that cannot become an OX value."""

from __future__ import annotations

from ..model.errors import ConnectorError


class InvalidAttribute(ConnectorError):
    """A UDM property holds a value OX cannot take; the runner adds the queue file name."""

    def __init__(self, udm_property: str, value: object, reason: str):
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f'field "{udm_property}": {reason} (value {shown})')
        self.udm_property = udm_property
        self.reason = reason
