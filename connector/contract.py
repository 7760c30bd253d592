"""The OX App Suite 8 admin SOAP contract, as data.

Field lists, operation signatures and fault lists of the six admin services the connector
uses, in OX's order. The connector reads it (field types, service names), and so do the
emulator (``ox_emulator``, which serves WSDLs generated from this table and (de)serialises
with it) and the contract tests; nothing else defines the wire format.

Field notation: ``name:type`` separated by spaces; ``[]`` marks a repeated element, ``!`` an
element that is not nillable (a Java primitive), ``+`` one with minOccurs 1. Types are XML
Schema built-ins (string, int, long, boolean, date, base64Binary, anyType) or names in TYPES.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

NS_SOAP = "http://soap.admin.openexchange.com"
NS_COPY = "http://soap.copy.user.admin.openexchange.com"
NS_DATA = "http://dataobjects.soap.admin.openexchange.com/xsd"
NS_RMI_DATA = "http://dataobjects.rmi.admin.openexchange.com/xsd"
NS_EXC = "http://exceptions.rmi.admin.openexchange.com/xsd"
NS_RMI = "http://rmi.java/xsd"
NS_IO = "http://io.java/xsd"

BUILTIN_TYPES = frozenset({"string", "int", "long", "boolean", "date", "base64Binary", "anyType"})


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    repeated: bool = False
    nillable: bool = True
    required: bool = False

    @property
    def builtin(self) -> bool:
        return self.type in BUILTIN_TYPES


def parse_fields(notation: str) -> tuple[Field, ...]:
    """``"aliases:string[] id:int!"`` -> Field tuples (see the module doc)."""
    fields = []
    for token in notation.split():
        name, _, spec = token.partition(":")
        type_name = spec.rstrip("[]!+")
        flags = spec[len(type_name) :]
        fields.append(
            Field(
                name,
                type_name,
                repeated="[]" in flags,
                nillable="!" not in flags,
                required="+" in flags,
            )
        )
    return tuple(fields)


@dataclass(frozen=True)
class TypeDef:
    namespace: str
    notation: str
    base: str | None = None  # exception types extend Exception / IOException

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        return parse_fields(self.notation)

    def without(self, *names: str) -> TypeDef:
        kept = [t for t in self.notation.split() if t.partition(":")[0] not in names]
        return TypeDef(self.namespace, " ".join(kept), self.base)


@dataclass(frozen=True)
class Operation:
    name: str
    params_notation: str
    result_notation: str | None  # None: the output message has no parts (empty soap:Body)
    faults_notation: str  # fault names without the "Exception" suffix

    @cached_property
    def params(self) -> tuple[Field, ...]:
        return parse_fields(self.params_notation)

    @cached_property
    def result(self) -> Field | None:
        return parse_fields(self.result_notation)[0] if self.result_notation else None

    @cached_property
    def faults(self) -> tuple[str, ...]:
        return tuple(f + "Exception" for f in self.faults_notation.split())


@dataclass(frozen=True)
class Service:
    namespace: str
    port: str
    operations: tuple[Operation, ...]
    type_overrides: dict[str, TypeDef] = field(default_factory=dict)
    extra_types: tuple[str, ...] = ()  # defined in OX's WSDL although no operation uses them

    @cached_property
    def types(self) -> dict[str, TypeDef]:
        """Every type this service's WSDL defines, with its own copy of the shared ones."""
        merged = {**TYPES, **self.type_overrides}
        needed: dict[str, TypeDef] = {}

        def visit(name: str) -> None:
            if name in BUILTIN_TYPES or name in needed or name == "Exception":
                return
            needed[name] = typedef = merged[name]
            if typedef.base:
                visit(typedef.base)
            for f in typedef.fields:
                visit(f.type)

        for op in self.operations:
            for f in op.params + ((op.result,) if op.result else ()):
                visit(f.type)
            for fault in op.faults:
                visit(fault)
        for name in self.extra_types:
            visit(name)
        return needed

    @cached_property
    def by_name(self) -> dict[str, Operation]:
        return {op.name: op for op in self.operations}


# Fields that OX 8 has in OXUserService's User but not in the User copy of other services.
USER_SERVICE_ONLY_FIELDS = (
    "drive_user_folder_mode",
    "drive_folder_mode",
    "filestoreId",
    "filestore_name",
    "maxQuota",
    "usedQuota",
    "primaryAccountName",
    "convert_drive_user_folders",
    "load_remote_mail_content_by_default",
)

TYPES: dict[str, TypeDef] = {
    "RemoteException": TypeDef(NS_RMI, "message:string", base="IOException"),
    "IOException": TypeDef(NS_IO, "", base="Exception"),
    "InvalidDataException": TypeDef(NS_EXC, "objectname:string", base="Exception"),
    "NoSuchContextException": TypeDef(NS_EXC, "", base="Exception"),
    "NoSuchFilestoreException": TypeDef(NS_EXC, "", base="Exception"),
    "StorageException": TypeDef(NS_EXC, "", base="Exception"),
    "NoSuchUserException": TypeDef(NS_EXC, "", base="Exception"),
    "DuplicateExtensionException": TypeDef(NS_EXC, "", base="Exception"),
    "InvalidCredentialsException": TypeDef(NS_EXC, "", base="Exception"),
    "DatabaseUpdateException": TypeDef(NS_EXC, "", base="Exception"),
    "UserModuleAccess": TypeDef(
        NS_DATA,
        (
            "OLOX20:boolean USM:boolean activeSync:boolean calendar:boolean "
            "collectEmailAddresses:boolean contacts:boolean delegateTask:boolean "
            "deniedPortal:boolean editGroup:boolean editPassword:boolean editPublicFolders:boolean "
            "editResource:boolean globalAddressBookDisabled:boolean ical:boolean infostore:boolean "
            "multipleMailAccounts:boolean publicFolderEditable:boolean publication:boolean "
            "readCreateSharedFolders:boolean subscription:boolean syncml:boolean tasks:boolean "
            "vcard:boolean webdav:boolean webdavXml:boolean webmail:boolean"
        ),
    ),
    "Context": TypeDef(
        NS_DATA,
        (
            "average_size:long enabled:boolean filestoreId:int filestore_name:string id:int "
            "loginMappings:string[] maxQuota:long name:string readDatabase:Database usedQuota:long "
            "userAttributes:SOAPStringMapMap writeDatabase:Database gabMode:string"
        ),
    ),
    "Database": TypeDef(
        NS_DATA,
        (
            "currentUnits:int driver:string id:int login:string master:boolean masterId:int "
            "maxUnits:int name:string password:string poolHardLimit:int poolInitial:int "
            "poolMax:int read_id:int scheme:string url:string"
        ),
    ),
    "SOAPStringMapMap": TypeDef(NS_DATA, "entries:SOAPMapEntry[]"),
    "SOAPMapEntry": TypeDef(NS_DATA, "key:string value:SOAPStringMap"),
    "SOAPStringMap": TypeDef(NS_DATA, "entries:Entry[]"),
    "Entry": TypeDef(NS_DATA, "key:string value:string"),
    "User": TypeDef(
        NS_DATA,
        (
            "aliases:string[] anniversary:date assistant_name:string birthday:date branches:string "
            "business_category:string categories:string cellular_telephone1:string "
            "cellular_telephone2:string city_business:string city_home:string city_other:string "
            "commercial_register:string company:string contextadmin:boolean! "
            "country_business:string country_home:string country_other:string "
            "drive_user_folder_mode:string drive_folder_mode:string defaultSenderAddress:string "
            "default_group:Group department:string display_name:string email1:string email2:string "
            "email3:string employeeType:string fax_business:string fax_home:string "
            "fax_other:string filestoreId:int filestore_name:string folderTree:int "
            "given_name:string guiPreferencesForSoap:SOAPStringMap gui_spam_filter_enabled:boolean "
            "id:int imapLogin:string imapPort:int! imapSchema:string imapServer:string "
            "imapServerString:string info:string instant_messenger1:string "
            "instant_messenger2:string language:string mail_folder_confirmed_ham_name:string "
            "mail_folder_confirmed_spam_name:string mail_folder_drafts_name:string "
            "mail_folder_sent_name:string mail_folder_spam_name:string "
            "mail_folder_trash_name:string mail_folder_archive_full_name:string "
            "mailenabled:boolean manager_name:string marital_status:string maxQuota:long "
            "middle_name:string name:string nickname:string note:string number_of_children:string "
            "number_of_employee:string password:string passwordMech:string "
            "password_expired:boolean position:string postal_code_business:string "
            "postal_code_home:string postal_code_other:string primaryEmail:string "
            "profession:string room_number:string sales_volume:string smtpPort:int! "
            "smtpSchema:string smtpServer:string smtpServerString:string spouse_name:string "
            "state_business:string state_home:string state_other:string street_business:string "
            "street_home:string street_other:string suffix:string sur_name:string tax_id:string "
            "telephone_assistant:string telephone_business1:string telephone_business2:string "
            "telephone_callback:string telephone_car:string telephone_company:string "
            "telephone_home1:string telephone_home2:string telephone_ip:string "
            "telephone_isdn:string telephone_other:string telephone_pager:string "
            "telephone_primary:string telephone_radio:string telephone_telex:string "
            "telephone_ttytdd:string timezone:string title:string uploadFileSizeLimit:int "
            "uploadFileSizeLimitPerFile:int url:string usedQuota:long "
            "userAttributes:SOAPStringMapMap userfield01:string userfield02:string "
            "userfield03:string userfield04:string userfield05:string userfield06:string "
            "userfield07:string userfield08:string userfield09:string userfield10:string "
            "userfield11:string userfield12:string userfield13:string userfield14:string "
            "userfield15:string userfield16:string userfield17:string userfield18:string "
            "userfield19:string userfield20:string primaryAccountName:string "
            "convert_drive_user_folders:boolean load_remote_mail_content_by_default:boolean "
            "image1:base64Binary image1ContentType:string"
        ),
    ),
    "Group": TypeDef(NS_DATA, "displayname:string id:int members:int[] name:string"),
    "Filestore": TypeDef(
        NS_DATA,
        "currentContexts:int id:int maxContexts:int reserved:long size:long url:string used:long",
    ),
    "Credentials": TypeDef(NS_RMI_DATA, "login:string password:string"),
    "ContextExistsException": TypeDef(NS_EXC, "", base="Exception"),
    "NoSuchDatabaseException": TypeDef(NS_EXC, "", base="Exception"),
    "NoSuchReasonException": TypeDef(NS_EXC, "", base="Exception"),
    "OXContextException": TypeDef(NS_EXC, "", base="Exception"),
    "SchemaSelectStrategy": TypeDef(NS_DATA, "schema_name:string strategy:string"),
    "Quota": TypeDef(NS_RMI_DATA, "module:string limit:long+"),
    "NoSuchGroupException": TypeDef(NS_EXC, "", base="Exception"),
    "NoSuchResourceException": TypeDef(NS_EXC, "", base="Exception"),
    "Resource": TypeDef(
        NS_DATA,
        (
            "available:boolean description:string displayname:string email:string id:int "
            "name:string permissions:ResourcePermission[]"
        ),
    ),
    "ResourcePermission": TypeDef(NS_DATA, "entity:int! group:boolean! privilege:string!"),
    "UserExistsException": TypeDef(NS_EXC, "", base="Exception"),
    "Account": TypeDef(
        NS_DATA,
        (
            "contextId:int userId:int id:int login:string password:string name:string "
            "primaryAddress:string personal:string replyTo:string mailServer:string mailPort:int "
            "mailProtocol:string mailSecure:boolean mailStartTls:boolean transportLogin:string "
            "transportPassword:string transportServer:string transportPort:int "
            "transportProtocol:string transportSecure:boolean transportStartTls:boolean "
            "archiveFullname:string draftsFullname:string sentFullname:string spamFullname:string "
            "trashFullname:string confirmedSpamFullname:string confirmedHamFullname:string"
        ),
    ),
    "AccountDataOnCreate": TypeDef(
        NS_DATA,
        (
            "login:string password:string name:string primaryAddress:string personal:string "
            "replyTo:string mailEndpointSource:string mailServer:string mailPort:int "
            "mailProtocol:string mailSecure:boolean mailStartTls:boolean transportLogin:string "
            "transportPassword:string transportEndpointSource:string transportServer:string "
            "transportPort:int transportProtocol:string transportSecure:boolean "
            "transportStartTls:boolean archiveFullname:string draftsFullname:string "
            "sentFullname:string spamFullname:string trashFullname:string "
            "confirmedSpamFullname:string confirmedHamFullname:string"
        ),
    ),
    "AccountDataUpdate": TypeDef(
        NS_DATA,
        (
            "login:string password:string name:string personal:string replyTo:string "
            "mailServer:string mailPort:int mailProtocol:string mailSecure:boolean "
            "mailStartTls:boolean transportLogin:string transportPassword:string "
            "transportServer:string transportPort:int transportProtocol:string "
            "transportSecure:boolean transportStartTls:boolean archiveFullname:string "
            "draftsFullname:string sentFullname:string spamFullname:string trashFullname:string "
            "confirmedSpamFullname:string confirmedHamFullname:string"
        ),
    ),
    "AccountData": TypeDef(
        NS_DATA,
        (
            "login:string password:string name:string primaryAddress:string personal:string "
            "replyTo:string mailServer:string mailPort:int mailProtocol:string mailSecure:boolean "
            "mailStartTls:boolean transportLogin:string transportPassword:string "
            "transportServer:string transportPort:int transportProtocol:string "
            "transportSecure:boolean transportStartTls:boolean archiveFullname:string "
            "draftsFullname:string sentFullname:string spamFullname:string trashFullname:string "
            "confirmedSpamFullname:string confirmedHamFullname:string"
        ),
    ),
}

USER_OUTSIDE_USER_SERVICE = TYPES["User"].without(*USER_SERVICE_ONLY_FIELDS)

SERVICES: dict[str, Service] = {
    "OXContextService": Service(
        namespace=NS_SOAP,
        port="OXContextServiceHttpsEndpoint",
        type_overrides={
            "User": USER_OUTSIDE_USER_SERVICE,
        },
        operations=(
            Operation(
                "change",
                "ctx:Context auth:Credentials",
                None,
                "Storage InvalidData NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "changeCapabilities",
                (
                    "ctx:Context capsToAdd:string capsToRemove:string capsToDrop:string "
                    "auth:Credentials"
                ),
                None,
                "Storage InvalidData NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "changeModuleAccess",
                "ctx:Context access:UserModuleAccess auth:Credentials",
                None,
                "Storage InvalidData NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "changeModuleAccessByName",
                "ctx:Context access_combination_name:string auth:Credentials",
                None,
                "Storage InvalidData NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "changeQuota",
                "ctx:Context module:string quotaValue:string auth:Credentials",
                None,
                "Storage InvalidData NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "create",
                (
                    "ctx:Context admin_user:User auth:Credentials "
                    "schema_select_strategy:SchemaSelectStrategy"
                ),
                "return:Context",
                "Storage InvalidData Remote InvalidCredentials ContextExists",
            ),
            Operation(
                "createModuleAccess",
                (
                    "ctx:Context admin_user:User access:UserModuleAccess auth:Credentials "
                    "schema_select_strategy:SchemaSelectStrategy"
                ),
                "return:Context",
                "Storage InvalidData Remote InvalidCredentials ContextExists",
            ),
            Operation(
                "createModuleAccessByName",
                (
                    "ctx:Context admin_user:User access_combination_name:string auth:Credentials "
                    "schema_select_strategy:SchemaSelectStrategy"
                ),
                "return:Context",
                "Storage InvalidData Remote InvalidCredentials ContextExists",
            ),
            Operation(
                "delete",
                "ctx:Context auth:Credentials",
                None,
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "disable",
                "ctx:Context auth:Credentials",
                None,
                (
                    "Storage InvalidData NoSuchContext NoSuchReason Remote InvalidCredentials "
                    "OXContext"
                ),
            ),
            Operation(
                "disableAll",
                "auth:Credentials",
                None,
                "Storage InvalidData NoSuchReason Remote InvalidCredentials",
            ),
            Operation(
                "downgrade",
                "ctx:Context auth:Credentials",
                None,
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "enable",
                "ctx:Context auth:Credentials",
                None,
                "Storage InvalidData NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "enableAll",
                "auth:Credentials",
                None,
                "Storage Remote InvalidCredentials",
            ),
            Operation(
                "exists",
                "ctx:Context auth:Credentials",
                "return:boolean!",
                "Storage InvalidData Remote InvalidCredentials",
            ),
            Operation(
                "existsInServer",
                "ctx:Context auth:Credentials",
                "return:boolean!",
                "Storage InvalidData Remote InvalidCredentials",
            ),
            Operation(
                "getAccessCombinationName",
                "ctx:Context auth:Credentials",
                "return:string",
                "Storage InvalidData NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "getAdminId",
                "ctx:Context auth:Credentials",
                "return:int!",
                "Storage NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "getContextCapabilities",
                "ctx:Context auth:Credentials",
                "return:string",
                "Storage InvalidData NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "getData",
                "ctx:Context auth:Credentials",
                "return:Context",
                "Storage InvalidData NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "getModuleAccess",
                "ctx:Context auth:Credentials",
                "return:UserModuleAccess",
                "Storage InvalidData NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "list",
                "search_pattern:string auth:Credentials",
                "return:Context[]",
                "Storage InvalidData Remote InvalidCredentials",
            ),
            Operation(
                "listAll",
                "auth:Credentials",
                "return:Context[]",
                "Storage InvalidData Remote InvalidCredentials",
            ),
            Operation(
                "listByDatabase",
                "db:Database auth:Credentials",
                "return:Context[]",
                "Storage InvalidData Remote InvalidCredentials NoSuchDatabase",
            ),
            Operation(
                "listByFilestore",
                "fs:Filestore auth:Credentials",
                "return:Context[]",
                "NoSuchFilestore Storage InvalidData Remote InvalidCredentials",
            ),
            Operation(
                "listPage",
                "search_pattern:string offset:string length:string auth:Credentials",
                "return:Context[]",
                "Storage InvalidData Remote InvalidCredentials",
            ),
            Operation(
                "listPageAll",
                "offset:string length:string auth:Credentials",
                "return:Context[]",
                "Storage InvalidData Remote InvalidCredentials",
            ),
            Operation(
                "listPageByDatabase",
                "db:Database offset:string length:string auth:Credentials",
                "return:Context[]",
                "Storage InvalidData Remote InvalidCredentials NoSuchDatabase",
            ),
            Operation(
                "listPageByFilestore",
                "fs:Filestore offset:string length:string auth:Credentials",
                "return:Context[]",
                "NoSuchFilestore Storage InvalidData Remote InvalidCredentials",
            ),
            Operation(
                "listQuota",
                "ctx:Context auth:Credentials",
                "return:Quota[]",
                "Storage InvalidData NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "moveContextDatabase",
                "ctx:Context dst_database_id:Database auth:Credentials",
                "return:int!",
                (
                    "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials "
                    "OXContext"
                ),
            ),
            Operation(
                "moveContextFilestore",
                "ctx:Context dst_filestore_id:Filestore auth:Credentials",
                "return:int!",
                (
                    "NoSuchFilestore Storage InvalidData NoSuchContext NoSuchReason Remote "
                    "InvalidCredentials OXContext"
                ),
            ),
        ),
    ),
    "OXUserService": Service(
        namespace=NS_SOAP,
        port="OXUserServiceHttpsEndpoint",
        operations=(
            Operation(
                "change",
                "ctx:Context usrdata:User auth:Credentials",
                None,
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "changeByModuleAccess",
                "ctx:Context user:User moduleAccess:UserModuleAccess auth:Credentials",
                None,
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "changeByModuleAccessName",
                "ctx:Context user:User access_combination_name:string auth:Credentials",
                None,
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "changeCapabilities",
                (
                    "ctx:Context user:User capsToAdd:string capsToRemove:string capsToDrop:string "
                    "auth:Credentials"
                ),
                None,
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "changeMailAddressPersonal",
                "ctx:Context user:User personal:string auth:Credentials",
                None,
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "changeModuleAccessGlobal",
                (
                    "filter:string addAccess:UserModuleAccess removeAccess:UserModuleAccess "
                    "auth:Credentials"
                ),
                None,
                "Storage InvalidData Remote InvalidCredentials",
            ),
            Operation(
                "create",
                "ctx:Context usrdata:User auth:Credentials",
                "return:User",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "createByModuleAccess",
                "ctx:Context usrdata:User access:UserModuleAccess auth:Credentials",
                "return:User",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "createByModuleAccessName",
                "ctx:Context usrdata:User access_combination_name:string auth:Credentials",
                "return:User",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "delete",
                "ctx:Context user:User auth:Credentials reassign:int",
                None,
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "deleteMultiple",
                "ctx:Context users:User[] auth:Credentials reassign:int",
                None,
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "exists",
                "ctx:Context user:User auth:Credentials",
                "return:boolean!",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "getAccessCombinationName",
                "ctx:Context user:User auth:Credentials",
                "return:string",
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "getContextAdmin",
                "ctx:Context auth:Credentials",
                "return:User",
                "Storage InvalidData DuplicateExtension Remote InvalidCredentials",
            ),
            Operation(
                "getData",
                "ctx:Context user:User auth:Credentials",
                "return:User",
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "getModuleAccess",
                "ctx:Context user:User auth:Credentials",
                "return:UserModuleAccess",
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "getMultipleData",
                "ctx:Context users:User[] auth:Credentials",
                "return:User[]",
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "getUserCapabilities",
                "ctx:Context user:User auth:Credentials",
                "return:string!",
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "list",
                (
                    "ctx:Context search_pattern:string auth:Credentials include_guests:boolean "
                    "exclude_users:boolean length:int! offset:int!"
                ),
                "return:User[]",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "listAll",
                "ctx:Context auth:Credentials include_guests:boolean exclude_users:boolean",
                "return:User[]",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "listByAliasDomain",
                "ctx:Context alias_domain:string auth:Credentials length:int! offset:int!",
                "return:User[]",
                "Storage InvalidData NoSuchContext Remote InvalidCredentials",
            ),
            Operation(
                "listCaseInsensitive",
                "ctx:Context search_pattern:string auth:Credentials length:int! offset:int!",
                "return:User[]",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "moveFromContextToUserFilestore",
                (
                    "ctx:Context user:User dst_filestore_id:Filestore+ max_quota:long+ "
                    "auth:Credentials"
                ),
                "return:int!",
                (
                    "NoSuchUser NoSuchFilestore Storage InvalidData NoSuchContext Remote "
                    "DatabaseUpdate InvalidCredentials"
                ),
            ),
            Operation(
                "moveFromMasterToUserFilestore",
                (
                    "ctx:Context user:User masterUser:User dst_filestore_id:Filestore+ "
                    "max_quota:long+ auth:Credentials"
                ),
                "return:int!",
                (
                    "NoSuchUser NoSuchFilestore Storage InvalidData NoSuchContext Remote "
                    "DatabaseUpdate InvalidCredentials"
                ),
            ),
            Operation(
                "moveFromUserFilestoreToMaster",
                "ctx:Context user:User masterUser:User auth:Credentials",
                "return:int!",
                (
                    "NoSuchUser NoSuchFilestore Storage InvalidData NoSuchContext Remote "
                    "DatabaseUpdate InvalidCredentials"
                ),
            ),
            Operation(
                "moveFromUserToContextFilestore",
                "ctx:Context user:User auth:Credentials",
                "return:int!",
                (
                    "NoSuchUser NoSuchFilestore Storage InvalidData NoSuchContext Remote "
                    "DatabaseUpdate InvalidCredentials"
                ),
            ),
            Operation(
                "moveUserFilestore",
                "ctx:Context user:User dst_filestore_id:Filestore auth:Credentials",
                "return:int!",
                (
                    "NoSuchUser NoSuchFilestore Storage InvalidData NoSuchContext Remote "
                    "DatabaseUpdate InvalidCredentials"
                ),
            ),
        ),
    ),
    "OXGroupService": Service(
        namespace=NS_SOAP,
        port="OXGroupServiceHttpSoap11Endpoint",
        type_overrides={
            "User": USER_OUTSIDE_USER_SERVICE,
        },
        operations=(
            Operation(
                "addMember",
                "ctx:Context grp:Group members:User[] auth:Credentials",
                None,
                (
                    "NoSuchGroup NoSuchUser Storage InvalidData NoSuchContext Remote "
                    "DatabaseUpdate InvalidCredentials"
                ),
            ),
            Operation(
                "change",
                "ctx:Context grp:Group auth:Credentials",
                None,
                (
                    "NoSuchGroup NoSuchUser Storage InvalidData NoSuchContext Remote "
                    "DatabaseUpdate InvalidCredentials"
                ),
            ),
            Operation(
                "create",
                "ctx:Context grp:Group auth:Credentials",
                "return:Group",
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "delete",
                "ctx:Context grp:Group auth:Credentials",
                None,
                (
                    "NoSuchGroup Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "deleteMultiple",
                "ctx:Context grps:Group[] auth:Credentials",
                None,
                (
                    "NoSuchGroup Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "getData",
                "ctx:Context grp:Group auth:Credentials",
                "return:Group",
                (
                    "NoSuchGroup Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "getDefaultGroup",
                "ctx:Context auth:Credentials",
                "return:Group",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "getMembers",
                "ctx:Context grp:Group auth:Credentials",
                "return:User[]",
                (
                    "NoSuchGroup Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "getMultipleData",
                "ctx:Context grps:Group[] auth:Credentials",
                "return:Group[]",
                (
                    "NoSuchGroup Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "list",
                "ctx:Context pattern:string auth:Credentials",
                "return:Group[]",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "listAll",
                "ctx:Context auth:Credentials",
                "return:Group[]",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "listGroupsForUser",
                "ctx:Context usr:User auth:Credentials",
                "return:Group[]",
                (
                    "NoSuchUser Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "removeMember",
                "ctx:Context grp:Group members:User[] auth:Credentials",
                None,
                (
                    "NoSuchGroup NoSuchUser Storage InvalidData NoSuchContext Remote "
                    "DatabaseUpdate InvalidCredentials"
                ),
            ),
        ),
    ),
    "OXResourceService": Service(
        namespace=NS_SOAP,
        port="OXResourceServiceHttpSoap12Endpoint",
        operations=(
            Operation(
                "change",
                "ctx:Context res:Resource auth:Credentials",
                None,
                (
                    "NoSuchResource Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "create",
                "ctx:Context res:Resource auth:Credentials",
                "return:Resource",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "delete",
                "ctx:Context res:Resource auth:Credentials",
                None,
                (
                    "NoSuchResource Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "getData",
                "ctx:Context res:Resource auth:Credentials",
                "return:Resource",
                (
                    "NoSuchResource Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "getMultipleData",
                "ctx:Context resources:Resource[] auth:Credentials",
                "return:Resource[]",
                (
                    "NoSuchResource Storage InvalidData NoSuchContext Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "list",
                "ctx:Context pattern:string auth:Credentials",
                "return:Resource[]",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
            Operation(
                "listAll",
                "ctx:Context auth:Credentials",
                "return:Resource[]",
                "Storage InvalidData NoSuchContext Remote DatabaseUpdate InvalidCredentials",
            ),
        ),
    ),
    "OXSecondaryAccountService": Service(
        namespace=NS_SOAP,
        port="OXSecondaryAccountServiceHttpSoap12Endpoint",
        extra_types=("AccountData",),
        type_overrides={
            "Context": TypeDef(NS_DATA, "id:int"),
            "User": TypeDef(NS_DATA, "id:int"),
            "Group": TypeDef(NS_DATA, "id:int"),
        },
        operations=(
            Operation(
                "create",
                (
                    "accountDataOnCreate:AccountDataOnCreate context:Context users:User[] "
                    "groups:Group[] auth:Credentials"
                ),
                None,
                (
                    "NoSuchUser Storage NoSuchContext InvalidData Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "delete",
                (
                    "primaryAddress:string context:Context users:User[] groups:Group[] "
                    "auth:Credentials"
                ),
                "return:boolean!",
                (
                    "NoSuchUser Storage NoSuchContext InvalidData Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "list",
                "context:Context users:User[] groups:Group[] auth:Credentials",
                "return:Account[]",
                (
                    "NoSuchUser Storage NoSuchContext InvalidData Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
            Operation(
                "update",
                (
                    "primaryAddress:string accountDataUpdate:AccountDataUpdate context:Context "
                    "users:User[] groups:Group[] auth:Credentials"
                ),
                "return:boolean!",
                (
                    "NoSuchUser Storage NoSuchContext InvalidData Remote DatabaseUpdate "
                    "InvalidCredentials"
                ),
            ),
        ),
    ),
    "OXUserCopyService": Service(
        namespace=NS_COPY,
        port="OXUserCopyServiceHttpSoap11Endpoint",
        type_overrides={
            "RemoteException": TypeDef(NS_RMI, "cause:anyType message:string", base="IOException"),
            "InvalidDataException": TypeDef(
                NS_EXC, "fieldnames:anyType objectname:string", base="Exception"
            ),
            "User": USER_OUTSIDE_USER_SERVICE,
        },
        operations=(
            Operation(
                "copyUser",
                "user:User src:Context dest:Context auth:Credentials",
                "return:User",
                (
                    "NoSuchUser NoSuchContext Storage InvalidData Remote DatabaseUpdate "
                    "UserExists InvalidCredentials"
                ),
            ),
        ),
    ),
}
