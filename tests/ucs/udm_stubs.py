"""Minimal stand-ins of the UCS Python modules the UDM handlers, hooks and syntax file
import (univention.admin.*, univention.debug, ldap.filter), so that tests can load those
files here and look at what they declare. Only the names the files use, with the
behaviour the tests need; nothing here claims to be UDM."""

from __future__ import annotations

import contextlib
import importlib.util
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

# syntax classes of UCS 5's univention.admin.syntax that the OX files name
UDM_SYNTAXES = (
    "string",
    "integer",
    "TrueFalseUp",
    "OkOrNot",
    "emailAddress",
    "ldapDn",
    "primaryEmailAddressValidDomain",
    "UserDN",
    "GroupDN",
    "string_numbers_letters_dots_spaces",
)


class Recorded:
    """univention.admin.property / option: keeps its keyword arguments."""

    def __init__(self, **kwargs: Any):
        self.kwargs = kwargs


class valueError(Exception):
    def __init__(self, message: str = "", property: str | None = None):
        super().__init__(message)
        self.property = property


def _module(name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


def stub_modules() -> dict[str, types.ModuleType]:
    class mapping:
        def __init__(self):
            self.registered: dict[str, tuple] = {}

        def register(self, prop, attr, map_value=None, unmap_value=None):
            self.registered[prop] = (attr, map_value, unmap_value)

    def ListToString(value, encoding=()):
        return value[0] if value else ""

    def ListToLowerString(value, encoding=()):
        return ListToString(value).lower()

    class simple:
        regex = None
        empty_value = False
        error_message = "invalid"

        @classmethod
        def parse(cls, text):
            return text

    class select(simple):
        choices: typing.ClassVar[list] = []

    class UDM_Objects(simple):
        udm_modules = ()
        key = "%(dn)s"
        label = "%(dn)s"

    syntax = _module(
        "univention.admin.syntax",
        simple=simple,
        select=select,
        UDM_Objects=UDM_Objects,
        **{name: type(name, (simple,), {}) for name in UDM_SYNTAXES},
    )

    class simpleLdap:
        def open(self):
            pass

        def save(self):
            pass

        def _ldap_modlist(self):
            return []

        def _ldap_pre_ready(self):
            pass

        _ldap_pre_create = _ldap_post_create = _ldap_pre_ready
        _ldap_post_modify = _ldap_pre_remove = _ldap_post_remove = _ldap_pre_ready

        @classmethod
        def lookup(cls, *args, **kwargs):
            return []

        @classmethod
        def lookup_filter(cls, *args, **kwargs):
            return None

        @classmethod
        def identify(cls, *args, **kwargs):
            return False

    class simpleHook:
        type = "simpleHook"

    class Tab:
        def __init__(self, label, description="", advanced=False, layout=()):
            self.label, self.description, self.layout = label, description, list(layout)

    class Group:
        def __init__(self, label, description=None, layout=()):
            self.label, self.layout = label, list(layout)

    class translation:
        def __init__(self, domain):
            self.domain = domain

        def translate(self, text):
            return text

    class IntegerType:
        pass

    def debug(*args):
        pass

    def filter_format(template, values):
        escaped = [
            re.sub(r"([\\*()\x00])", lambda m: f"\\{ord(m.group(1)):02x}", v) for v in values
        ]
        return template % tuple(escaped)

    admin = _module("univention.admin", property=Recorded, option=Recorded)
    exceptions = _module(
        "univention.admin.uexceptions",
        valueError=valueError,
        noLock=type("noLock", (Exception,), {}),
        mailAddressUsed=type("mailAddressUsed", (valueError,), {}),
    )
    modules = {
        "univention": _module("univention"),
        "univention.admin": admin,
        "univention.admin.syntax": syntax,
        "univention.admin.handlers": _module("univention.admin.handlers", simpleLdap=simpleLdap),
        "univention.admin.hook": _module("univention.admin.hook", simpleHook=simpleHook),
        "univention.admin.layout": _module("univention.admin.layout", Tab=Tab, Group=Group),
        "univention.admin.localization": _module(
            "univention.admin.localization", translation=translation
        ),
        "univention.admin.mapping": _module(
            "univention.admin.mapping",
            mapping=mapping,
            ListToString=ListToString,
            ListToLowerString=ListToLowerString,
        ),
        "univention.admin.types": _module("univention.admin.types", IntegerType=IntegerType),
        "univention.admin.uexceptions": exceptions,
        "univention.debug": _module("univention.debug", debug=debug, ADMIN=1, INFO=4, WARN=2),
        "ldap": _module("ldap"),
        "ldap.filter": _module("ldap.filter", filter_format=filter_format),
    }
    # packages expose their submodules as attributes, as after a real import
    for name, module in modules.items():
        if "." in name:
            parent, _, child = name.rpartition(".")
            setattr(modules[parent], child, module)
    return modules


SYNTAX_FILE = Path(__file__).resolve().parents[2] / "ucs" / "udm" / "syntax.d" / "50_ox.py"


@contextlib.contextmanager
def stubbed():
    """The stand-ins in sys.modules for the duration (whatever was there comes back); the
    app's syntax file is loaded into univention.admin.syntax, as UDM does at import."""
    stubs = stub_modules()
    saved = {name: sys.modules.get(name) for name in stubs}
    sys.modules.update(stubs)
    try:
        syntax = stubs["univention.admin.syntax"]
        for name, value in load_syntax_file(SYNTAX_FILE, syntax).items():
            if isinstance(value, type) and not hasattr(syntax, name):
                setattr(syntax, name, value)
        yield stubs
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def load(path: Path, name: str) -> types.ModuleType:
    """Import one UCS-side file as a module (call inside ``stubbed()``)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_syntax_file(path: Path, syntax: types.ModuleType) -> dict[str, Any]:
    """A syntax.d file, run in the namespace of univention.admin.syntax as UDM does."""
    namespace = dict(vars(syntax))
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace
