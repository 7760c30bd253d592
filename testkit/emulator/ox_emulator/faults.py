"""The faults the emulator raises, named after OX's exception types.

Handlers raise ``OXFault``; the server turns it into OX's wire format (HTTP 500,
soap:Server, ``<message>; exceptionId <n>-<m>``, a detail element named after the type).
"""

from __future__ import annotations

# OX wraps a failed by-name lookup inside change/delete/addMember in this prefix.
NO_SUCH_OBJECT_PREFIX = "com.openexchange.admin.rmi.exceptions.NoSuchObjectException: "
EXC_PACKAGE = "com.openexchange.admin.rmi.exceptions."


class OXFault(Exception):
    """A fault with OX's exception type (``kind``) and OX's exact message text."""

    def __init__(self, kind: str | None, message: str, transient: bool = False):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.transient = transient

    @classmethod
    def generic(cls, message: str) -> OXFault:
        """A fault raised by the SOAP stack itself (no typed detail), e.g. a bad request."""
        return cls(None, message)

    @classmethod
    def invalid_data(cls, message: str) -> OXFault:
        return cls("InvalidDataException", message)

    @classmethod
    def storage(cls, message: str) -> OXFault:
        return cls("StorageException", message)

    @classmethod
    def credentials(cls, message: str = "Authentication failed") -> OXFault:
        return cls("InvalidCredentialsException", message)

    @classmethod
    def no_such_context(cls, cid) -> OXFault:
        return cls("NoSuchContextException", f"Context {cid} does not exist")

    @classmethod
    def no_such_user(cls, ident, cid, by_name_in_write: bool = False) -> OXFault:
        message = f"No such user {ident} in context {cid}"
        if by_name_in_write:
            message = f"{NO_SUCH_OBJECT_PREFIX}{EXC_PACKAGE}NoSuchUserException: {message}"
        return cls("NoSuchUserException", message)

    @classmethod
    def remote(cls, message: str) -> OXFault:
        return cls("RemoteException", message)

    @classmethod
    def database_update(cls) -> OXFault:
        return cls(
            "DatabaseUpdateException",
            "Database is locked or is now being updated, please try again later",
            transient=True,
        )
