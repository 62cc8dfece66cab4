"""The sample send logs: synthetic, made by the simulator on its controlled clock.

    python -m outlook_kit.sendlog.sample            # writes data/sample_*.{jsonl.gz,csv,log}
    python -m outlook_kit.sendlog.sample --days 30 --out /tmp/sample

Five accounts of different ages and habits send for months through the local Outlook
simulator (real SMTP, STARTTLS and AUTH on loopback). The clock is a `SimClock` moved to
each send's time, so four months take about a minute; each account keeps one connection
a day. The simulator's cap model (`CapModel`, the same the charts draw) decides; accounts
that meet it are refused and paused, as the guide says, and each refusal is written to the
kit's own JSON Lines log exactly as `outlook-kit probe --log` writes it. The small samples
of the other formats (a mailer's CSV export, a Postfix maillog, a Microsoft 365 message
trace) are written from the same sends.

`outlook_kit.sendlog.data.load_sample_log()` reads the JSON Lines sample back.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import hashlib
import io
import json
import math
import random
import secrets
import ssl
import string
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..caps import CapModel
from ..protocol import Reply
from .data import SAMPLES, data_dir

if TYPE_CHECKING:
    from ..simulator import Account, Simulator

SAMPLE_START = datetime(2026, 1, 5, tzinfo=UTC)
"""The first day of the sample (a Monday)."""


@dataclass(frozen=True)
class Habit:
    """How one demo account sends.

    Attributes:
        address: the account.
        age_days: its age when the sample starts.
        cap_reply: how the simulator refuses it at the cap ("guide": 550 5.4.1 at RCPT;
            "quota": 554 5.2.0 at DATA).
        messages: mean messages a weekday at the start.
        growth: the factor the volume grows by over the whole run.
        recipients: (min, max) recipients per message.
        weekend: the share of a weekday's volume sent on Saturday and Sunday.
        burst_weekday: a weekday (0 = Monday) with a burst of `burst` recipients, or None.
        burst: recipients in that burst (sent as messages of the maximum size).
        retries: after a cap refusal, how many more sends the account tries that day.
        unknown_share: the share of recipients at Microsoft domains that do not exist.
        hours: the hours of the day (UTC) the account sends between.
    """

    address: str
    age_days: float
    cap_reply: str = "guide"
    messages: float = 20.0
    growth: float = 1.0
    recipients: tuple[int, int] = (1, 1)
    weekend: float = 0.5
    burst_weekday: int | None = None
    burst: int = 0
    retries: int = 2
    unknown_share: float = 0.0
    hours: tuple[float, float] = (7.0, 19.0)


HABITS = (
    Habit(
        "news.letter@outlook.com",
        age_days=12,
        messages=4,
        recipients=(1, 3),
        weekend=0.2,
        burst_weekday=0,
        burst=420,
        retries=3,
    ),
    Habit("shop.orders@outlook.com", age_days=420, messages=38, weekend=0.8, hours=(6, 22)),
    Habit(
        "agency.team@hotmail.com",
        age_days=40,
        cap_reply="quota",
        messages=105,
        growth=1.6,
        recipients=(1, 5),
        weekend=0.1,
        retries=1,
    ),
    Habit("j.doe@live.com", age_days=900, messages=4, recipients=(1, 2), unknown_share=0.08),
    Habit(
        "events.club@outlook.com",
        age_days=160,
        messages=34,
        recipients=(10, 22),
        weekend=0.3,
        retries=2,
    ),
)


@dataclass(frozen=True)
class CapEvent:
    """The simulator's side of a refusal at the cap: who, when, the recipients it counted in
    its window then, and until when the account pauses."""

    account: str
    at: datetime
    window_count: int
    paused_until: datetime | None


@dataclass
class Generated:
    """What a run produced: the log records, and the simulator's own account of the cap."""

    records: list[dict[str, Any]] = field(default_factory=list)
    cap_refusals: list[CapEvent] = field(default_factory=list)
    created: dict[str, datetime] = field(default_factory=dict)
    cap_model: CapModel = field(default_factory=CapModel)
    seconds: float = 0.0


def _props(name: str) -> dict[str, Any]:
    digest = hashlib.sha256(name.encode()).digest()
    return {
        "password": f"Demo-Password-{name}",
        "app_passwords": ("".join(string.ascii_lowercase[b % 26] for b in digest[:16]),),
    }


def accounts_for(habits: Sequence[Habit]) -> list[Account]:
    """Roster accounts for these habits (demo credentials, never secrets)."""
    from ..simulator import Account
    from ..simulator.roster import Traits

    return [
        Account(
            address=h.address,
            **_props(h.address),
            scenario=f"sample:{h.address}",
            lesson="An account of the synthetic sample send log.",
            traits=Traits(created=float(h.age_days), cap_reply=h.cap_reply),  # type: ignore[arg-type]
        )
        for h in habits
    ]


def generate(
    *,
    days: int = 120,
    habits: Sequence[Habit] = HABITS,
    start: datetime = SAMPLE_START,
    seed: int = 7,
    cap_model: CapModel | None = None,
) -> Generated:
    """Run the habits through the simulator for `days` days on a SimClock; return the log.

    Args:
        days: how many days to simulate.
        habits: the accounts and how they send.
        start: the first day (UTC midnight).
        seed: the random seed of the schedule (the same seed gives the same sends).
        cap_model: the simulator's cap model; `CapModel()` (the guide's figures) by default.
    """
    from ..simulator import SimClock, Simulator

    model = cap_model or CapModel()
    clock = SimClock(start)
    rng = random.Random(seed)
    out = Generated(cap_model=model)
    began = time.perf_counter()
    unknown = [f"nobody.{i}@outlook.com" for i in range(50)]
    with Simulator(roster=accounts_for(habits), clock=clock, cap_model=model) as sim:
        for habit in habits:
            out.created[habit.address] = start - timedelta(days=habit.age_days)
        asyncio.run(_run(sim, clock, habits, days, rng, unknown, out))
    out.seconds = time.perf_counter() - began
    return out


def _schedule(
    habits: Sequence[Habit],
    day: int,
    days: int,
    start: datetime,
    rng: random.Random,
    unknown: list[str],
) -> list[tuple[datetime, int, list[str]]]:
    """The day's sends of every account, in time order: (time, habit index, recipients)."""
    events: list[tuple[datetime, int, list[str]]] = []
    midnight = start + timedelta(days=day)
    weekday = midnight.weekday()
    for index, habit in enumerate(habits):
        growth = habit.growth ** (day / max(days - 1, 1))
        mean = habit.messages * growth * (habit.weekend if weekday >= 5 else 1.0)
        low, high = habit.hours
        sends = [
            (rng.uniform(low, high), rng.randint(*habit.recipients))
            for _ in range(_poisson(rng, mean))
        ]
        if habit.burst_weekday == weekday and habit.burst:  # a burst goes out in one sitting
            size = max(habit.recipients)
            begin = rng.uniform(low, high - 2)
            sends += [(begin + i / 120, size) for i in range(math.ceil(habit.burst / size))]
        sends.sort()
        for hour, size in sends:
            rcpts = []
            for _ in range(size):
                if habit.unknown_share and rng.random() < habit.unknown_share:
                    rcpts.append(rng.choice(unknown))
                else:
                    rcpts.append(
                        f"r{rng.randint(1, 4000)}@example.{rng.choice(['com', 'org', 'net'])}"
                    )
            events.append((midnight + timedelta(hours=hour), index, rcpts))
    events.sort(key=lambda e: e[0])
    return events


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


async def _run(
    sim: Simulator,
    clock: Any,
    habits: Sequence[Habit],
    days: int,
    rng: random.Random,
    unknown: list[str],
    out: Generated,
) -> None:
    import aiosmtplib

    context = ssl.create_default_context(cafile=sim.ca_file)
    accounts = {a.address: a for a in sim.roster}
    start = clock.now()
    for day in range(days):
        connections: dict[str, aiosmtplib.SMTP] = {}
        refusals_today: dict[str, int] = {}
        try:
            for at, index, rcpts in _schedule(habits, day, days, start, rng, unknown):
                habit = habits[index]
                if refusals_today.get(habit.address, 0) > habit.retries:
                    continue  # the sender gave up for the day
                if at > clock.now():
                    clock.advance(hours=(at - clock.now()).total_seconds() / 3600)
                smtp = connections.get(habit.address)
                if smtp is None:
                    account = accounts[habit.address]
                    smtp = aiosmtplib.SMTP(
                        hostname=sim.host,
                        port=sim.port,
                        tls_context=context,
                        start_tls=True,
                        local_hostname="sample.localdomain",
                        timeout=30,
                    )
                    await smtp.connect()
                    await smtp.login(account.address, account.app_passwords[0])
                    connections[habit.address] = smtp
                record = await _send(smtp, habit.address, rcpts, clock.now())
                out.records.append(record)
                if _is_cap_reply(record):
                    refusals_today[habit.address] = refusals_today.get(habit.address, 0) + 1
                    out.cap_refusals.append(
                        CapEvent(
                            habit.address,
                            clock.now(),
                            sim.window_count(habit.address),
                            sim.paused_until(habit.address),
                        )
                    )
        finally:
            for smtp in connections.values():
                try:
                    await smtp.quit()
                except aiosmtplib.SMTPException:
                    smtp.close()


def _is_cap_reply(record: dict[str, Any]) -> bool:
    text = record.get("text") or ""
    return (record["code"] == 550 and "AS(" not in text and "Access denied" in text) or (
        "SubmissionQuotaExceeded" in text
    )


async def _send(smtp: Any, sender: str, rcpts: list[str], now: datetime) -> dict[str, Any]:
    """One message on an open connection, recorded as the kit's log records a probe."""
    import aiosmtplib

    token = f"ok-{secrets.token_hex(4)}"
    began = time.perf_counter()
    stage, reply = "data", None
    status = "sent"
    try:
        await smtp.mail(sender)
        stage = "rcpt_to"
        for rcpt in rcpts:
            await smtp.rcpt(rcpt)
        stage = "data"
        body = (
            f"From: {sender}\r\nTo: undisclosed-recipients:;\r\n"
            f"Subject: outlook-kit sample [{token}]\r\n"
            f"Message-ID: <{token}@{sender.split('@')[1]}>\r\n\r\nA sample message.\r\n"
        )
        response = await smtp.data(body.encode())
        reply = Reply.parse(response.code, response.message)
    except aiosmtplib.SMTPResponseException as exc:
        reply = Reply.parse(exc.code, exc.message)
        status = "rejected" if 500 <= exc.code < 600 else "deferred"
        await smtp.rset()
    return {
        "time": now.isoformat().replace("+00:00", "Z"),
        "account": sender,
        "from": sender,
        "recipients": list(rcpts),
        "status": status,
        "stage": stage,
        "code": reply.code if reply else None,
        "enhanced": reply.enhanced if reply else None,
        "text": reply.text if reply else None,
        "elapsed_ms": round((time.perf_counter() - began) * 1000, 1),
        "token": token,
    }


# --- the files ------------------------------------------------------------------------------


def write_samples(generated: Generated, folder: Path) -> dict[str, Path]:
    """Write every sample file into `folder`; return their paths by sample name."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / file for name, file in SAMPLES.items()}
    with gzip.open(paths["sendlog"], "wt", encoding="utf-8", compresslevel=9) as fh:
        for record in generated.records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    excerpt = _excerpt(generated.records, "agency.team@hotmail.com", days=14)
    paths["mailer_csv"].write_text(_mailer_csv(excerpt), encoding="utf-8", newline="")
    paths["postfix"].write_text(
        _maillog(_excerpt(generated.records, "news.letter@outlook.com", 14))
    )
    paths["m365"].write_text(
        _message_trace(_excerpt(generated.records, "shop.orders@outlook.com", 3)),
        encoding="utf-8-sig",
        newline="",
    )
    return paths


def _excerpt(records: list[dict[str, Any]], account: str, days: int) -> list[dict[str, Any]]:
    mine = [r for r in records if r["account"] == account]
    if not mine:
        return []
    first = datetime.fromisoformat(mine[0]["time"])
    return [r for r in mine if datetime.fromisoformat(r["time"]) < first + timedelta(days=days)]


def _reply_line(record: dict[str, Any]) -> str:
    parts = [str(record["code"] or ""), record["enhanced"] or "", record["text"] or ""]
    return " ".join(p for p in parts if p)


def _mailer_csv(records: list[dict[str, Any]]) -> str:
    """A mailer's export: local times with their offset, semicolon-separated recipients."""
    paris = timedelta(hours=1)  # winter time, written with its offset
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Sent at", "Sender", "To", "Result", "SMTP response"])
    for r in records:
        when = datetime.fromisoformat(r["time"]).astimezone(UTC) + paris
        stamp = when.strftime("%Y-%m-%d %H:%M:%S") + "+01:00"
        result = {"sent": "Delivered", "rejected": "Failed", "deferred": "Deferred"}[r["status"]]
        writer.writerow([stamp, r["from"], "; ".join(r["recipients"]), result, _reply_line(r)])
    return buffer.getvalue()


def _maillog(records: list[dict[str, Any]]) -> str:
    """Postfix relaying through smtp-mail.outlook.com, RFC 3339 times (rsyslog's default)."""
    lines = []
    rng = random.Random(3)
    for r in records:
        when = datetime.fromisoformat(r["time"])
        qid = "".join(rng.choice("0123456789ABCDEF") for _ in range(10))
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"
        pid = rng.randint(1000, 9999)
        lines.append(
            f"{stamp} mx1 postfix/qmgr[811]: {qid}: from=<{r['from']}>, size=1432, "
            f"nrcpt={len(r['recipients'])} (queue active)"
        )
        status = {"sent": "sent", "rejected": "bounced", "deferred": "deferred"}[r["status"]]
        refused_at = {"rcpt_to": "RCPT TO", "data": "end of DATA"}.get(r["stage"], "end of DATA")
        for rcpt in r["recipients"]:
            said = (
                _reply_line(r)
                if r["status"] == "sent"
                else f"host smtp-mail.outlook.com[52.96.40.242] said: {_reply_line(r)} "
                f"(in reply to {refused_at} command)"
            )
            lines.append(
                f"{stamp} mx1 postfix/smtp[{pid}]: {qid}: to=<{rcpt}>, "
                "relay=smtp-mail.outlook.com[52.96.40.242]:587, delay=0.9, "
                f"delays=0.02/0.01/0.41/0.46, dsn={r['enhanced'] or '2.0.0'}, "
                f"status={status} ({said})"
            )
        lines.append(f"{stamp} mx1 postfix/qmgr[811]: {qid}: removed")
    return "\n".join(lines) + "\n"


def _message_trace(records: list[dict[str, Any]]) -> str:
    """The Microsoft 365 message trace export: one row per recipient, US dates in UTC."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            "Received", "Sender Address", "Recipient Address", "Subject", "Status",
            "To IP", "From IP", "Message Size", "Message ID", "Message Trace ID",
        ]
    )  # fmt: skip
    for r in records:
        when = datetime.fromisoformat(r["time"])
        hour, half = when.hour % 12 or 12, "AM" if when.hour < 12 else "PM"
        stamp = f"{when.month}/{when.day}/{when.year} {hour}:{when:%M:%S} {half}"
        status = {"sent": "Delivered", "rejected": "Failed", "deferred": "Pending"}[r["status"]]
        for rcpt in r["recipients"]:
            writer.writerow(
                [
                    stamp, r["from"], rcpt, f"Order confirmation {r['token']}", status,
                    "", "203.0.113.7", 18342, f"<{r['token']}@outlook.com>",
                    hashlib.md5(f"{r['token']}{rcpt}".encode()).hexdigest(),
                ]
            )  # fmt: skip
    return buffer.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m outlook_kit.sendlog.sample",
        description="Generate the synthetic sample send logs with the Outlook simulator.",
    )
    parser.add_argument("--out", type=Path, default=data_dir(), help="folder (default: data/)")
    parser.add_argument("--days", type=int, default=120, help="days to simulate (120)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (7)")
    args = parser.parse_args(argv)
    generated = generate(days=args.days, seed=args.seed)
    paths = write_samples(generated, args.out)
    print(
        f"{len(generated.records):,} sends of {len(generated.created)} accounts over "
        f"{args.days} days in {generated.seconds:.1f} s; "
        f"{len(generated.cap_refusals)} refusals at the cap"
    )
    for name, path in paths.items():
        print(f"  {name:<11} {path} ({path.stat().st_size / 1024:,.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
