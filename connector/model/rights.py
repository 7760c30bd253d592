"""The OX module-access rights an access profile can grant: the shared vocabulary of the
access profile objects (desired), the access profiles file (state) and OX."""

from __future__ import annotations

from collections.abc import Mapping

# UDM's right properties (lower case, as in ModuleAccessDefinitions.properties) -> the OX
# UserModuleAccess fields.
RIGHTS: Mapping[str, str] = {
    "usm": "USM",
    "activesync": "activeSync",
    "calendar": "calendar",
    "collectemailaddresses": "collectEmailAddresses",
    "contacts": "contacts",
    "delegatetask": "delegateTask",
    "deniedportal": "deniedPortal",
    "editgroup": "editGroup",
    "editpassword": "editPassword",
    "editpublicfolders": "editPublicFolders",
    "editresource": "editResource",
    "globaladdressbookdisabled": "globalAddressBookDisabled",
    "ical": "ical",
    "infostore": "infostore",
    "multiplemailaccounts": "multipleMailAccounts",
    "publicfoldereditable": "publicFolderEditable",
    "readcreatesharedfolders": "readCreateSharedFolders",
    "subscription": "subscription",
    "syncml": "syncml",
    "tasks": "tasks",
    "vcard": "vcard",
    "webdav": "webdav",
    "webdavxml": "webdavXml",
    "webmail": "webmail",
}
