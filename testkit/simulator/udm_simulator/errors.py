"""UDM's refusals, as the directory simulator (and the reference suite's UCS backend) raise
them. The message says what UDM would say, naming the object and the property."""

from __future__ import annotations


class UDMError(Exception):
    """UDM refused the operation; nothing was changed and nothing was queued.

    ``module`` and ``dn`` name the object (when known), ``prop`` the property at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        module: str | None = None,
        dn: str | None = None,
        prop: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.module = module
        self.dn = dn
        self.prop = prop


class NoSuchObject(UDMError):
    """No object with this DN (or of this module at this DN)."""


class ObjectExists(UDMError):
    """The DN, or a value UDM keeps unique (username, group name, mail address, context
    id), is already taken."""


class ValueRequired(UDMError):
    """A required property is missing or empty."""


class ValueMayNotChange(UDMError):
    """The property cannot be changed after creation (``name`` of contexts, resources,
    profiles and functional accounts, ``contextid``, access rights, ...)."""


class InvalidValue(UDMError):
    """The value does not fit the property's syntax, or the property is unknown."""


class ObjectInUse(UDMError):
    """The object cannot be removed while others reference it (a context used by users
    or resources, a profile used by users, a user that administers a resource)."""
