"""The small model every layer shares: object kinds, the change value, credentials, errors,
the access rights."""

from .change import ObjectChange
from .credentials import Credentials
from .errors import ConnectorError
from .kinds import KNOWN_TYPES, Kind
from .rights import RIGHTS

__all__ = ["KNOWN_TYPES", "RIGHTS", "ConnectorError", "Credentials", "Kind", "ObjectChange"]
