"""Typed errors for everything that can go wrong talking to OX.

Every failure of a SOAP call (or of loading a WSDL) becomes one ``OXError`` subclass:

- ``NotFound``             the object (user, group, resource, context) does not exist
- ``AlreadyExists``        a create/rename collides with something OX already has
- ``InvalidData``          OX (or zeep, client-side) rejected the data
- ``AuthenticationFailed`` wrong credentials, wrong role, or a context that does not exist
                           for a context-scoped call (OX checks auth first)
- ``Transient``            try again later: network errors, timeouts, HTTP errors without a
                           SOAP fault, OX's "database is being updated"
- ``OXError``              anything else (StorageException, RemoteException, ...)

OX's faults are told apart by their text (OX's own clients do the same); the fault
type from the detail element is a fallback. The ``; exceptionId <n>-<m>`` suffix OX appends
is removed from ``message``. No request content ever goes into an error, so a password
sent in a request cannot leak through one.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from ..model.errors import ConnectorError

EXCEPTION_ID = re.compile(r";\s*exceptionId -?\d+-\d+")
NO_SUCH_OBJECT = "com.openexchange.admin.rmi.exceptions.NoSuchObjectException"
DATABASE_UPDATE = "Database is locked or is now being updated"

_NOT_FOUND = re.compile(
    r"^(No such |" + re.escape(NO_SUCH_OBJECT) + r"|Context \S+ does not exist"
    r"|The context \S+ does not exist)"
    r"|^Resource with this id does not exist"  # resource change: "... does not exists"
    r"|^resource with with this id does not exist",  # resource delete (sic)
)
_ALREADY_EXISTS = re.compile(r"already exists", re.IGNORECASE)
_NOT_FOUND_TYPES = {
    "NoSuchContextException",
    "NoSuchUserException",
    "NoSuchGroupException",
    "NoSuchResourceException",
    "NoSuchObjectException",
}
_EXISTS_TYPES = {"ContextExistsException", "UserExistsException"}


class OXError(ConnectorError):
    """A failed OX call. ``message`` is OX's text without the exceptionId suffix,
    ``operation`` e.g. ``"OXUserService.getData"``, ``fault_type`` the detail element's
    name (e.g. ``"NoSuchUserException"``) when OX sent one, ``http_status`` when known."""

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        fault_type: str | None = None,
        http_status: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.fault_type = fault_type
        self.http_status = http_status

    def __str__(self) -> str:
        where = f"{self.operation}: " if self.operation else ""
        kind = f" [{self.fault_type}]" if self.fault_type else ""
        return f"{where}{self.message}{kind}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, operation={self.operation!r}, "
            f"fault_type={self.fault_type!r})"
        )


class NotFound(OXError):
    """The object does not exist in OX."""


class AlreadyExists(OXError):
    """OX already has an object with this name, mail address, id or mapping."""


class InvalidData(OXError):
    """OX (or zeep's client-side validation) refused the data sent."""


class AuthenticationFailed(OXError):
    """OX's "Authentication failed": wrong login/password, not the context admin, or (for
    context-scoped services) a context that does not exist."""

    transient = True  # it concerns every change of the context (or all of OX), not this one


class Transient(OXError):
    """Temporary: the same call may succeed later (retry with back-off)."""

    transient = True


def strip_exception_id(text: str) -> str:
    """OX's message without the ``; exceptionId n-m`` suffix(es) (nested causes repeat it)."""
    return EXCEPTION_ID.sub("", text).strip()


def fault_type(detail: Any) -> str | None:
    """The local name of the first element in a SOAP fault's ``detail`` (OX: the exception
    type, e.g. ``InvalidDataException``), or None."""
    if detail is None or isinstance(detail, (str, bytes)):
        return None
    for child in detail:
        tag = child.tag
        if isinstance(tag, str):  # skip comments / processing instructions
            return tag.rsplit("}", 1)[-1]
    return None


def classify_fault(message: str, kind: str | None) -> type[OXError]:
    """The error class for an OX fault (message already stripped of its exceptionId)."""
    if kind == "DatabaseUpdateException" or DATABASE_UPDATE in message:
        return Transient
    if message.startswith("Authentication failed"):
        return AuthenticationFailed
    if _NOT_FOUND.search(message):
        return NotFound
    if _ALREADY_EXISTS.search(message) or kind in _EXISTS_TYPES:
        return AlreadyExists
    if kind in _NOT_FOUND_TYPES:
        return NotFound
    if kind in ("InvalidDataException", "InvalidCredentialsException"):
        # InvalidCredentialsException without "Authentication failed" is e.g. "Client sent
        # invalid context data object": a malformed request, not a wrong password.
        return InvalidData
    return OXError


def from_exception(exc: BaseException, operation: str | None) -> OXError:
    """Map an exception raised by zeep/requests during ``operation`` to an OXError.
    (zeep and requests are looked at only when loaded: a lean run may never load zeep.)"""
    if isinstance(exc, OXError):
        return exc
    mapped = _from_zeep(exc, operation) if "zeep" in sys.modules else None
    if mapped is None and "requests" in sys.modules:
        mapped = _from_requests(exc, operation)
    return mapped or OXError(f"{type(exc).__name__}: {exc}", operation=operation)


def _from_zeep(exc: BaseException, operation: str | None) -> OXError | None:
    import zeep.exceptions

    if isinstance(exc, zeep.exceptions.Fault):
        if exc.message == "Unknown fault occured" and not hasattr(exc.detail, "tag"):
            # zeep's name for an HTTP error whose body is XML but no SOAP fault
            return Transient("HTTP error without a SOAP fault", operation=operation)
        message = strip_exception_id(exc.message or "")
        kind = fault_type(exc.detail)
        return classify_fault(message, kind)(
            message, operation=operation, fault_type=kind, http_status=500
        )
    if isinstance(exc, zeep.exceptions.TransportError):
        # HTTP error (or garbage) without a SOAP fault: a proxy, a restarting server ...
        # zeep's own message includes the whole response body; keep it short.
        return Transient(
            f"HTTP {exc.status_code} without a SOAP fault",
            operation=operation,
            http_status=exc.status_code,
        )
    if isinstance(exc, zeep.exceptions.ValidationError):
        return InvalidData(f"rejected before sending: {exc}", operation=operation)
    if isinstance(exc, (zeep.exceptions.Error, zeep.exceptions.XMLSyntaxError)):
        # unparseable WSDL or a response that does not match it (e.g. a stale cached WSDL)
        return OXError(f"SOAP protocol error: {exc}", operation=operation)
    return None


def _from_requests(exc: BaseException, operation: str | None) -> OXError | None:
    import requests

    if isinstance(exc, requests.HTTPError):  # WSDL download (raise_for_status)
        status = exc.response.status_code if exc.response is not None else None
        return Transient(
            f"HTTP {status} loading {_url_of(exc)}", operation=operation, http_status=status
        )
    if isinstance(exc, requests.Timeout):
        return Transient(f"timeout talking to OX: {_describe(exc)}", operation=operation)
    if isinstance(exc, requests.ConnectionError):
        return Transient(f"cannot connect to OX: {_describe(exc)}", operation=operation)
    if isinstance(exc, requests.RequestException):
        return Transient(f"HTTP request failed: {_describe(exc)}", operation=operation)
    return None


_USERINFO = re.compile(r"//[^/@\s]*@")


def _url_of(exc: Any) -> str:
    """The request URL, without any ``user:password@`` part."""
    request = getattr(exc, "request", None)
    return _USERINFO.sub("//", getattr(request, "url", None) or "?")


def _describe(exc: Any) -> str:
    """Exception class and URL (requests' texts are long urllib3 reprs)."""
    reason = exc.args[0] if exc.args else exc
    inner = getattr(reason, "reason", None)  # urllib3 MaxRetryError -> the real cause
    text = type(inner).__name__ if inner is not None else type(exc).__name__
    if inner is not None and getattr(inner, "args", None):
        detail = str(inner.args[-1]) if not isinstance(inner.args[-1], str) else inner.args[-1]
        text = f"{text} ({detail.split(': ', 1)[-1]})"
    return f"{text} for {_url_of(exc)}"
