"""Benchmark: OXUserService.getData of a fully populated user against the emulator.

Prints calls per second from one zeep client on loopback, and CPU milliseconds per call on
the server (from /proc) and in the client. Targets (issue #2): server <= 1.5 ms CPU per
full-user getData, >= 150 getData/s from one zeep client. Figures, not a timed test.

    python bench/emulator_getdata.py [--calls N] [--rounds R] [--latency-ms MS]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from pathlib import Path

import requests
import zeep
from zeep.transports import Transport

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connector.contract import SERVICES
from ox_emulator.process import EmulatorProcess

SKIP = {
    "name",
    "password",
    "passwordMech",
    "primaryEmail",
    "email1",
    "email2",
    "email3",
    "defaultSenderAddress",
    "language",
    "timezone",
    "imapServer",
    "smtpServer",
    "imapSchema",
    "smtpSchema",
    "imapServerString",
    "smtpServerString",
    "imapLogin",
    "drive_user_folder_mode",
    "drive_folder_mode",
    "filestore_name",
    "display_name",
}


def full_user() -> dict:
    """Every string field of OX's User set, plus dates, aliases and a photo."""
    fields = SERVICES["OXUserService"].types["User"].fields
    user = {
        f.name: f"{f.name} Ünïcødé value"
        for f in fields
        if f.type == "string" and not f.repeated and f.name not in SKIP
    }
    user.update(
        name="bench",
        display_name="Bench Mark",
        password="secret",
        primaryEmail="bench@example.org",
        email1="bench@example.org",
        email2="b2@example.org",
        email3="b3@example.org",
        aliases=[f"alias{i}@example.org" for i in range(5)],
        birthday="1990-05-17",
        anniversary="2015-06-01",
        image1=b"\xff\xd8" * 2000,
        imapServer="imap.example.org",
        smtpServer="smtp.example.org",
        language="de_DE",
        timezone="Europe/Berlin",
    )
    return user


def typical_user() -> dict:
    """What a connector typically sets: ~30 fields (names, mails, addresses, phones)."""
    user = {
        k: v
        for k, v in full_user().items()
        if k
        in {
            "name",
            "display_name",
            "password",
            "primaryEmail",
            "email1",
            "aliases",
            "given_name",
            "sur_name",
            "language",
            "timezone",
            "imapServer",
            "smtpServer",
            "birthday",
            "company",
            "department",
            "street_business",
            "postal_code_business",
            "city_business",
            "country_business",
            "telephone_business1",
            "telephone_home1",
            "cellular_telephone1",
            "fax_business",
            "room_number",
            "position",
            "title",
            "url",
            "note",
            "employeeType",
            "userfield01",
            "userfield02",
        }
    }
    user.update(
        name="typical",
        display_name="Typical User",
        primaryEmail="t@example.org",
        email1="t@example.org",
        aliases=["t2@example.org"],
    )
    return user


def client(proc: EmulatorProcess, service: str, trust_env: bool):
    session = requests.Session()
    session.trust_env = trust_env
    reference = Path(__file__).resolve().parents[2] / "shared" / "ox-wsdl" / f"{service}.wsdl"
    wsdl = str(reference) if reference.is_file() else f"{proc.service_url(service)}?wsdl"
    c = zeep.Client(wsdl, transport=Transport(session=session))
    return c.create_service(next(iter(c.wsdl.bindings)), proc.service_url(service))


def run(calls: int, rounds: int, latency_ms: float) -> int:
    master = secrets.token_urlsafe(12)
    args = ["--latency-ms", str(latency_ms)] if latency_ms else []
    with EmulatorProcess(master, extra_args=args) as proc:
        auth = {"login": "oxadminmaster", "password": master}
        client(proc, "OXContextService", False).create(
            ctx={"id": 1, "maxQuota": -1},
            auth=auth,
            admin_user={
                "name": "oxadmin",
                "display_name": "Admin",
                "password": "pw",
                "given_name": "A",
                "sur_name": "B",
                "primaryEmail": "a@example.org",
                "email1": "a@example.org",
            },
        )
        admin = {"login": "oxadmin", "password": "pw"}
        cases = [
            ("full user", full_user(), False),
            ("typical user", typical_user(), False),
            ("full user, requests' proxy look-up on", full_user(), True),
        ]
        created: dict[str, int] = {}
        for label, data, trust_env in cases:
            users = client(proc, "OXUserService", trust_env)
            if data["name"] not in created:
                created[data["name"]] = users.create(ctx={"id": 1}, usrdata=data, auth=admin).id
            uid = created[data["name"]]
            for _ in range(20):
                users.getData(ctx={"id": 1}, user={"id": uid}, auth=admin)
            rates, server, client_cpu = [], [], []
            for _ in range(rounds):  # rounds, because these machines are noisy
                server0, client0 = proc.cpu_seconds(), time.process_time()
                wall0 = time.perf_counter()
                for _ in range(calls):
                    user = users.getData(ctx={"id": 1}, user={"id": uid}, auth=admin)
                rates.append(calls / (time.perf_counter() - wall0))
                server.append((proc.cpu_seconds() - server0) / calls * 1000)
                client_cpu.append((time.process_time() - client0) / calls * 1000)
            assert user.name == data["name"]
            rate, server_ms = statistics.median(rates), statistics.median(server)
            print(
                f"getData {label}, latency {latency_ms:g} ms, {rounds}x{calls} calls: "
                f"median {rate:6.1f} calls/s (best {max(rates):6.1f}; target >= 150: "
                f"{'meets' if rate >= 150 else 'MISSES'}) | server CPU median "
                f"{server_ms:4.2f} ms/call (best {min(server):4.2f}; target <= 1.5: "
                f"{'meets' if server_ms <= 1.5 else 'MISSES'}) | zeep client CPU "
                f"{statistics.median(client_cpu):4.2f} ms/call"
            )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    return run(args.calls, args.rounds, args.latency_ms)


if __name__ == "__main__":
    sys.exit(main())
