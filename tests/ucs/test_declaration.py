"""One declaration feeds all sides: ucs/udm/properties.json (the UDM modules and extended
attributes the app registers on UCS) against the generated handler files, the directory
simulator's module declarations and the UDM properties the connector reads.

Each comparison is a function that returns the differences it finds, so that the tests
below can also show that a changed declaration is caught.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
from pathlib import Path

import pytest

from connector.desired import group as desired_group
from connector.desired import user as desired_user
from connector.desired.user import DATE_FIELDS, USER_FIELDS
from connector.model.rights import RIGHTS
from udm_simulator import modules as simulator

ROOT = Path(__file__).resolve().parents[2]
UCS = ROOT / "ucs"
DESIRED = ROOT / "connector" / "desired"
OX_MODULES = (
    "oxmail/oxcontext",
    "oxmail/accessprofile",
    "oxmail/functional_account",
    "oxresources/oxresources",
)
# syntaxes whose values UDM hands out as integers (the converter's JSON, UDM REST)
INTEGER_SYNTAXES = {"integer", "oxContextSelect"}
# which desired/*.py reads which UDM module
DESIRED_MODULES = {
    "context.py": "oxmail/oxcontext",
    "access.py": "oxmail/accessprofile",
    "functional_account.py": "oxmail/functional_account",
    "resource.py": "oxresources/oxresources",
    "user.py": "users/user",
    "group.py": "groups/group",
}
# declared for UCS, deliberately not read by the connector (with the reason)
NOT_READ = {
    # a group is in the contexts of its members; the property is hidden in UMC
    ("groups/group", "oxContext"),
    # the manager lives on the UCS side (oxResourceMailAddress of the manager's entry)
    ("oxresources/oxresources", "resourceadmin"),
    # OX has no quota for secondary accounts
    ("oxmail/functional_account", "oxQuota"),
    # the profile's name is what users name; OX never sees the display name
    ("oxmail/accessprofile", "displayName"),
}


def load_generator():
    spec = importlib.util.spec_from_file_location("ucs_generate", UCS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def declaration():
    return json.loads((UCS / "udm" / "properties.json").read_text(encoding="utf-8"))


# -- the view every side compares: module -> property -> facts --------------------------


def declared(declaration) -> dict[str, dict[str, dict]]:
    """module -> property -> {multivalue, required, may_change, integer, identifies}; the
    extended attributes are properties of the modules they extend."""
    out: dict[str, dict[str, dict]] = {}
    for name, module in declaration["modules"].items():
        out[name] = {
            p["name"]: {
                "multivalue": p["multivalue"],
                "required": p["required"],
                "may_change": p["may_change"],
                "integer": p["syntax"] in INTEGER_SYNTAXES,
                "identifies": p["identifies"],
                "ldap": p["ldap"],
            }
            for p in module["properties"]
        }
    for attribute in declaration["extended_attributes"]["attributes"]:
        for name in attribute["modules"]:
            out.setdefault(name, {})[attribute["property"]] = {
                "multivalue": attribute["multivalue"],
                "required": False,
                "may_change": True,
                "integer": attribute["syntax"] in INTEGER_SYNTAXES,
                "identifies": False,
                "ldap": attribute["ldap"],
            }
    return out


def simulator_differences(declaration, sim=simulator) -> list[str]:
    """What differs between the declaration and the simulator's modules."""
    found = []
    ours = declared(declaration)
    for name in (*OX_MODULES, sim.USERS, sim.GROUPS):
        module = sim.MODULES[name]
        props = ours.get(name, {})
        theirs = set(module.properties)
        if name in OX_MODULES:
            missing, extra = theirs - set(props), set(props) - theirs
            if missing:
                found.append(f"{name}: simulated, not declared: {sorted(missing)}")
            if extra:
                found.append(f"{name}: declared, not simulated: {sorted(extra)}")
            decl = declaration["modules"][name]
            if decl["container"] != module.container:
                found.append(f"{name}: container {decl['container']} != {module.container}")
            naming = [p for p, facts in props.items() if facts["identifies"]]
            if naming != [module.naming] or props[module.naming]["ldap"] != module.rdn_attr:
                found.append(f"{name}: naming {naming} != {module.naming} ({module.rdn_attr})")
            required = {p for p, facts in props.items() if facts["required"]}
            if required != set(module.required):
                found.append(f"{name}: required {sorted(required)} != {sorted(module.required)}")
            fixed = {p for p, facts in props.items() if not facts["may_change"]}
            if fixed != set(module.unchangeable):
                found.append(
                    f"{name}: may not change {sorted(fixed)} != {sorted(module.unchangeable)}"
                )
        else:
            # users/user, groups/group: UCS's own modules; only the OX extended attributes
            ox = {p for p in theirs if p.startswith(("ox", "isOx"))}
            if ox != set(props):
                found.append(
                    f"{name}: OX properties simulated {sorted(ox - set(props))} "
                    f"/ declared {sorted(set(props) - ox)} differ"
                )
        for prop, facts in props.items():
            if prop not in theirs:
                continue
            if facts["multivalue"] != (prop in module.multi):
                found.append(f"{name} {prop}: multivalue {facts['multivalue']} differs")
            if facts["integer"] != (prop in sim.INTEGER_PROPERTIES[name]):
                found.append(f"{name} {prop}: integer {facts['integer']} differs")
    profiles = {
        p["name"]: (p["displayName"], set(p["rights"])) for p in declaration["access_profiles"]
    }
    simulated = {n: (d, set(r)) for n, d, r in sim.DEFAULT_ACCESS_PROFILES}
    if profiles != simulated:
        found.append(f"default access profiles differ: {profiles} != {simulated}")
    return found


def _get_literals(path: Path) -> set[str]:
    """The string keys a module reads with ``<obj>.get("...")``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def connector_reads() -> dict[str, set[str]]:
    """UDM module -> the properties the connector reads (connector/desired/)."""
    reads = {module: _get_literals(DESIRED / file) for file, module in DESIRED_MODULES.items()}
    reads["users/user"] |= {m.udm for m in USER_FIELDS}
    reads["users/user"] |= {a for m in USER_FIELDS for a in m.alternatives}
    reads["users/user"] |= {udm for _, udm in DATE_FIELDS}
    reads["users/user"].add(desired_user.desired_user.__defaults__[0])  # OX_USER_IDENTIFIER
    reads["groups/group"].add(desired_group.desired_group.__defaults__[0])
    reads["oxmail/accessprofile"] |= set(RIGHTS)
    return reads


def connector_differences(declaration, reads=None, sim=simulator) -> list[str]:
    """What the connector reads but nobody declares, and what is declared for it but not
    read (besides NOT_READ)."""
    reads = connector_reads() if reads is None else reads
    ours = declared(declaration)
    found = []
    for module, props in reads.items():
        declared_here = set(ours.get(module, {}))
        if module in OX_MODULES:
            known = declared_here
        else:  # UCS's own properties come from UCS (as the simulator models them)
            known = declared_here | {
                p for p in sim.MODULES[module].properties if not p.startswith(("ox", "isOx"))
            }
        unknown = props - known
        if unknown:
            found.append(f"{module}: the connector reads undeclared {sorted(unknown)}")
        unread = {p for p in declared_here - props if (module, p) not in NOT_READ}
        if unread:
            found.append(f"{module}: declared for the connector, not read: {sorted(unread)}")
    stale = {(m, p) for m, p in NOT_READ if p in reads.get(m, set())}
    if stale:
        found.append(f"NOT_READ lists properties the connector reads: {sorted(stale)}")
    return found


# -- the tests ------------------------------------------------------------------------------


def test_the_handlers_are_rendered_from_the_declaration(declaration):
    generate = load_generator()
    assert generate.main(["--check"]) == 0, "run python3 ucs/generate.py"
    for name, module in declaration["modules"].items():
        tree = ast.parse(generate.handler_path(name).read_text(encoding="utf-8"))
        literal = next(
            node.value
            for node in tree.body
            if isinstance(node, ast.Assign) and node.targets[0].id == "DECLARATION"
        )
        assert ast.literal_eval(literal) == generate.english_view(name, module)


def test_the_simulator_models_the_declared_modules(declaration):
    assert simulator_differences(declaration) == []


def test_the_connector_reads_what_is_declared(declaration):
    assert connector_differences(declaration) == []


def test_every_mapped_user_field_is_an_extended_attribute_or_a_ucs_property(declaration):
    ox_fields = {m.udm for m in USER_FIELDS if m.udm.startswith("ox")}
    assert ox_fields <= set(declared(declaration)["users/user"])


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d["modules"]["oxmail/oxcontext"]["properties"].pop(), "not declared"),
        (
            lambda d: d["modules"]["oxmail/functional_account"]["properties"][4].update(
                multivalue=False
            ),
            "users: multivalue",
        ),
        (
            lambda d: d["modules"]["oxmail/accessprofile"]["properties"][2].update(may_change=True),
            "may not change",
        ),
        (lambda d: d["modules"]["oxresources/oxresources"].update(container="cn=x"), "container"),
        (
            lambda d: d["extended_attributes"]["attributes"].pop(1),  # oxContext of users
            "users/user",
        ),
        (lambda d: d["access_profiles"][6]["rights"].remove("usm"), "default access profiles"),
        (
            lambda d: d["modules"]["oxmail/oxcontext"]["properties"][1].update(syntax="string"),
            "contextid: integer",
        ),
    ],
)
def test_a_changed_declaration_is_caught(declaration, change, expected):
    changed = copy.deepcopy(declaration)
    change(changed)
    found = simulator_differences(changed) + connector_differences(changed)
    assert any(expected in line for line in found), found


def test_a_new_read_in_the_connector_is_caught(declaration):
    reads = connector_reads()
    reads["users/user"].add("oxShoeSize")
    reads["oxmail/oxcontext"].discard("oxQuota")
    found = connector_differences(declaration, reads)
    assert any("undeclared ['oxShoeSize']" in line for line in found), found
    assert any("not read: ['oxQuota']" in line for line in found), found


def test_every_handler_message_has_a_german_translation(declaration):
    for name, module in declaration["modules"].items():
        path = load_generator().handler_path(name)
        own = {
            node.args[0].value
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        }
        assert own == set(module["messages"]), name


def test_every_text_is_in_english_and_german(declaration):
    def texts(value, where):
        if isinstance(value, dict) and set(value) == {"en", "de"}:
            assert value["en"].strip() and value["de"].strip(), where
            assert '"' not in value["de"] + value["en"], where  # udm's translation syntax
            return 1
        count = 0
        if isinstance(value, dict):
            for key, item in value.items():
                count += texts(item, f"{where}/{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                count += texts(item, f"{where}[{index}]")
        return count

    assert texts(declaration["modules"], "modules") > 100
    attributes = declaration["extended_attributes"]["attributes"]
    expected = sum(4 if attribute["group"] else 3 for attribute in attributes)
    assert texts(attributes, "extended_attributes") == expected
    assert len(attributes) == 79
