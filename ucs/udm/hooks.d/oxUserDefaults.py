"""UDM hook oxUserDefaults (extended attribute isOxUser of users/user).

Registered by the OX Connector app's join script (ucs_registerLDAPExtension --udm_hook).
Before a user is written:

- an OX user (isOxUser OK) with an empty oxAccess, oxDisplayName or oxContext gets the
  default of that extended attribute (a user that existed before the app and is made an
  OX user later has none of them, as UDM applies defaults at creation only);
- an oxDisplayName that still reads "<firstname> <lastname>" follows a change of first or
  last name, unless the same change sets it.

Messages are in English only: a hook cannot carry a message catalog.
Runs on UCS 5 (Python 3.7).
"""

import univention.admin.hook
import univention.debug as ud

EXTENDED_ATTRIBUTES = "cn=open-xchange,cn=custom attributes,cn=univention,"
# property -> the extended attribute object whose default it gets
DEFAULTS_FROM = (
    ("oxAccess", "oxAccess"),
    ("oxContext", "oxContextUser"),
    ("oxDisplayName", "oxDisplayName"),
)


def _text(value):
    return value.decode("UTF-8") if isinstance(value, bytes) else value


def _full_name(firstname, lastname):
    return " ".join(part for part in (firstname, lastname) if part)


def _expand(template, obj):
    """An extended attribute default such as "<firstname> <lastname>" for this user."""
    for prop in ("firstname", "lastname", "username"):
        template = template.replace(f"<{prop}>", obj[prop] or "")
    return " ".join(template.split())


def is_ox_user(obj):
    return obj.module == "users/user" and (obj["isOxUser"] or "Not") != "Not"


class oxUserDefaults(univention.admin.hook.simpleHook):
    type = "oxUserDefaults"

    def hook_ldap_pre_create(self, obj):
        if is_ox_user(obj):
            self.fill_defaults(obj)

    def hook_ldap_pre_modify(self, obj):
        if obj.module != "users/user":
            return
        self.follow_display_name(obj)
        if is_ox_user(obj):
            self.fill_defaults(obj)

    @staticmethod
    def follow_display_name(obj):
        if obj.hasChanged("oxDisplayName"):
            return
        before = _full_name(obj.oldinfo.get("firstname"), obj.oldinfo.get("lastname"))
        after = _full_name(obj["firstname"], obj["lastname"])
        if before != after and (obj.oldinfo.get("oxDisplayName") or "") == before and before:
            ud.debug(ud.ADMIN, ud.INFO, "oxUserDefaults: oxDisplayName follows the name change")
            obj["oxDisplayName"] = after

    @staticmethod
    def fill_defaults(obj):
        for prop, attribute in DEFAULTS_FROM:
            if obj[prop]:
                continue
            entry = obj.lo.get(f"cn={attribute},{EXTENDED_ATTRIBUTES}{obj.lo.base}")
            default = _text((entry or {}).get("univentionUDMPropertyDefault", [b""])[0])
            if prop == "oxDisplayName":
                default = _expand(default, obj)
            if default:
                ud.debug(ud.ADMIN, ud.INFO, f"oxUserDefaults: {prop} set to its default")
                obj[prop] = default
