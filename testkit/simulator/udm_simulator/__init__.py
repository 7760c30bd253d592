"""The directory simulator: UCS's UDM for the OX Connector's modules, writing the App
Center converter's queue files, and the converter's way of running the connector.

    from udm_simulator import Directory, in_process_trigger

    directory = Directory(queue_dir, base="dc=example,dc=org", default_context=10)
    ctx = directory.create("oxmail/oxcontext", {"name": "context10", "contextid": 10})
    anna = directory.create("users/user", {"username": "anna", "firstname": "Anna",
                                           "lastname": "Alt", "isOxUser": "OK",
                                           "mailPrimaryAddress": "anna@example.org"})
    directory.modify(anna.dn, {"username": "anna2"})   # rename: new DN, same id
    directory.sync(in_process_trigger(settings))        # run the connector until empty
"""

from .converter import (
    SyncError,
    TriggerFailed,
    command_trigger,
    in_process_trigger,
    run_like_converter,
)
from .directory import Directory, UDMObject
from .errors import (
    InvalidValue,
    NoSuchObject,
    ObjectExists,
    ObjectInUse,
    UDMError,
    ValueMayNotChange,
    ValueRequired,
)
from .modules import (
    ACCESS_PROFILES,
    CONTEXTS,
    DEFAULT_ACCESS_PROFILES,
    FUNCTIONAL_ACCOUNTS,
    GROUPS,
    MODULES,
    RESOURCES,
    RIGHTS,
    USERS,
)
from .queuefiles import file_name, name_time, queued
from .values import normalise

__all__ = [
    "ACCESS_PROFILES",
    "CONTEXTS",
    "DEFAULT_ACCESS_PROFILES",
    "FUNCTIONAL_ACCOUNTS",
    "GROUPS",
    "MODULES",
    "RESOURCES",
    "RIGHTS",
    "USERS",
    "Directory",
    "InvalidValue",
    "NoSuchObject",
    "ObjectExists",
    "ObjectInUse",
    "SyncError",
    "TriggerFailed",
    "UDMError",
    "UDMObject",
    "ValueMayNotChange",
    "ValueRequired",
    "command_trigger",
    "file_name",
    "in_process_trigger",
    "name_time",
    "normalise",
    "queued",
    "run_like_converter",
]
