"""Fetch the reference OX WSDLs (``?wsdl`` of the six admin services) from a real OX into a
directory: ``make reference-wsdl OX=https://ox.example.org [WSDL_DIR=...] [CA=ca.pem]``.

The contract tests compare the emulator with these files, and the test clients are
compiled from them (tests/oxclient.py). Standard library only, so that it runs before
``make venv``. Each file is checked (a WSDL 1.1 document naming its service) and written
atomically; nothing is written unless all six were fetched.
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys
import tempfile
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

SERVICES = (
    "OXContextService",
    "OXUserService",
    "OXGroupService",
    "OXResourceService",
    "OXSecondaryAccountService",
    "OXUserCopyService",
)
WSDL = "{http://schemas.xmlsoap.org/wsdl/}"


def base_url(ox: str) -> str:
    """``https://ox.example.org``, with or without ``/webservices`` (and a slash)."""
    base = ox.strip().rstrip("/")
    return base.removesuffix("/webservices")


def fetch(url: str, context: ssl.SSLContext | None, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "ox-connector-tests"})
    with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
        return response.read()


def check(service: str, data: bytes) -> str | None:
    """Why ``data`` is not the WSDL of ``service``, or None."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return f"not XML ({exc})"
    if root.tag != f"{WSDL}definitions":
        return f"not a WSDL 1.1 document (root element {root.tag})"
    names = {s.get("name") for s in root.iter(f"{WSDL}service")}
    if service not in names:
        return f"describes {', '.join(sorted(filter(None, names))) or 'no service'}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ox", help="OX base URL, e.g. https://ox.example.org")
    parser.add_argument("directory", type=Path, help="where to write <Service>.wsdl")
    parser.add_argument("--ca-file", help="PEM file of the CA that signed OX's certificate")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    base = base_url(args.ox)
    if not base.startswith(("http://", "https://")):
        print(f"reference-wsdl: OX={args.ox!r} is not an http(s) URL", file=sys.stderr)
        return 2
    context = ssl.create_default_context(cafile=args.ca_file) if args.ca_file else None
    documents = {}
    for service in SERVICES:
        url = f"{base}/webservices/{service}?wsdl"
        try:
            data = fetch(url, context, args.timeout)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            print(f"reference-wsdl: {url}: {exc}", file=sys.stderr)
            return 1
        problem = check(service, data)
        if problem is not None:
            print(f"reference-wsdl: {url}: {problem}", file=sys.stderr)
            return 1
        documents[service] = data
    args.directory.mkdir(parents=True, exist_ok=True)
    for service, data in documents.items():
        fd, tmp = tempfile.mkstemp(dir=args.directory, prefix=f".{service}.")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, args.directory / f"{service}.wsdl")
    print(f"reference-wsdl: {len(documents)} WSDLs from {base} in {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
