"""Sphinx extension of the administrator's manual: the reference parts are generated from
the sources at build time, so that they cannot fall behind.

- ``.. ox-settings::`` renders every section of ``appcenter/settings`` (the App Center
  settings, i.e. the container's environment variables) as a ``setting`` object, grouped
  by its ``Group``, with type, initial value, where it is shown and the English text.
  ``:setting:`NAME``` links to one; with ``nitpicky`` an unknown name fails the build.
- ``.. ox-commands::`` renders every command of ``ox-connector`` (the click command tree
  of ``connector.cli``) with its usage, help text and options, as ``program`` /
  ``option`` entries, so that ``:option:`ox-connector check --fix``` links to one.

The generators (``settings_rst``, ``commands_rst``) return reStructuredText lines; the
tests (``tests/test_manual.py``) build the manual and check that everything is in it.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator
from pathlib import Path

import click
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

REPO = Path(__file__).resolve().parents[3]
SETTINGS_FILE = REPO / "appcenter" / "settings"
SPECIAL = re.compile(r"([\\*_|\[\]<>`])")


def escape(text: str) -> str:
    """Plain text as reStructuredText: `quoted` parts become literals, the rest is
    escaped (``{}*dovecotadmin`` and ``<URL>`` stay as written)."""
    parts = text.split("`")
    out = []
    for i, part in enumerate(parts):
        if i % 2 and i < len(parts) - 1 and part:
            out.append(f"``{part}``")
        else:  # outside quotes, or after a backtick that is not closed
            out.append(("\\`" if i % 2 else "") + SPECIAL.sub(r"\\\1", part))
    return "".join(out)


def literal(value: str) -> str:
    """A value as an inline literal (backticks in it cannot occur in settings)."""
    return f"``{value}``" if value.strip() else "(empty)"


# -- settings ------------------------------------------------------------------------------


def read_settings(path: Path = SETTINGS_FILE) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=True, interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser


def settings_rst(path: Path = SETTINGS_FILE) -> list[str]:
    """Every setting of the App Center settings file, grouped by ``Group`` in the order
    the groups first appear."""
    settings = read_settings(path)
    groups: dict[str, list[str]] = {}
    for name in settings.sections():
        groups.setdefault(settings[name].get("Group", "Other"), []).append(name)
    lines: list[str] = []
    for group, names in groups.items():
        lines += [group, "-" * len(group), ""]
        for name in names:
            section = settings[name]
            kind = section.get("Type", "String")
            if section.get("Required", "").strip().lower() == "true":
                kind += ", required"
            initial = section.get("InitialValue")
            lines += [
                f".. setting:: {name}",
                "",
                f"   :Type: {kind}",
                "   :Initial value: "
                + (literal(initial) if initial is not None else "none (not passed)"),
                f"   :Shown: {escape(section.get('Show', ''))}",
                "",
                f"   {escape(section.get('Description', ''))}",
                "",
            ]
    return lines


# -- commands ------------------------------------------------------------------------------


def walk(
    command: click.Command, name: str, parent: click.Context | None = None
) -> Iterator[tuple[str, click.Command, click.Context]]:
    """Every command below ``command``, depth first, in the order ``--help`` lists them."""
    ctx = click.Context(command, info_name=name, parent=parent)
    yield ctx.command_path, command, ctx
    if isinstance(command, click.Group):
        for sub in command.list_commands(ctx):
            found = command.get_command(ctx, sub)
            if found is not None and not found.hidden:
                yield from walk(found, sub, ctx)


def option_rows(command: click.Command, ctx: click.Context) -> Iterator[tuple[str, str]]:
    """``(signature, help)`` of each option, ``--help`` left out."""
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option) or param.hidden or "--help" in param.opts:
            continue
        names = sorted(param.opts + param.secondary_opts, key=lambda o: (len(o), o))
        if param.is_flag:
            signature = ", ".join(names)
        else:
            metavar = param.type.get_metavar(param, ctx) or param.type.name.upper()
            signature = ", ".join(f"{n} <{metavar}>" for n in names)
        text = param.help or ""
        if param.multiple and "repeatable" not in text.lower():
            text += " Repeatable."
        if param.show_default and param.default is not None and not param.is_flag:
            text += f" Default: {param.default}."
        yield signature, text.strip()


def commands_rst(main: click.Command, name: str = "ox-connector") -> list[str]:
    lines: list[str] = []
    for path, command, ctx in walk(main, name):
        # the program and its commands one level, a group's commands the level below
        title = f"``{path}``"
        underline = "~" if path.count(" ") > 1 else "-"
        lines += [title, underline * len(title), "", f".. program:: {path}", ""]
        usage = " ".join(command.collect_usage_pieces(ctx))
        lines += [f"Usage: ``{path} {usage}``", ""]
        for paragraph in (command.help or "").strip().split("\n\n"):
            text = " ".join(paragraph.split())
            if text:
                lines += [escape(text), ""]
        if isinstance(command, click.Group):
            subs = ", ".join(f"``{sub}``" for sub in command.list_commands(ctx))
            lines += [f"Commands: {subs}.", ""]
        for signature, text in option_rows(command, ctx):
            lines += [f".. option:: {signature}", "", f"   {escape(text) or '(no help text)'}", ""]
    return lines


# -- directives ----------------------------------------------------------------------------


class _Generated(SphinxDirective):
    has_content = False

    def lines(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        container = nodes.section()
        container.document = self.state.document
        source = StringList(self.lines(), source=self.name)
        nested_parse_with_titles(self.state, source, container)
        return container.children


class SettingsDirective(_Generated):
    def lines(self) -> list[str]:
        self.env.note_dependency(str(SETTINGS_FILE))
        return settings_rst()


class CommandsDirective(_Generated):
    def lines(self) -> list[str]:
        from connector.cli import main

        self.env.note_dependency(str(REPO / "connector" / "cli.py"))
        return commands_rst(main)


def setup(app: Sphinx) -> dict[str, object]:
    app.add_object_type(
        "setting", "setting", indextemplate="pair: %s; setting", objname="app setting"
    )
    app.add_directive("ox-settings", SettingsDirective)
    app.add_directive("ox-commands", CommandsDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
