"""The administrator's manual (docs/manual): it builds without warnings, its generated
reference holds every app setting and every command and option of ``ox-connector``, and
its prose names only settings and commands that exist."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
import pytest
from sphinx.cmd.build import build_main  # Sphinx: the dev extra (make venv)

from connector.cli import main

REPO = Path(__file__).resolve().parents[1]
MANUAL = REPO / "docs" / "manual"
sys.path.insert(0, str(MANUAL / "_ext"))

import oxmanual  # noqa: E402 (the manual's extension, from its folder)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The manual as plain text, built as CI builds it: warnings are errors."""
    out = tmp_path_factory.mktemp("manual")
    status = build_main(["-W", "--keep-going", "-q", "-b", "text", str(MANUAL), str(out)])
    assert status == 0, "the manual has warnings (make manual shows them)"
    return out


def missing_settings(text: str, names: list[str]) -> list[str]:
    """Settings without their own entry (a line holding just the name) in ``text``."""
    lines = {line.strip() for line in text.splitlines()}
    return [name for name in names if name not in lines]


def commands() -> list[tuple[str, click.Command, click.Context]]:
    return list(oxmanual.walk(main, "ox-connector"))


def missing_commands(text: str) -> list[str]:
    """Commands and options of ``ox-connector`` that ``text`` lacks: each command as a
    section title, each option in the section of its command."""
    problems = []
    sections = re.split(r'\n(?=[0-9.]+ "ox-connector)', text)
    by_title = {}
    for section in sections:
        title = re.match(r'[0-9.]+ "(ox-connector[^"]*)"', section)
        if title:
            by_title[title.group(1)] = section
    for path, command, ctx in commands():
        section = by_title.get(path)
        if section is None:
            problems.append(path)
            continue
        for signature, _ in oxmanual.option_rows(command, ctx):
            for option in signature.split(", "):
                if not re.search(rf"^{re.escape(option)}( |,|$)", section, re.MULTILINE):
                    problems.append(f"{path} {option}")
    return problems


def test_every_setting_is_in_the_manual(built):
    names = oxmanual.read_settings().sections()
    assert len(names) > 20
    text = (built / "settings.txt").read_text(encoding="utf-8")
    assert missing_settings(text, names) == []
    # the check sees a setting that is not there
    assert missing_settings(text, [*names, "OX_NOT_A_SETTING"]) == ["OX_NOT_A_SETTING"]


def test_every_command_and_option_is_in_the_manual(built):
    text = (built / "operations.txt").read_text(encoding="utf-8")
    paths = [path for path, _, _ in commands()]
    assert {"ox-connector run", "ox-connector queue list", "ox-connector check"} <= set(paths)
    assert missing_commands(text) == []
    # the check sees a command or an option that is not there
    without_fix = re.sub(r"^--fix$", "--fiks", text, flags=re.MULTILINE)
    assert missing_commands(without_fix) == ["ox-connector check --fix"]
    without_run = text.replace('"ox-connector run"', '"ox-connector walk"')
    assert "ox-connector run" in missing_commands(without_run)


# "ox-connector WORD ...", except where ox-connector is the app's ID (univention-app shell
# ox-connector, univention-directory-listener-ctrl resync ox-connector, ...)
APP_COMMAND_LINE = re.compile(
    r"(?<![-/\w])(?<!shell )(?<!install )(?<!configure )(?<!upgrade )(?<!remove )"
    r"(?<!resync )(?<!dev-set )ox-connector((?: [a-z][a-z-]*)+)"
)


def prose_problems(page: str, text: str) -> list[str]:
    """Variable-like names that are no app setting, and ``ox-connector WORD ...`` that is
    no command, in one page's text."""
    settings = set(oxmanual.read_settings().sections())
    paths = {path for path, _, _ in commands()}
    groups = {path for path, command, _ in commands() if isinstance(command, click.Group)}
    named = set(re.findall(r"\b(?:OX|UDM)_[A-Z0-9_]+\b", text))
    problems = [
        f"{page}: {name} is not an app setting"
        for name in sorted(named - settings)
        if not name.startswith("OX_TEST_")  # the reference suite's own variables
    ]
    for words in APP_COMMAND_LINE.findall(text):
        path = "ox-connector"
        for word in words.split():
            if path not in groups:
                break
            path = f"{path} {word}"
        if path not in paths:
            problems.append(f"{page}: 'ox-connector{words}' is not a command")
    return problems


def test_the_prose_names_only_settings_and_commands_that_exist():
    """The hand-written chapters (``:setting:`` references are checked by the build itself,
    nitpicky; names in literals and examples are checked here)."""
    problems = []
    for page in sorted(MANUAL.glob("*.rst")):
        problems += prose_problems(page.name, page.read_text(encoding="utf-8"))
    assert problems == []
    sample = (
        "univention-app shell ox-connector ox-connector queue lst\n"
        "ox-connector check --fix; ox-connector mapping set x y; OX_CONNECTOR_WORKERS=1\n"
        "univention-app configure ox-connector --set OX_NO_SUCH=1"
    )
    assert prose_problems("p", sample) == [
        "p: OX_NO_SUCH is not an app setting",
        "p: 'ox-connector queue lst' is not a command",
    ]


def test_the_settings_generator_escapes_what_rst_would_read(tmp_path):
    settings = tmp_path / "settings"
    settings.write_text(
        "[OX_EXAMPLE]\nType = String\nShow = Install\nGroup = G\nInitialValue = {}*x\n"
        "Description = Login {}*dovecotadmin for <URL>/x_ and `ox-connector health`.\n",
        encoding="utf-8",
    )
    lines = oxmanual.settings_rst(settings)
    assert "   :Initial value: ``{}*x``" in lines
    assert r"   Login {}\*dovecotadmin for \<URL\>/x\_ and ``ox-connector health``." in lines
