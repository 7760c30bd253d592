"""UDM hook oxGroupHook (extended attribute isOxGroup of groups/group).

Registered by the OX Connector app's join script (ucs_registerLDAPExtension --udm_hook).
An OX group (isOxGroup OK) with a mail address must use a mail domain of this UCS domain,
as OX's users of that group do.

Messages are in English only: a hook cannot carry a message catalog.
Runs on UCS 5 (Python 3.7).
"""

import univention.admin.hook
import univention.admin.uexceptions
from ldap.filter import filter_format


def mail_domain(address):
    return address.rpartition("@")[2].lower()


class oxGroupHook(univention.admin.hook.simpleHook):
    type = "oxGroupHook"

    def hook_ldap_pre_create(self, obj):
        self.check(obj)

    def hook_ldap_pre_modify(self, obj):
        self.check(obj)

    @staticmethod
    def check(obj):
        if obj.module != "groups/group" or (obj["isOxGroup"] or "Not") == "Not":
            return
        address = obj["mailAddress"]
        if not address:
            return
        domain = mail_domain(address)
        found = obj.lo.searchDn(
            filter_format("(&(objectClass=univentionMailDomainname)(cn=%s))", [domain])
        )
        if not found:
            raise univention.admin.uexceptions.valueError(
                f"The mail address {address} of an OX group must use a mail domain of this UCS"
                f" domain ({domain} is none)."
            )
