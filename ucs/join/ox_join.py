#!/usr/bin/python3
"""The OX Connector join script's helper, run on the UCS host by appcenter/inst and
appcenter/uinst with the host's Python 3 (UCS 5.0: 3.7). It reads ucs/udm/properties.json
(the declaration the UDM modules are generated from) and drives ``univention-directory-
manager``; the udm command lines are built by pure functions (tested in tests/ucs/).

    ox_join.py [--dry-run] containers --base DN [UDM ARGS]
    ox_join.py [--dry-run] extended-attributes --base DN --default-context N [UDM ARGS]
    ox_join.py [--dry-run] access-profiles --base DN [UDM ARGS]
    ox_join.py [--dry-run] user-template --base DN --domain NAME [--primary-group DN] [UDM ARGS]
    ox_join.py [--dry-run] remove-extended-attributes --base DN [UDM ARGS]
    ox_join.py catalogs DIR                       German .mo files of the four modules
    ox_join.py schema-known SCHEMA < LDIF         all | none | some: are the schema's OIDs
                                                  in this subschema (cn=Subschema, LDIF)?

UDM ARGS (``--binddn DN --bindpwdfile FILE`` off the Primary) are passed to every udm call.
Every step is idempotent: objects are created with --ignore_exists; extended attributes
are then brought to the declared definition (all fields but the default an admin may have
changed); access profiles and the user template are never changed once they exist, except
template fields that still hold a known old value.
"""

import argparse
import json
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DECLARATION = os.path.join(os.path.dirname(HERE), "udm", "properties.json")
UDM = "univention-directory-manager"
LANGUAGE = "de_DE"  # translations in properties.json: "de"
# the default context of new users and resources comes from UCR ox/context/id
CONTEXT_DEFAULTS = ("oxContextUser", "oxContextResource")
# extended attributes of older installations that are gone (their LDAP values stay)
LEGACY_ATTRIBUTES = (
    ("oxAccessUSM", "cn=open-xchange-mobility,cn=custom attributes,cn=univention"),
)
# template fields the Univention app once wrote and later corrected: repaired when found
TEMPLATE_REPAIRS = (
    ("oxDisplayName", "", "<firstname> <lastname>"),
    ("oxAccess", "", "premium"),
    ("unixhome", "/home/", "/home/<username>"),
)


def load_declaration(path=DECLARATION):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def udm(module, action, udm_args, *args):
    """One udm command line: ``univention-directory-manager MODULE ACTION [UDM ARGS] ...``."""
    return [UDM, module, action, *udm_args, *args]


def _flag(value):
    return "1" if value else "0"


def _translation(text):
    if '"' in text:
        raise ValueError("a translated text may not hold a double quote: " + text)
    return f'"{LANGUAGE}" "{text}"'


def extended_attribute_fields(attribute):
    """The settings/extended_attribute fields of one declared attribute, without
    ``default`` (an admin may change it; it is set only when the object is created)."""
    fields = [
        ("CLIName", attribute["property"]),
        ("shortDescription", attribute["label"]["en"]),
        ("longDescription", attribute["description"]["en"]),
        ("translationShortDescription", _translation(attribute["label"]["de"])),
        ("translationLongDescription", _translation(attribute["description"]["de"])),
        ("tabName", attribute["tab"]["en"]),
        ("translationTabName", _translation(attribute["tab"]["de"])),
        ("tabPosition", str(attribute["tab_position"])),
        ("syntax", attribute["syntax"]),
        ("multivalue", _flag(attribute["multivalue"])),
        ("valueRequired", "0"),
        ("mayChange", "1"),
        ("ldapMapping", attribute["ldap"]),
        ("objectClass", attribute["object_class"]),
        ("deleteObjectClass", _flag(attribute["delete_object_class"])),
        ("disableUDMWeb", _flag(attribute["hidden_in_umc"])),
        ("doNotSearch", _flag(attribute["do_not_search"])),
        ("hook", attribute["hook"] or ""),
    ]
    fields.extend(("module", module) for module in attribute["modules"])
    if attribute["group"]:
        fields.extend(
            [
                ("groupName", attribute["group"]["en"]),
                ("translationGroupName", _translation(attribute["group"]["de"])),
                ("groupPosition", str(attribute["group_position"])),
            ]
        )
    return fields


def _sets(fields):
    args = []
    for name, value in fields:
        args.extend(["--set", f"{name}={value}"])
    return args


def extended_attribute_commands(declaration, base, default_context, udm_args=()):
    """udm command lines: create each extended attribute (if missing), then set every
    field but the default; the context defaults follow UCR ox/context/id; the legacy
    attributes are removed."""
    section = declaration["extended_attributes"]
    container = "{},{}".format(section["container"], base)
    rdn, _, position = container.partition(",")
    name = rdn.split("=", 1)[1]
    commands = [udm("container/cn", "create", udm_args, "--ignore_exists", "--position", position)]
    commands[0] += ["--set", "name=" + name]
    for attribute in section["attributes"]:
        dn = "cn={},{}".format(attribute["cn"], container)
        fields = extended_attribute_fields(attribute)
        default = attribute["default"]
        if attribute["cn"] in CONTEXT_DEFAULTS:
            default = str(default_context)
        create = udm("settings/extended_attribute", "create", udm_args, "--ignore_exists")
        create += ["--position", container, "--set", "name=" + attribute["cn"]]
        create += _sets(fields)
        if default is not None:
            create += ["--set", "default=" + default]
        commands.append(create)
        modify = udm("settings/extended_attribute", "modify", udm_args, "--dn", dn)
        modify += _sets(fields)
        if attribute["cn"] in CONTEXT_DEFAULTS:
            modify += ["--set", "default=" + default]
        commands.append(modify)
    for name in section["removed"]:
        commands.append(_remove_extended_attribute(f"cn={name},{container}", udm_args))
    for name, where in LEGACY_ATTRIBUTES:
        dn = f"cn={name},{where},{base}"
        commands.append(_remove_extended_attribute(dn, udm_args))
    return commands


def _remove_extended_attribute(dn, udm_args):
    return udm("settings/extended_attribute", "remove", udm_args, "--dn", dn)


def remove_extended_attribute_commands(declaration, base, udm_args=()):
    """uinst: the extended attributes this app declares, one by one (the container and
    anything else in it stay); the LDAP values on users and groups are not touched."""
    container = "{},{}".format(declaration["extended_attributes"]["container"], base)
    return [
        _remove_extended_attribute("cn={},{}".format(attribute["cn"], container), udm_args)
        for attribute in declaration["extended_attributes"]["attributes"]
    ]


def access_profile_commands(declaration, base, udm_args=()):
    """Create the default profiles with all 24 rights set (TRUE / FALSE); a profile that
    exists is left as it is."""
    module = declaration["modules"]["oxmail/accessprofile"]
    rights = [p["name"] for p in module["properties"] if p["syntax"] == "TrueFalseUp"]
    position = "{},{}".format(module["container"], base)
    commands = []
    for profile in declaration["access_profiles"]:
        command = udm("oxmail/accessprofile", "create", udm_args, "--ignore_exists")
        command += ["--position", position, "--set", "name=" + profile["name"]]
        command += ["--set", "displayName=" + profile["displayName"]]
        for right in rights:
            value = "TRUE" if right in profile["rights"] else "FALSE"
            command += ["--set", f"{right}={value}"]
        commands.append(command)
    return commands


def container_commands(declaration, base, udm_args=()):
    """cn=open-xchange and the default containers of the modules below it."""
    containers = sorted(
        {m["container"] for m in declaration["modules"].values()}, key=lambda c: c.count(",")
    )
    commands = []
    for container in containers:
        name, _, parent = container.partition(",")
        position = f"{parent},{base}" if parent else base
        command = udm("container/cn", "create", udm_args, "--ignore_exists")
        command += ["--position", position, "--set", "name=" + name.split("=", 1)[1]]
        commands.append(command)
    return commands


def user_template_commands(declaration, base, domain, primary_group, udm_args=()):
    template = declaration["user_template"]
    position = "{},{}".format(template["container"], base)
    command = udm("settings/usertemplate", "create", udm_args, "--ignore_exists")
    command += ["--position", position, "--set", "name=" + template["name"]]
    for prop, value in template["properties"].items():
        command += ["--set", "{}={}".format(prop, value.replace("<domainname>", domain))]
    command += ["--set", "primaryGroup=" + primary_group]
    return [command]


def template_repairs(current, primary_group):
    """Fields of an existing template to set: those that still hold a known old value
    (``primary_group``: the DN of the domain's "Domain Users", by its local name)."""
    changes = [
        (prop, new) for prop, old, new in TEMPLATE_REPAIRS if (current.get(prop) or "") == old
    ]
    if current.get("primaryGroup", "").lower().startswith("cn=domain admins,"):
        changes.append(("primaryGroup", primary_group))
    return changes


def parse_udm_list(text):
    """``udm ... list`` output of one object: property -> value (first value)."""
    values = {}
    for line in text.splitlines():
        match = re.match(r"^  ([A-Za-z0-9_-]+): (.*)$", line)
        if match and match.group(1) not in values:
            value = match.group(2)
            values[match.group(1)] = "" if value == "None" else value
    return values


# -- message catalogs -----------------------------------------------------------------


def catalog_entries(module):
    """English -> German of one module: descriptions, labels, layout, messages."""
    entries = {}

    def add(text):
        if text["en"]:
            entries[text["en"]] = text["de"]

    add(module["short_description"])
    add(module["long_description"])
    for prop in module["properties"]:
        add(prop["label"])
        add(prop["description"])
    for tab in module["layout"]:
        add(tab["tab"])
        add(tab["description"])
        for group in tab["groups"]:
            add(group["name"])
    for english, german in module.get("messages", {}).items():
        entries[english] = german
    return entries


def mo_file(entries):
    """A GNU message catalog (.mo, little endian, no hash table) with a UTF-8 header."""
    entries = dict(entries)
    entries[""] = "Content-Type: text/plain; charset=UTF-8\n"
    keys = sorted(entries)
    ids = [k.encode("utf-8") for k in keys]
    strs = [entries[k].encode("utf-8") for k in keys]
    count = len(keys)
    header_size = 7 * 4
    table_size = count * 8
    offset = header_size + 2 * table_size
    id_table, str_table, blob = [], [], b""
    for data in ids:
        id_table.append((len(data), offset + len(blob)))
        blob += data + b"\0"
    for data in strs:
        str_table.append((len(data), offset + len(blob)))
        blob += data + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, count, header_size, header_size + table_size, 0, offset)
    for length, start in id_table + str_table:
        out += struct.pack("<2I", length, start)
    return out + blob


def write_catalogs(declaration, directory):
    """<directory>/<package>-<name>/de.mo per module (the language is the file's name)."""
    paths = []
    for name, module in declaration["modules"].items():
        target = os.path.join(directory, name.replace("/", "-"))
        os.makedirs(target, exist_ok=True)
        path = os.path.join(target, "de.mo")
        with open(path, "wb") as handle:
            handle.write(mo_file(catalog_entries(module)))
        paths.append(path)
    return paths


# -- schema -------------------------------------------------------------------------------


def schema_oids(schema_text):
    return re.findall(
        r"^\s*(?:attributetype|objectclass)\s*\(\s*([0-9.]+)", schema_text, re.M | re.I
    )


def subschema_oids(ldif):
    """The OIDs of attributeTypes and objectClasses in an LDIF of cn=Subschema."""
    unfolded = re.sub(r"\n ", "", ldif)
    return set(
        re.findall(r"^(?:attributeTypes|objectClasses):\s*\(\s*([0-9.]+)", unfolded, re.M | re.I)
    )


def schema_known(schema_text, ldif):
    wanted = schema_oids(schema_text)
    known = subschema_oids(ldif)
    present = [oid for oid in wanted if oid in known]
    if len(present) == len(wanted):
        return "all"
    return "some" if present else "none"


# -- running ------------------------------------------------------------------------------


def run(commands, dry_run, tolerate=False):
    """Run the udm commands; stop at the first failure unless ``tolerate`` (removals of
    objects that may be gone)."""
    for command in commands:
        if dry_run:
            print(" ".join(command))
            continue
        status = subprocess.call(command)
        if status != 0 and not tolerate:
            print("ox_join: failed ({}): {}".format(status, " ".join(command[:4])), file=sys.stderr)
            return status
    return 0


def repair_user_template(declaration, base, primary_group, udm_args, dry_run):
    template = declaration["user_template"]
    dn = "cn={},{},{}".format(template["name"], template["container"], base)
    if dry_run:
        return 0
    try:
        listing = subprocess.check_output(
            [
                UDM,
                "settings/usertemplate",
                "list",
                *udm_args,
                "--filter",
                "name=" + template["name"],
            ],
            universal_newlines=True,
        )
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    changes = template_repairs(parse_udm_list(listing), primary_group)
    if not changes:
        return 0
    command = udm("settings/usertemplate", "modify", udm_args, "--dn", dn)
    for prop, value in changes:
        command += ["--set", f"{prop}={value}"]
    return run([command], dry_run)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print the udm commands")
    parser.add_argument("--declaration", default=DECLARATION)
    sub = parser.add_subparsers(dest="command")
    for name in (
        "containers",
        "extended-attributes",
        "access-profiles",
        "user-template",
        "remove-extended-attributes",
    ):
        command = sub.add_parser(name)
        command.add_argument("--base", required=True)
        if name == "extended-attributes":
            command.add_argument("--default-context", required=True, type=int)
        if name == "user-template":
            command.add_argument("--domain", required=True)
            command.add_argument(
                "--primary-group", help='DN of "Domain Users" (default: by its English name)'
            )
    sub.add_parser("catalogs").add_argument("directory")
    sub.add_parser("schema-known").add_argument("schema")
    args, udm_args = parser.parse_known_args(argv)
    declaration = load_declaration(args.declaration)
    if args.command == "extended-attributes":
        commands = extended_attribute_commands(
            declaration, args.base, args.default_context, udm_args
        )
        # removals (last) may find nothing to remove
        creating = [c for c in commands if c[2] != "remove"]
        removing = [c for c in commands if c[2] == "remove"]
        return run(creating, args.dry_run) or run(removing, args.dry_run, tolerate=True)
    if args.command == "remove-extended-attributes":
        commands = remove_extended_attribute_commands(declaration, args.base, udm_args)
        return run(commands, args.dry_run, tolerate=True)
    if args.command == "containers":
        return run(container_commands(declaration, args.base, udm_args), args.dry_run)
    if args.command == "access-profiles":
        return run(access_profile_commands(declaration, args.base, udm_args), args.dry_run)
    if args.command == "user-template":
        group = args.primary_group or f"cn=Domain Users,cn=groups,{args.base}"
        commands = user_template_commands(declaration, args.base, args.domain, group, udm_args)
        return run(commands, args.dry_run) or repair_user_template(
            declaration, args.base, group, udm_args, args.dry_run
        )
    if args.command == "catalogs":
        for path in write_catalogs(declaration, args.directory):
            print(path)
        return 0
    if args.command == "schema-known":
        with open(args.schema, encoding="utf-8") as handle:
            print(schema_known(handle.read(), sys.stdin.read()))
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
