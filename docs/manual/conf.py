"""Sphinx configuration of the OX Connector administrator's manual (``make manual``).

The settings and command references are generated from ``appcenter/settings`` and from
the ``ox-connector`` command line at build time (``_ext/oxmanual.py``). CI builds with
warnings as errors, and ``nitpicky`` makes a reference to an unknown setting, command or
option one of them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(HERE / "_ext"), str(REPO)]

_pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
release = re.search(r'^version\s*=\s*"([^"]+)"', _pyproject, re.MULTILINE).group(1)
version = release

project = "OX Connector"
author = "the OX Connector project"
copyright = "the OX Connector project"
language = "en"

extensions = ["oxmanual"]
nitpicky = True
exclude_patterns = ["_build"]
root_doc = "index"
highlight_language = "none"
default_role = "literal"

html_theme = "alabaster"
html_title = f"OX Connector {release}: administrator's manual"
html_theme_options = {"description": "Open-Xchange App Suite provisioning for UCS"}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
html_show_sourcelink = False
