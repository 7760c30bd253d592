"""UDM syntax classes of the OX Connector app (the extended attributes' choices).

Registered by the app's join script (ucs_registerLDAPExtension --udm_syntax, object name
50_ox, as the Univention app named it). UDM loads the file into the namespace of
univention.admin.syntax; the imports below make that explicit.

- oxContextSelect: an OX context by ID (the oxmail/oxcontext objects); UDM REST and the
  listener converter see the value as an integer (type hint IntegerType), LDAP holds it as
  text in oxContextIDNum;
- oxaccess: an access profile by name (the oxmail/accessprofile objects);
- oxResourceManager: an OX user by uidNumber (the manager of an oxresources/oxresources
  object); here and not in that module, so that UMC finds it for its choices;
- oxlanguage: the 15 languages OX App Suite offers;
- oxtimezone: the time zones of the host's time zone database (/usr/share/zoneinfo).

oxlanguage and oxtimezone accept any value of the right shape besides their choices, so
that values written before (or by an OX with more languages) stay valid.
Runs on UCS 5 (Python 3.7).
"""

import os
import re

import univention.admin.syntax
import univention.admin.types
import univention.admin.uexceptions

_ZONEINFO = "/usr/share/zoneinfo"
_ZONE_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


class oxContextSelect(univention.admin.syntax.UDM_Objects):
    """An OX context: the value is its context ID."""

    udm_modules = ("oxmail/oxcontext",)
    key = "%(contextid)s"
    label = "%(name)s (%(contextid)s)"
    regex = re.compile(r"^[0-9]+$")
    simple = True
    empty_value = True
    error_message = "Not an OX context ID"
    type_class = univention.admin.types.IntegerType

    @classmethod
    def parse(cls, text):
        """An ID given as int, text, bytes or a one-element list: its decimal text."""
        if isinstance(text, (list, tuple)):
            if len(text) != 1:
                raise univention.admin.uexceptions.valueError(cls.error_message)
            text = text[0]
        if isinstance(text, bytes):
            text = text.decode("UTF-8", "replace")
        if isinstance(text, int) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str):
            raise univention.admin.uexceptions.valueError(cls.error_message)
        text = text.strip()
        if not text:
            return ""
        if not cls.regex.match(text):
            raise univention.admin.uexceptions.valueError(cls.error_message)
        return str(int(text))


class oxaccess(univention.admin.syntax.UDM_Objects):
    """An OX access profile: the value is its name."""

    udm_modules = ("oxmail/accessprofile",)
    key = "%(name)s"
    label = "%(displayName)s"
    regex = None
    simple = True
    empty_value = True


class oxResourceManager(univention.admin.syntax.UDM_Objects):
    """An OX user: the value is its uidNumber (what oxResourceAdmin holds)."""

    udm_modules = ("users/user",)
    udm_filter = "isOxUser=OK"
    key = "%(uidNumber)s"
    label = "%(username)s"
    regex = re.compile(r"^[0-9]+$")
    simple = True
    empty_value = False
    error_message = "Not the uidNumber of an OX user"


class oxlanguage(univention.admin.syntax.select):
    """A language of OX App Suite (locale names as OX spells them)."""

    choices = [  # noqa: RUF012 (UDM reads it as a list)
        ("cs_CZ", "Čeština"),
        ("de_DE", "Deutsch"),
        ("en_GB", "English (United Kingdom)"),
        ("en_US", "English (United States)"),
        ("es_ES", "Español"),
        ("fr_FR", "Français"),
        ("hu_HU", "Magyar"),
        ("it_IT", "Italiano"),
        ("ja_JP", "日本語"),
        ("lv_LV", "Latviešu"),
        ("nl_NL", "Nederlands"),
        ("pl_PL", "Polski"),
        ("sk_SK", "Slovenčina"),
        ("zh_CN", "简体中文"),
        ("zh_TW", "繁體中文"),
    ]
    empty_value = True
    _shape = re.compile(r"^[a-z]{2,3}_[A-Z]{2}$")

    @classmethod
    def parse(cls, text):
        if not text or cls._shape.match(text):
            return text
        raise univention.admin.uexceptions.valueError("Not a language like de_DE")


def _zone_names(root=_ZONEINFO):
    """Time zone names of the host's database, e.g. Europe/Berlin (sorted)."""
    names = {"UTC", "GMT", "WET"}
    for area in _ZONE_AREAS:
        for dirpath, _dirs, files in os.walk(os.path.join(root, area)):
            relative = os.path.relpath(dirpath, root)
            names.update(os.path.join(relative, name) for name in files)
    return sorted(names)


class oxtimezone(univention.admin.syntax.select):
    """A time zone of the time zone database, like Europe/Berlin."""

    choices = [(name, name) for name in _zone_names()]  # noqa: RUF012
    empty_value = True
    _shape = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$")

    @classmethod
    def parse(cls, text):
        if not text or cls._shape.match(text):
            return text
        raise univention.admin.uexceptions.valueError("Not a time zone like Europe/Berlin")
