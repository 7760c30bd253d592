"""The small model every layer shares: object kinds, the change value, credentials, errors."""

from .change import ObjectChange
from .credentials import Credentials
from .errors import ConnectorError
from .kinds import KNOWN_TYPES, Kind

__all__ = ["KNOWN_TYPES", "ConnectorError", "Credentials", "Kind", "ObjectChange"]
