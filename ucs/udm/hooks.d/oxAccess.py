"""UDM hook oxAccess (extended attribute oxAccess of users/user).

Registered by the OX Connector app's join script (ucs_registerLDAPExtension --udm_hook).

- An OX user (isOxUser OK) needs a primary e-mail address and a first name. A user
  *created* as an OX user without a primary address becomes isOxUser=Not instead (logged):
  the extended attribute's default is OK, and scripts that create plain users must keep
  working, as with the Univention app. Making an existing user an OX user without one is
  refused. (UCS itself checks that the address's domain is a mail domain.)
- oxAnniversary must be a date, YYYY-MM-DD or DD.MM.YYYY.
- A user who still manages OX resources (oxResourceMailAddress) cannot be removed: give
  the resources another manager first.

Messages are in English only: a hook cannot carry a message catalog.
Runs on UCS 5 (Python 3.7).
"""

import datetime
import re

import univention.admin.hook
import univention.admin.uexceptions
import univention.debug as ud

_DATE_FORMATS = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"), "%d.%m.%Y"),
)


def is_date(text):
    for shape, pattern in _DATE_FORMATS:
        if shape.match(text):
            try:
                datetime.datetime.strptime(text, pattern)
            except ValueError:
                return False
            return True
    return False


def problems(obj):
    """What keeps this users/user object from being written, as messages."""
    found = []
    anniversary = obj["oxAnniversary"]
    if anniversary and not is_date(anniversary):
        found.append(f"oxAnniversary {anniversary!r} is not a date (YYYY-MM-DD or DD.MM.YYYY).")
    if (obj["isOxUser"] or "Not") != "Not":
        if not obj["mailPrimaryAddress"]:
            found.append("An OX user needs a primary e-mail address.")
        if not obj["firstname"]:
            found.append("An OX user needs a first name.")
    return found


class oxAccess(univention.admin.hook.simpleHook):
    type = "oxAccess"

    def hook_ldap_pre_create(self, obj):
        if obj.module != "users/user":
            return
        if (obj["isOxUser"] or "Not") != "Not" and not obj["mailPrimaryAddress"]:
            name = obj["username"]
            ud.debug(
                ud.ADMIN,
                ud.WARN,
                f"oxAccess: {name} has no primary e-mail address, so it is not an OX user",
            )
            obj["isOxUser"] = "Not"
        self.check(obj)

    def hook_ldap_pre_modify(self, obj):
        if obj.module == "users/user":
            self.check(obj)

    def hook_ldap_pre_remove(self, obj):
        if obj.module != "users/user":
            return
        managed = [
            value.decode("UTF-8") if isinstance(value, bytes) else value
            for value in obj.oldattr.get("oxResourceMailAddress", [])
        ]
        if managed:
            name, addresses = obj["username"], ", ".join(managed)
            raise univention.admin.uexceptions.valueError(
                f"{name} still manages OX resources ({addresses}): give them another manager first."
            )

    @staticmethod
    def check(obj):
        found = problems(obj)
        if found:
            raise univention.admin.uexceptions.valueError(" ".join(found))
