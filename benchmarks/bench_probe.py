"""Speed of the kit, each against a named baseline in the same run; prints medians and ratios.

1. One test send (connect, STARTTLS, AUTH LOGIN, one message, QUIT) to the simulator:
   the kit's staged `probe` against Python's `smtplib` doing the same transaction.
2. The whole `outlook-kit probe` as a process (Python's start, the kit's imports, one test
   send) to the simulator, against `python -c 'import smtplib'` and a whole smtplib send as
   a process, in turns, medians.
3. Messages per second through the simulator with concurrent clients: the simulator
   (with its Outlook rules: roster, cap counting, mailbox) against a bare aiosmtpd server
   doing STARTTLS, AUTH LOGIN and keeping the messages in a list.

Run: `make bench` (or `.venv/bin/python benchmarks/bench_probe.py [--rounds N]`).
The machines are noisy: read the ratios and medians, not single timings.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import smtplib
import socket
import ssl
import statistics
import subprocess
import sys
import time
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from outlook_kit import CapModel, Credentials, SmtpSettings, TestMessage, probe
from outlook_kit.simulator import Simulator, default_roster
from outlook_kit.simulator.roster import Account


def healthy_accounts(count: int) -> list[Account]:
    base = next(a for a in default_roster() if a.scenario == "healthy")
    return [
        dataclasses.replace(base, address=f"bench{i}@outlook.com", scenario=f"bench{i}")
        for i in range(count)
    ]


def smtplib_send(sim: Simulator, account: Account) -> None:
    context = ssl.create_default_context(cafile=sim.ca_file)
    msg = TestMessage(account.address, (account.address,)).build()
    with smtplib.SMTP(sim.host, sim.port, local_hostname="bench.localdomain", timeout=30) as smtp:
        smtp.ehlo()
        smtp.starttls(context=context)
        smtp.ehlo()
        smtp.login(account.address, account.app_passwords[0])
        smtp.send_message(msg)


def kit_send(sim: Simulator, account: Account) -> None:
    settings = SmtpSettings(sim.host, sim.port, cafile=sim.ca_file, ehlo_name="bench.localdomain")
    creds = Credentials.app_password(account.address, account.app_passwords[0])
    report = asyncio.run(probe(settings, creds))
    assert report.ok, str(report)


def bench_single_send(rounds: int) -> dict[str, float]:
    account = healthy_accounts(1)[0]
    model = CapModel(new_account_cap=100_000, ceiling=100_000, mature_cap=100_000)
    times: dict[str, list[float]] = {"kit probe": [], "smtplib": []}
    with Simulator(roster=[account], cap_model=model) as sim:
        kit_send(sim, account)  # warm up both paths (imports, first TLS context)
        smtplib_send(sim, account)
        for i in range(rounds):
            order = [("kit probe", kit_send), ("smtplib", smtplib_send)]
            for name, fn in order if i % 2 == 0 else order[::-1]:
                start = time.perf_counter()
                fn(sim, account)
                times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


async def _client(host: str, port: int, cafile: str, user: str, password: str, count: int) -> int:
    context = ssl.create_default_context(cafile=cafile)
    sent = 0
    async with aiosmtplib.SMTP(
        hostname=host,
        port=port,
        tls_context=context,
        start_tls=True,
        local_hostname="bench.localdomain",
        timeout=60,
    ) as smtp:
        await smtp.login(user, password)
        for i in range(count):
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = user, user, f"load {i}"
            msg.set_content("load test\n")
            await smtp.send_message(msg)
            sent += 1
    return sent


async def _throughput(
    host: str, port: int, cafile: str, accounts: list[Account], per: int
) -> float:
    start = time.perf_counter()
    sent = await asyncio.gather(
        *(_client(host, port, cafile, a.address, a.app_passwords[0], per) for a in accounts)
    )
    return sum(sent) / (time.perf_counter() - start)


class _Keep:
    """The baseline's handler: keep every message in a list."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 2.0.0 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_throughput(rounds: int, clients: int, per: int) -> dict[str, float]:
    accounts = healthy_accounts(clients)
    passwords = {a.address: a.app_passwords[0] for a in accounts}
    model = CapModel(new_account_cap=1_000_000, ceiling=1_000_000, mature_cap=1_000_000)
    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with ca.cert_pem.tempfile() as ca_file:

        def check(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = isinstance(data, LoginPassword) and passwords.get(data.login.decode()) == (
                data.password.decode()
            )
            return AuthResult(success=ok)

        rates: dict[str, list[float]] = {"simulator": [], "bare aiosmtpd": []}
        for _ in range(rounds):
            with Simulator(roster=accounts, cap_model=model) as sim:
                rates["simulator"].append(
                    asyncio.run(_throughput(sim.host, sim.port, sim.ca_file, accounts, per))
                )
                assert len(sim.mailbox.messages()) == clients * per
            keep = _Keep()
            controller = Controller(
                keep,
                hostname="127.0.0.1",
                port=_free_port(),
                tls_context=context,
                authenticator=check,
                require_starttls=True,
                auth_require_tls=True,
            )
            controller.start()
            try:
                rates["bare aiosmtpd"].append(
                    asyncio.run(_throughput("127.0.0.1", controller.port, ca_file, accounts, per))
                )
                assert len(keep.messages) == clients * per
            finally:
                controller.stop()
    return {name: statistics.median(values) for name, values in rates.items()}


SMTPLIB_SEND = """
import os, smtplib, ssl, sys
host, port, cafile, user = sys.argv[1:5]
password = os.environ["OUTLOOK_KIT_PASSWORD"]  # as the kit takes it: never an argument
with smtplib.SMTP(host, int(port), timeout=30) as smtp:
    smtp.starttls(context=ssl.create_default_context(cafile=cafile))
    smtp.login(user, password)
    smtp.sendmail(user, [user], "Subject: bench\\r\\n\\r\\nHello.\\r\\n")
"""


def bench_processes(starts: int) -> dict[str, float]:
    """Medians (s) of whole processes, in turns: the kit's probe, a bare Python start with a
    mail library, and a whole smtplib send."""
    account = healthy_accounts(1)[0]
    model = CapModel(new_account_cap=100_000, ceiling=100_000, mature_cap=100_000)
    secret = account.app_passwords[0]
    with Simulator(roster=[account], cap_model=model) as sim:
        commands = {
            "outlook-kit probe": [
                sys.executable, "-m", "outlook_kit", "probe", "--user", account.address,
                "--host", sim.host, "--port", str(sim.port), "--cafile", sim.ca_file,
            ],
            "import smtplib": [sys.executable, "-c", "import smtplib"],
            "smtplib send": [
                sys.executable, "-c", SMTPLIB_SEND, sim.host, str(sim.port), sim.ca_file,
                account.address,
            ],
        }  # fmt: skip
        env = {**os.environ, "OUTLOOK_KIT_PASSWORD": secret}
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(starts):
            for name, command in commands.items():
                began = time.perf_counter()
                subprocess.run(command, env=env, check=True, capture_output=True)
                times[name].append(time.perf_counter() - began)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="single sends per side (30)")
    parser.add_argument("--load-rounds", type=int, default=5, help="throughput runs per side (5)")
    parser.add_argument("--starts", type=int, default=15, help="whole processes of each (15)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--per-client", type=int, default=25, help="messages per client (25)")
    args = parser.parse_args()

    single = bench_single_send(args.rounds)
    print(f"One test send, median of {args.rounds} (ms):")
    for name, value in single.items():
        print(f"  {name:<14} {value:8.2f}")
    print(f"  ratio kit probe / smtplib: {single['kit probe'] / single['smtplib']:.2f}")

    whole = bench_processes(args.starts)
    print(f"Whole processes, median of {args.starts} each, in turns (s):")
    for name, value in whole.items():
        print(f"  {name:<18} {value:7.3f}")
    ratio = whole["outlook-kit probe"] / whole["import smtplib"]
    print(f"  ratio probe / import smtplib: {ratio:.1f} (target: the probe under 0.3 s)")

    rates = bench_throughput(args.load_rounds, args.clients, args.per_client)
    print(
        f"Throughput, {args.clients} concurrent clients x {args.per_client} messages, "
        f"median of {args.load_rounds} (messages/s):"
    )
    for name, value in rates.items():
        print(f"  {name:<14} {value:8.1f}")
    print(f"  ratio simulator / bare aiosmtpd: {rates['simulator'] / rates['bare aiosmtpd']:.2f}")


if __name__ == "__main__":
    main()
