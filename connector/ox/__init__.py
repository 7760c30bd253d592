"""The connector's SOAP layer for OX's admin API (see ``connection`` and ``errors``)."""

from ..model.credentials import Credentials
from .connection import (
    CODECS,
    CONTEXT_SCOPED,
    SERVICES,
    MissingCredentials,
    OXConnection,
    WSDLCache,
)
from .errors import (
    AlreadyExists,
    AuthenticationFailed,
    InvalidData,
    NotFound,
    OXError,
    Transient,
    strip_exception_id,
)
from .values import as_dict, plain

__all__ = [
    "CODECS",
    "CONTEXT_SCOPED",
    "SERVICES",
    "AlreadyExists",
    "AuthenticationFailed",
    "Credentials",
    "InvalidData",
    "MissingCredentials",
    "NotFound",
    "OXConnection",
    "OXError",
    "Transient",
    "WSDLCache",
    "as_dict",
    "plain",
    "strip_exception_id",
]
