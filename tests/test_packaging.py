"""The product's wheel is the connector only: no test kit in it, none of the emulator's
dependencies in its metadata; each test kit wheel holds its own package only.

The wheels are built the way the Dockerfile builds the product's (``pip wheel --no-deps``),
without build isolation (offline: the venv's setuptools), from a copy of the checkout, so
that the build's output (build/, *.egg-info) stays out of it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KIT = {  # test kit distribution dir -> its package
    "testkit/emulator": "ox_emulator",
    "testkit/simulator": "udm_simulator",
    "testkit/demo": "ox_demo",
}
KIT_PACKAGES = set(KIT.values())
LEFT_THE_PRODUCT = (
    "connector/emulator/",
    "connector/simulator/",
    "connector/demo.py",
    "connector/soap_contract/",
)
KIT_DEPENDENCIES = {"starlette", "uvicorn"}
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("checkout") / "ox-connector"
    shutil.copytree(ROOT, copy, ignore=NOT_COPIED)
    return copy


def build_wheel(source: Path, out: Path) -> zipfile.ZipFile:
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    proc = subprocess.run(
        [*cmd, "--quiet", "--wheel-dir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


def metadata(wheel: zipfile.ZipFile):
    (name,) = (n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    return Parser().parsestr(wheel.read(name).decode())


def requirement_names(wheel: zipfile.ZipFile) -> set[str]:
    requires = metadata(wheel).get_all("Requires-Dist") or []
    return {re.match(r"[A-Za-z0-9._-]+", r).group().lower().replace("_", "-") for r in requires}


@pytest.fixture(scope="module")
def product_wheel(checkout, tmp_path_factory) -> zipfile.ZipFile:
    return build_wheel(checkout, tmp_path_factory.mktemp("wheel"))


def test_the_product_wheel_holds_the_connector_only(product_wheel):
    names = product_wheel.namelist()
    assert "connector/cli.py" in names and "connector/contract.py" in names
    assert [n for n in names if KIT_PACKAGES & set(n.split("/"))] == []
    assert [n for n in names if n.startswith(LEFT_THE_PRODUCT)] == []
    top = {n.split("/")[0] for n in names}
    assert top == {"connector", f"ox_connector-{metadata(product_wheel)['Version']}.dist-info"}


def test_the_product_does_not_depend_on_the_emulators_web_stack(product_wheel):
    requires = requirement_names(product_wheel)
    assert "zeep" in requires
    assert requires & KIT_DEPENDENCIES == set()


def test_the_product_has_no_emulator_script(product_wheel):
    (name,) = (n for n in product_wheel.namelist() if n.endswith(".dist-info/entry_points.txt"))
    scripts = product_wheel.read(name).decode()
    assert "ox-connector = connector.cli:main" in scripts
    assert "ox-emulator" not in scripts and "ox_emulator" not in scripts


@pytest.mark.parametrize("directory", sorted(KIT))
def test_each_kit_wheel_holds_its_own_package_only(directory, checkout, tmp_path):
    wheel = build_wheel(checkout / directory, tmp_path)
    top = {n.split("/")[0] for n in wheel.namelist() if not n.split("/")[0].endswith(".dist-info")}
    assert top == {KIT[directory]}
    assert "ox-connector" in requirement_names(wheel)


def test_the_demo_wheel_carries_the_demo_organisation(checkout, tmp_path):
    wheel = build_wheel(checkout / "testkit/demo", tmp_path)
    fixtures = ROOT / "testkit/demo/ox_demo/fixtures"
    expected = {p.relative_to(fixtures).as_posix() for p in fixtures.glob("*/*.json")}
    assert len(expected) > 30
    shipped = {
        n.removeprefix("ox_demo/fixtures/")
        for n in wheel.namelist()
        if n.startswith("ox_demo/fixtures/") and n.endswith(".json")
    }
    assert shipped == expected
    assert "ox_demo/__main__.py" in wheel.namelist()
