"""appcenter/inst and appcenter/uinst, run for real against stand-ins of a UCS host
(tests/ucs/fake_ucs: the UCS shell libraries, ucr, udm, ldapsearch, docker), which log
every call; plus the static rules: shellcheck on every shell script, the versions the
scripts carry, and the digest of the registered files per join-script VERSION."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAKE = Path(__file__).resolve().parent / "fake_ucs"
INST = ROOT / "appcenter" / "inst"
UINST = ROOT / "appcenter" / "uinst"
PACKAGE = ["--packagename", "univention-ox", "--packageversion", "13.0.20"]
UCS_RANGE = ["--ucsversionstart", "5.0-0", "--ucsversionend", "5.99-0"]


def _generator():
    spec = importlib.util.spec_from_file_location("ucs_generate", ROOT / "ucs" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _oids_ldif(*schemas: str, without: tuple[str, ...] = ()) -> str:
    """A cn=Subschema LDIF that knows every definition of these schema files but those
    ``without`` (folded like ldapsearch folds long lines)."""
    lines = ["dn: cn=Subschema"]
    for name in schemas:
        text = (ROOT / "ucs" / "schema" / name).read_text()
        for kind, oid in re.findall(r"^(attributetype|objectclass) \( ([0-9.]+)", text, re.M):
            if oid in without:
                continue
            key = "attributeTypes" if kind == "attributetype" else "objectClasses"
            line = f"{key}: ( {oid} NAME 'x' DESC 'a long definition that gets folded' )"
            lines.append(line[:40] + "\n " + line[40:])
    return "\n".join(lines) + "\n"


class Host:
    """One stand-in UCS host: UCR, join status, services, udm answers, call log."""

    def __init__(self, root: Path, role: str = "domaincontroller_master"):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "ucr").write_text(
            "\n".join(
                [
                    "ldap/base=dc=example,dc=org",
                    f"server/role={role}",
                    "ldap/master=primary.example.org",
                    "ldap/master/port=7389",
                    "domainname=example.org",
                    "hostname=" + ("primary" if role == "domaincontroller_master" else "backup"),
                    "appcenter/apps/ox-connector/container=0123abcd",
                ]
            )
            + "\n"
        )
        (root / "subschema.ldif").write_text("dn: cn=Subschema\n")
        (root / "udm-list").mkdir(exist_ok=True)

    def ucr(self, key: str) -> str | None:
        values = dict(
            line.split("=", 1) for line in (self.root / "ucr").read_text().splitlines() if line
        )
        return values.get(key)

    def status(self) -> list[str]:
        path = self.root / "status"
        return path.read_text().splitlines() if path.exists() else []

    def calls(self) -> list[str]:
        path = self.root / "calls.log"
        return path.read_text().splitlines() if path.exists() else []

    def run(self, script: Path, *args: str) -> subprocess.CompletedProcess:
        log = self.root / "calls.log"
        if log.exists():
            log.rename(self.root / "calls.before.log")
        env = {
            **os.environ,
            "PATH": f"{FAKE / 'bin'}:{os.environ['PATH']}",
            "FAKE_UCS": str(self.root),
            "OX_CONNECTOR_UCS_SHARE": str(FAKE / "share"),
            "OX_CONNECTOR_UCS_DIR": str(ROOT / "ucs"),
        }
        return subprocess.run(
            ["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=120
        )


def registrations(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("ucs_registerLDAPExtension ")]


def udm(calls: list[str], module: str, action: str) -> list[str]:
    return [c for c in calls if c.startswith(f"udm {module} {action}")]


@pytest.fixture
def primary(tmp_path) -> Host:
    return Host(tmp_path / "primary")


def test_first_join_on_the_primary_registers_and_creates_everything(primary):
    result = primary.run(INST)
    assert result.returncode == 0, result.stdout + result.stderr
    assert primary.status() == ["ox-connector v20 successful"]
    calls = primary.calls()

    # step 2: referential integrity, and slapd restarted for it
    assert primary.ucr("ldap/refint") == "true"
    assert "service slapd restart" in calls
    # the default context came from the app setting (UCR was empty)
    assert primary.ucr("ox/context/id") == "10"

    # step 3: schema (both: the subschema knew none), syntax, hooks, modules, in order
    registered = registrations(calls)
    what = [re.search(r"--(schema|udm_syntax|udm_hook|udm_module) (\S+)", r) for r in registered]
    assert [(m.group(1), Path(m.group(2)).name) for m in what] == [
        ("schema", "oxforucs-extra.schema"),
        ("schema", "oxforucs.schema"),
        ("udm_syntax", "50_ox.py"),
        ("udm_hook", "oxUserDefaults.py"),
        ("udm_hook", "oxAccess.py"),
        ("udm_hook", "oxGroupHook.py"),
        ("udm_module", "oxcontext.py"),
        ("udm_module", "accessprofile.py"),
        ("udm_module", "functional_account.py"),
        ("udm_module", "oxresources.py"),
    ]
    for line in registered:
        assert " ".join(PACKAGE + UCS_RANGE) in line, line
        assert "[app=ox-connector_2.4.0]" in line, line
    modules = [r for r in registered if "--udm_module" in r]
    # each module with its German catalog, given by its bare name from its own dir
    for line, name in zip(
        modules,
        (
            "oxmail-oxcontext",
            "oxmail-accessprofile",
            "oxmail-functional_account",
            "oxresources-oxresources",
        ),
        strict=True,
    ):
        assert "--messagecatalog de.mo" in line and f"[cwd={name}]" in line, line
    assert "--umcregistration" in modules[-1] and "ox-connector.xml" in modules[-1]

    # step 4: containers, extended attributes, profiles, template, default context
    containers = udm(calls, "container/cn", "create")
    assert len(containers) == 5  # the attribute container, cn=open-xchange and 3 below it
    assert len(udm(calls, "settings/extended_attribute", "create")) == 79
    assert len(udm(calls, "settings/extended_attribute", "modify")) == 79
    profiles = udm(calls, "oxmail/accessprofile", "create")
    assert [re.search(r"name=(\S+)", p).group(1) for p in profiles] == [
        "none",
        "webmail",
        "webmail_drive",
        "pim",
        "pim_drive",
        "groupware",
        "premium",
    ]
    assert all(p.count("=TRUE") + p.count("=FALSE") == 24 for p in profiles)
    (template,) = udm(calls, "settings/usertemplate", "create")
    assert "primaryGroup=cn=Domänen-Benutzer,cn=groups,dc=example,dc=org" in template
    (context,) = udm(calls, "oxmail/oxcontext", "create")
    assert "name=context10" in context and "contextid=10" in context
    assert "cn=open-xchange,dc=example,dc=org" in context

    # step 5 and 6
    assert "ucs_unregisterLDAPExtension --udm_hook oxContextRW" in calls
    assert "ucs_addServiceToLocalhost OX Connector" in calls
    # udm sees the new modules and attributes
    assert calls.count("stop_udm_cli_server") == 2


def test_a_second_run_does_nothing(primary):
    assert primary.run(INST).returncode == 0
    result = primary.run(INST)
    assert result.returncode == 0
    assert primary.calls() == ["joinscript_init ox-connector"]
    assert primary.status() == ["ox-connector v20 successful"]


def test_upgrade_from_the_univention_app_keeps_its_schema_and_context(primary):
    """The 2.x join script recorded version 12; its schema (here: every definition)
    and the default context object are there."""
    (primary.root / "status").write_text("ox-connector v12 successful\n")
    (primary.root / "subschema.ldif").write_text(
        _oids_ldif("oxforucs.schema", "oxforucs-extra.schema")
    )
    (primary.root / "ucr").write_text(
        (primary.root / "ucr").read_text() + "ox/context/id=10\nldap/refint=true\n"
    )
    (primary.root / "udm-list" / "oxmail-oxcontext").write_text(
        "DN: cn=context10,cn=open-xchange,dc=example,dc=org\n"
    )
    result = primary.run(INST)
    assert result.returncode == 0, result.stdout + result.stderr
    calls = primary.calls()
    assert not [r for r in registrations(calls) if "--schema" in r]
    assert "registration is kept" in result.stdout
    assert len([r for r in registrations(calls) if "--udm_" in r]) == 8  # replaced: newer
    assert udm(calls, "oxmail/oxcontext", "create") == []
    assert "service slapd restart" not in calls  # refint was on already
    assert len(udm(calls, "settings/extended_attribute", "modify")) == 79  # brought up to date
    removed = udm(calls, "settings/extended_attribute", "remove")
    assert [re.search(r"--dn cn=([^,\\]+)", r).group(1) for r in removed] == [
        "oxDrive",
        "oxBirthday",
        "oxAccessUSM",
    ]
    assert primary.status() == ["ox-connector v12 successful", "ox-connector v20 successful"]


def test_an_older_schema_is_replaced_and_a_foreign_extra_schema_left_alone(primary):
    """The 4.4 schema lacked two definitions (of 2.2.12); acl is known from UCS' own
    mail schema, cyrus-userquota is not: the extra part cannot be registered."""
    ldif = _oids_ldif(
        "oxforucs.schema", without=("1.3.6.1.4.1.31353.2.2.156", "1.3.6.1.4.1.31353.2.1.18")
    )
    acl = "attributeTypes: ( 1.3.6.1.4.1.19414.2.1.651 NAME 'acl' )\n"
    (primary.root / "subschema.ldif").write_text(ldif + acl)
    result = primary.run(INST)
    assert result.returncode == 0, result.stdout + result.stderr
    schemas = [r for r in registrations(primary.calls()) if "--schema" in r]
    assert len(schemas) == 1 and "oxforucs.schema" in schemas[0]
    assert "partly defined" in result.stdout


def test_on_a_backup_with_credentials(tmp_path):
    backup = Host(tmp_path / "backup", role="domaincontroller_backup")
    credentials = ["--binddn", "uid=Administrator,cn=users,dc=example,dc=org"]
    credentials += ["--bindpwdfile", str(tmp_path / "pw")]
    result = backup.run(INST, *credentials)
    assert result.returncode == 0, result.stdout + result.stderr
    calls = backup.calls()
    assert backup.ucr("ldap/refint") is None
    assert "ucr set ldap/refint=true" in result.stdout  # the hint for the Primary
    passed = " ".join(credentials)
    for line in registrations(calls) + [c for c in calls if c.startswith("udm ")]:
        assert passed in line, line


def test_a_failing_udm_call_fails_the_join(primary):
    (primary.root / "bin").mkdir()
    failing = primary.root / "bin" / "univention-directory-manager"
    failing.write_text(
        '#!/bin/bash\necho "udm $*" >>"$FAKE_UCS/calls.log"\n'
        '[ "$1 $2" != "oxmail/accessprofile create" ] || exit 3\n'
    )
    failing.chmod(0o755)
    result = subprocess.run(
        ["bash", str(INST)],
        env={
            **os.environ,
            "PATH": f"{primary.root / 'bin'}:{FAKE / 'bin'}:{os.environ['PATH']}",
            "FAKE_UCS": str(primary.root),
            "OX_CONNECTOR_UCS_SHARE": str(FAKE / "share"),
            "OX_CONNECTOR_UCS_DIR": str(ROOT / "ucs"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "creating the access profiles failed" in result.stderr
    assert primary.status() == []  # not recorded: the next run does it all again


def test_unjoin_removes_attributes_and_template_but_no_data(primary):
    assert primary.run(INST).returncode == 0
    (primary.root / "udm-list" / "settings-extended_attribute").write_text(
        "DN: cn=isOxUser,cn=open-xchange,cn=custom attributes,cn=univention,dc=example,dc=org\n"
        "  name: isOxUser\n"
        "DN: cn=oxAccess,cn=open-xchange,cn=custom attributes,cn=univention,dc=example,dc=org\n"
    )
    result = primary.run(UINST)
    assert result.returncode == 0, result.stdout + result.stderr
    calls = primary.calls()
    assert len(udm(calls, "settings/extended_attribute", "remove")) == 2
    assert len(udm(calls, "settings/usertemplate", "remove")) == 1
    # nothing else is removed: no OX objects, no schema or module registrations
    removals = [c for c in calls if re.match(r"udm \S+ remove", c)]
    assert len(removals) == 3
    assert not [c for c in calls if c.startswith("ucs_unregisterLDAPExtension")]
    assert primary.status() == []  # a new installation runs the join script again


def test_unjoin_keeps_the_attributes_while_ox_app_suite_runs_somewhere(primary):
    assert primary.run(INST).returncode == 0
    with (primary.root / "services").open("a") as services:
        services.write("oxhost ox\n")
    result = primary.run(UINST)
    assert result.returncode == 0
    assert "attributes kept" in result.stdout
    assert not udm(primary.calls(), "settings/extended_attribute", "remove")


# -- static rules ------------------------------------------------------------------------


def shell_scripts() -> list[str]:
    """What ci/shellcheck_all checks (tracked and new files: *.sh, *.lib, sh/bash
    shebangs)."""
    listed = subprocess.run(
        ["bash", "ci/shellcheck_all", "--list"], cwd=ROOT, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    return listed.stdout.split()


def test_the_shell_scripts_are_found():
    names = set(shell_scripts())
    expected = {"appcenter/inst", "appcenter/uinst", ".ci/run", "docker/entrypoint"}
    expected |= {"build_docker_image", "ci/image_smoke_test", "ci/ucs_vm_test.sh"}
    expected |= {"tests/ucs/fake_ucs/share/univention-lib/all.sh", "ci/shellcheck_all"}
    assert expected <= names
    assert "ucs/generate.py" not in names


def test_shellcheck_passes_on_every_shell_script():
    if shutil.which("shellcheck") is None:
        if os.environ.get("CI"):
            pytest.fail("shellcheck is not installed, but CI must run it (.ci/run installs it)")
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    result = subprocess.run(["bash", "ci/shellcheck_all"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_versions_agree():
    inst, uinst = INST.read_text(), UINST.read_text()
    version = int(re.search(r"^VERSION=([0-9]+)", inst, re.M).group(1))
    assert int(re.search(r"^VERSION=([0-9]+)", uinst, re.M).group(1)) == version
    assert version > 12  # the Univention app's 2.2.14 recorded v12
    app = re.search(r"^APP_VERSION=(\S+)", inst, re.M).group(1)
    ini = re.search(r"^Version = (\S+)", (ROOT / "appcenter" / "ini").read_text(), re.M)
    pyproject = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert app == ini.group(1) == pyproject.group(1)
    major, minor, _ = (int(part) for part in app.split("."))
    assert major == 2 and minor >= 4  # above the Univention app's 2.3.5, below its 3.0.0


def test_a_changed_registered_file_needs_a_new_join_script_version():
    generate = _generator()
    recorded = generate.STAMP.read_text().split()
    assert recorded[0] == str(generate.join_script_version()), (
        "ucs/registered.sha256 is for another VERSION: run python3 ucs/generate.py --stamp"
    )
    assert recorded[1] == generate.registered_digest(), (
        "a registered file changed: raise VERSION in appcenter/inst and uinst (registrations "
        "are only replaced for a higher package version), then python3 ucs/generate.py --stamp"
    )


def test_without_the_apps_files_the_join_stops_and_says_where_it_looked(primary):
    """Neither the container (docker cp fails here) nor <data>/ucs has the UCS files."""
    env = {
        **os.environ,
        "PATH": f"{FAKE / 'bin'}:{os.environ['PATH']}",
        "FAKE_UCS": str(primary.root),
        "OX_CONNECTOR_UCS_SHARE": str(FAKE / "share"),
    }
    if Path("/var/lib/univention-appcenter/apps/ox-connector/data/ucs").exists():
        pytest.skip("this machine has an installed app's data dir")
    result = subprocess.run(["bash", str(INST)], env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "UCS files are missing (container '0123abcd'" in result.stderr
    assert "docker cp 0123abcd:/usr/local/share/ox-connector/ucs/." in primary.calls()[1]
    assert primary.status() == []
