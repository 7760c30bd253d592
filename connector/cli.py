"""``ox-connector``: the provisioning connector's command line."""

from __future__ import annotations

from importlib.metadata import version

import click


@click.group()
@click.version_option(version("ox-connector"), prog_name="ox-connector")
def main() -> None:
    """Keep Open-Xchange App Suite in step with the UCS directory."""


if __name__ == "__main__":
    main()
