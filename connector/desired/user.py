"""UDM ``users/user`` -> the OX user it should be (pure; no SOAP, no state).

The mapping is data (``USER_FIELDS``), so that it can later be overridden by an
administrator's mapping file. A field whose UDM value is empty is sent as ``''`` when OX
can store an empty value (so clearing in UDM clears in OX); dates cannot be emptied
through SOAP (OX ignores nil and refuses ''), so an emptied birthday stays in OX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import values
from .errors import InvalidAttribute
from .templates import Template, imap_login_template, user_lookup


@dataclass(frozen=True)
class FieldMap:
    ox: str  # OX SOAP User field
    udm: str  # UDM property
    index: int = 0  # which value of a multi-value property
    alternatives: tuple[str, ...] = ()  # tried in order when ``udm`` is empty

    def value(self, obj: dict[str, Any]) -> Any:
        return self.source(obj)[1]

    def source(self, obj: dict[str, Any]) -> tuple[str, Any]:
        """The value and where it came from: the property, ``prop[i]`` for the i-th value
        of a list (so that an error names the value at fault)."""
        found = (
            _label(self.udm, obj.get(self.udm), self.index),
            values.first(obj.get(self.udm), self.index),
        )
        for alternative in self.alternatives:
            if found[1] not in (None, ""):
                break
            found = (
                _label(alternative, obj.get(alternative), 0),
                values.first(obj.get(alternative)),
            )
        return found


def _label(prop: str, value: Any, index: int) -> str:
    return f"{prop}[{index}]" if isinstance(value, list) else prop


def _same(*names: str) -> tuple[FieldMap, ...]:
    return tuple(FieldMap(n, n) for n in names)


# OX field <- UDM property, for the plain text fields (as the Univention connector 2.1 maps them).
USER_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("display_name", "oxDisplayName"),
    FieldMap("given_name", "firstname"),
    FieldMap("sur_name", "lastname"),
    FieldMap("email2", "oxEmail2"),
    FieldMap("email3", "oxEmail3"),
    FieldMap("branches", "oxBranches"),
    FieldMap("cellular_telephone1", "oxMobileBusiness"),
    FieldMap("cellular_telephone2", "mobileTelephoneNumber"),
    FieldMap("city_business", "city"),
    FieldMap("postal_code_business", "postcode"),
    FieldMap("street_business", "street"),
    FieldMap("state_business", "oxStateBusiness"),
    FieldMap("country_business", "oxCountryBusiness"),
    FieldMap("city_home", "oxCityHome"),
    FieldMap("postal_code_home", "oxPostalCodeHome"),
    FieldMap("street_home", "oxStreetHome"),
    FieldMap("state_home", "oxStateHome"),
    FieldMap("country_home", "oxCountryHome"),
    FieldMap("city_other", "oxCityOther"),
    FieldMap("postal_code_other", "oxPostalCodeOther"),
    FieldMap("street_other", "oxStreetOther"),
    FieldMap("state_other", "oxStateOther"),
    FieldMap("country_other", "oxCountryOther"),
    FieldMap("commercial_register", "oxCommercialRegister"),
    FieldMap("company", "organisation"),
    FieldMap("department", "oxDepartment"),
    FieldMap("employeeType", "employeeType"),
    FieldMap("number_of_employee", "employeeNumber"),
    FieldMap("fax_business", "oxFaxBusiness"),
    FieldMap("fax_home", "oxFaxHome"),
    FieldMap("fax_other", "oxFaxOther"),
    FieldMap("instant_messenger1", "oxInstantMessenger1"),
    FieldMap("instant_messenger2", "oxInstantMessenger2"),
    FieldMap("manager_name", "oxManagerName"),
    FieldMap("marital_status", "oxMarialStatus"),  # sic: the UDM property's spelling
    FieldMap("middle_name", "oxMiddleName"),
    FieldMap("nickname", "oxNickName"),
    FieldMap("suffix", "oxSuffix"),
    FieldMap("note", "oxNote"),
    FieldMap("number_of_children", "oxNumOfChildren"),
    FieldMap("position", "oxPosition"),
    FieldMap("profession", "oxProfession"),
    FieldMap("sales_volume", "oxSalesVolume"),
    FieldMap("spouse_name", "oxSpouseName"),
    FieldMap("tax_id", "oxTaxId"),
    FieldMap("telephone_assistant", "oxTelephoneAssistant"),
    FieldMap("telephone_car", "oxTelephoneCar"),
    FieldMap("telephone_company", "oxTelephoneCompany"),
    FieldMap("telephone_ip", "oxTelephoneIp"),
    FieldMap("telephone_other", "oxTelephoneOther"),
    FieldMap("telephone_telex", "oxTelephoneTelex"),
    FieldMap("telephone_ttytdd", "oxTelephoneTtydd"),
    FieldMap("telephone_business1", "phone", 0),
    FieldMap("telephone_business2", "phone", 1),
    FieldMap("telephone_home1", "homeTelephoneNumber", 0),
    FieldMap("telephone_home2", "homeTelephoneNumber", 1),
    FieldMap("telephone_pager", "pagerTelephoneNumber"),
    FieldMap("room_number", "roomNumber"),
    FieldMap("url", "oxUrl"),
    *(FieldMap(f"userfield{i:02d}", f"oxUserfield{i:02d}") for i in range(1, 21)),
    *_same("title"),
)
DEFAULT_IMAP_LOGIN = imap_login_template("{}")  # the primary mail address
DATE_FIELDS = (("birthday", "birthday"), ("anniversary", "oxAnniversary"))
NO_MAIL_ACCESS = ("", "none")


@dataclass(frozen=True)
class MailDefaults:
    """From the OX_IMAP_SERVER / OX_SMTP_SERVER / OX_LANGUAGE / LOCAL_TIMEZONE /
    DEFAULT_CONTEXT / OX_ENABLE_GUI_SPAM_FILTER settings."""

    imap_server: str = "imap://localhost:143"
    smtp_server: str = "smtp://localhost:587"
    language: str = "de_DE"
    timezone: str = "Europe/Berlin"
    default_context: int = 10
    # OX_ENABLE_GUI_SPAM_FILTER: every user gets gui_spam_filter_enabled = true on create and
    # change, as the Univention connector did; False: the field is left to OX
    gui_spam_filter: bool = True


@dataclass(frozen=True)
class DesiredUser:
    enabled: bool
    context_id: int
    name: str
    fields: dict[str, Any]  # OX fields to create with and keep equal ('' clears)
    create_only: dict[str, Any] = field(default_factory=dict)  # set once, then the user's
    access_profile: str | None = None  # oxAccess; None or "none": no rights, no mail


def desired_user(
    obj: dict[str, Any],
    defaults: MailDefaults,
    identifier: str = "username",
    mapping: tuple[FieldMap, ...] = USER_FIELDS,
    imap_login: Template | None = DEFAULT_IMAP_LOGIN,
    object_id: str = "",
    dn: str = "",
) -> DesiredUser:
    """What OX should hold for this UDM user. Raises InvalidAttribute naming the field.

    ``identifier``: the UDM property that is the OX user name (OX_USER_IDENTIFIER);
    ``mapping``: OX field <- UDM property (the attribute mapping); ``imap_login``: the
    OX_IMAP_LOGIN template, None = imapLogin left to OX.
    """
    enabled = values.enabled_flag("isOxUser", obj.get("isOxUser"))
    ctx = values.context_id("oxContext", obj.get("oxContext"), defaults.default_context)
    name = values.single_text(identifier, obj.get(identifier), "the OX user name")
    name = values.clean(identifier, name, one_line=True)
    fields: dict[str, Any] = {}
    for m in mapping:
        source, value = m.source(obj)
        fields[m.ox] = "" if value is None else values.clean(source, str(value))
    for ox, udm in DATE_FIELDS:
        date = values.date(udm, obj.get(udm))
        if date is not None:
            fields[ox] = date

    primary = values.clean_text("mailPrimaryAddress", obj.get("mailPrimaryAddress"), one_line=True)
    primary = primary or ""
    if enabled and not primary:
        raise InvalidAttribute("mailPrimaryAddress", primary, "an OX user needs a primary mail")
    listed = values.many(
        "mailAlternativeAddress", obj.get("mailAlternativeAddress"), "a list of mail addresses"
    )
    alternatives = [
        values.clean(f"mailAlternativeAddress[{i}]", a, one_line=True)
        for i, a in enumerate(listed)
        if a
    ]
    fields.update(
        primaryEmail=primary, email1=primary, aliases=list(dict.fromkeys([primary, *alternatives]))
    )
    if imap_login is not None and enabled:
        fields["imapLogin"] = imap_login.render(user_lookup(object_id, dn, obj))

    photo = values.jpeg("jpegPhoto", obj.get("jpegPhoto"))
    fields.update(image1=photo or b"", image1ContentType="image/jpeg" if photo else "")

    # MB; empty, 0 and -1 all mean unlimited, as for a context's oxQuota
    fields["maxQuota"] = values.quota_mb("oxUserQuota", obj.get("oxUserQuota")) or -1
    access = access_profile_of(obj)
    fields["mailenabled"] = (access or "") not in NO_MAIL_ACCESS
    if defaults.gui_spam_filter:
        fields["gui_spam_filter_enabled"] = True

    home = values.clean_text("mailHomeServer", obj.get("mailHomeServer"), one_line=True)
    for kind, url in (("imap", defaults.imap_server), ("smtp", defaults.smtp_server)):
        schema, host, port = values.mail_server(url)
        fields.update({f"{kind}Server": home or host, f"{kind}Port": port, f"{kind}Schema": schema})

    # language, time zone and default sender are the user's to change in OX afterwards
    create_only = {
        "language": values.clean_text("oxLanguage", obj.get("oxLanguage"), one_line=True)
        or defaults.language,
        "timezone": values.clean_text("oxTimeZone", obj.get("oxTimeZone"), one_line=True)
        or defaults.timezone,
        "defaultSenderAddress": primary,
    }
    return DesiredUser(enabled, ctx, name, fields, create_only, access)


def access_profile_of(obj: dict[str, Any]) -> str | None:
    """The access profile a UDM user names (``oxAccess``), None if none."""
    return values.clean_text("oxAccess", obj.get("oxAccess"), one_line=True) or None
